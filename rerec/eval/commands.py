"""`rerec eval`, `rerec retention` and `rerec report`. `eval` takes the model's own settings where no flag or
`--config` key set them, then evaluates the model, each finished checkpoint of a run, or a non-LLM baseline."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from rerec.data.atomic import check_folder
from rerec.eval.curve import CURVE, evaluate_checkpoints
from rerec.eval.harness import EvalConfig, evaluate
from rerec.models import ModelArguments, adopt, load_model, read_settings
from rerec.presets import flag_names, given_fields, parse_config
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments


@dataclass
class ReportArgs:
    """`rerec report A B --out x` is `rerec report --folders A B --out x`."""

    out: str = field(metadata={"help": "Folder for report.md, report.json and the plots."})
    folders: list[str] = field(
        default_factory=list,
        metadata={"help": "`rerec eval` folders, or the first words; '<method>-seed<N>' pools seeds."},
    )
    metrics: list[str] = field(default_factory=lambda: ["hit@1", "reward", "format"], metadata={"help": "Tabulated."})
    title: str = field(default="rerec results", metadata={"help": "The report's heading."})
    overwrite: bool = field(default=False, metadata={"help": "Replace an earlier `rerec report` folder at --out."})
    paired: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Methods compared query by query, in pairs: `--paired rerec grpo rerec bm25` gives rerec - grpo "
            "and rerec - bm25 (difference, 95% interval, paired test; with several seeds also an interval over "
            "seeds and queries)."
        },
    )
    curves: list[str] = field(
        default_factory=list,
        metadata={"help": "`rerec eval --checkpoints` folders: learning curves, '<method>-seed<N>' averaged."},
    )

    def __post_init__(self) -> None:
        if not self.folders:
            raise ValueError("name the `rerec eval` folders to report: rerec report FOLDER ... --out OUT")
        if len(self.paired) % 2:
            raise ValueError(f"--paired takes methods in pairs (A B [C D ...]); got {len(self.paired)} names")


def evaluation(argv: list[str]) -> int:
    """`rerec eval`: a model, a run's checkpoints (a learning curve) or a baseline on a prepared split."""
    types = (TrainDataArguments, PromptConfig, ModelArguments, EvalConfig)
    data, prompt, model_args, cfg = parse_config(types, "eval", argv)
    flags = flag_names(argv)
    if "config" in flags and "output_dir" not in flags:
        raise ValueError("with --config, give --output_dir: a run preset's output_dir is its training run's folder")
    name = model_args.model_name_or_path or "smollm2-135m-instruct"
    if not cfg.baseline:  # the prompt, answer reading and data the model was trained with, unless flags say else
        settings, given = read_settings(name), given_fields(argv)
        data, prompt, cfg = (adopt(c, settings, given) for c in (data, prompt, cfg))
    trust = model_args.trust_remote_code

    def one(model_path: str, sub: EvalConfig) -> dict:
        check_folder(Path(sub.output_dir), "eval", reuse=True, inputs=[Path(data.prepared)])  # before the model loads
        loaded = (
            (None, None)
            if sub.baseline or sub.backend == "vllm"
            else load_model(replace(model_args, model_name_or_path=model_path))
        )
        return evaluate(data, prompt, sub, model_path, *loaded, trust)

    if cfg.checkpoints:
        Path(cfg.output_dir).mkdir(parents=True, exist_ok=True)
        for point in evaluate_checkpoints(Path(name), cfg, one):
            step, rollouts = point["step"], point["rollouts"]
            print(f"step {step:>5}  rollouts {rollouts}  hit@1 {point['hit@1']:.3f}  reward {point['reward']:.3f}")
        print(f"learning curve in {Path(cfg.output_dir) / CURVE} and curve.png")
        return 0
    metrics = one(name, cfg)
    print((Path(cfg.output_dir) / "metrics.md").read_text(), end="")
    print(f"{metrics['all']['n']} predictions and metrics in {cfg.output_dir}")
    return 0


def retention(argv: list[str]) -> int:
    """`rerec retention`: the rule-checked general-ability probes."""
    from rerec.eval.retention import RetentionConfig, run_retention

    model_args, cfg = parse_config((ModelArguments, RetentionConfig), "retention", argv)
    result = run_retention(cfg, *load_model(model_args))
    for name, row in result.items():
        print(f"{name:<12} {row['passed']:>3}/{row['n']:<3} {row['rate']:.3f}")
    print(f"answers and pass rates in {cfg.output_dir}")
    return 0


def report(argv: list[str]) -> int:
    """`rerec report`: methods x query types with intervals, paired differences, learning curves."""
    from rerec.eval.report import write_report

    if sum(arg.split("=")[0] == "--paired" for arg in argv) > 1:
        raise ValueError("give --paired once, with every pair after it: --paired A B C D")
    (args,) = parse_config((ReportArgs,), "report", argv, positional="folders")
    pairs = list(zip(args.paired[::2], args.paired[1::2], strict=True))
    out = Path(args.out)
    paths = [Path(f) for f in args.folders]
    path = write_report(paths, out, args.metrics, args.title, args.overwrite, pairs, [Path(f) for f in args.curves])
    print(path.read_text(), end="")
    print(f"report, JSON and plots in {out}")
    return 0
