"""`rerec eval`: parse, take the model's own settings where no flag or `--config` key set them, then evaluate
the model, each finished checkpoint of a run, or a non-LLM baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rerec.data.atomic import check_folder
from rerec.eval.curve import CURVE, evaluate_checkpoints
from rerec.eval.harness import EvalConfig, evaluate
from rerec.models import ModelArguments, adopt, load_model, read_settings
from rerec.presets import flag_names, given_fields, parse_config
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments


def main(argv: list[str]) -> int:
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
