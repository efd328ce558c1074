"""`rerec demo`: the main job on the embedded default, end to end on a CPU.

Prepare the ml-100k benchmark, evaluate the base SmolLM2 on a fixed test slice, warm-start it on KG-path
rationales (`cpu-sft`), train ReRec on top (`cpu-demo`), evaluate both (ReRec's answers also after serving's graph
check), print the before/after table and three answers with their reasoning steps marked (and the graph check's
lead where it changes one), and write a report.
Every stage skips what is already done (and a training stage resumes from its last checkpoint), so running it
again after an interruption continues.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from rerec.task.parsing import boxed_answer, segments
from rerec.task.verifier import Claim, StepVerifier, step_claims, verdict_of

logger = logging.getLogger(__name__)

MARKS = {"verified": "✓", "false": "✗", "unchecked": "·"}


@dataclass
class DemoConfig:
    """Where the demo writes and how big its evaluation slice is."""

    runs: str = field(default="runs", metadata={"help": "Folder for the benchmark, models and evaluations."})
    report: str = field(default="runs/demo-report", metadata={"help": "Folder for the report."})
    test_queries: int = field(default=90, metadata={"help": "Test queries evaluated, round-robin over types."})
    batch_size: int = field(default=16, metadata={"help": "Evaluation batch size."})
    max_new_tokens: int = field(
        default=192,
        metadata={
            "help": "Answer length limit in the evaluations. At 128 tokens 26% of the warm start's answers were cut "
            "off before their box (43% of misinformed ones) and none of ReRec's: ReRec's Hit@1 gain over the warm "
            "start read +0.233 at 128 and +0.133 at 192 (docs/study.md, 2026-12-04 (late)); 192 lets every model "
            "finish."
        },
    )
    eval_dtype: str = field(
        default="bfloat16",
        metadata={
            "help": "Weights' dtype in the evaluations: bfloat16 as `rerec serve` answers (float32 where this CPU "
            "runs bf16 slower). On 2 AMD EPYC cores with AVX512-BF16 it generated the 90 answers of the demo's "
            "ReRec model 1.53x faster than float32, Hit@1 0.644 vs 0.622 (paired CI [0.000, 0.056]); the warm "
            "start's 0.333 vs 0.378 ([-0.111, 0.011]): level, 16 and 28 answers worded differently."
        },
    )


class Stages:
    """Runs named stages with timing, and says when one is skipped."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def run(self, name: str, done: bool, action) -> None:
        elapsed = (time.perf_counter() - self.start) / 60
        if done:
            logger.info("[%5.1f min] %s: already done, skipped", elapsed, name)
            return
        logger.info("[%5.1f min] %s ...", elapsed, name)
        began = time.perf_counter()
        action()
        logger.info("[%5.1f min] %s done in %.1f min", (time.perf_counter() - self.start) / 60, name,
                    (time.perf_counter() - began) / 60)  # fmt: skip


def annotated(text: str, per_step: list[list[Claim]]) -> list[str]:
    """The completion's steps, each with the verdict mark of its claims (`step_claims`), then the boxed answer."""
    lines = [f"  {MARKS[verdict_of(claims)]} {s.text}" for s, claims in zip(segments(text), per_step, strict=True)]
    box = boxed_answer(text)
    return lines + [f"  → {box}" if box is not None else "  → (no boxed answer)"]


def run_demo(cfg: DemoConfig) -> str:
    """Run (or continue) every stage; returns the before/after table and the example answers as text."""
    from rerec.assets import DEFAULT_MODEL, cache_dir, resolve_model
    from rerec.config import DataConfig
    from rerec.data.prepare import prepare
    from rerec.eval.harness import EvalConfig, evaluate, rescore
    from rerec.eval.report import write_report
    from rerec.models import ModelArguments, load_model
    from rerec.presets import parse_config
    from rerec.task.prompts import PromptConfig
    from rerec.task.rows import TrainDataArguments
    from rerec.training.run import sft_from_args, train_from_args

    runs = Path(cfg.runs)
    prepared, sft_dir, demo_dir = runs / "ml100k", runs / "cpu-sft", runs / "cpu-demo"
    stages = Stages()
    converted = (cache_dir() / "models" / DEFAULT_MODEL / "config.json").is_file()
    stages.run("convert the embedded SmolLM2 to a plain HF folder", converted, lambda: resolve_model(DEFAULT_MODEL))
    stages.run(
        "prepare ml-100k", (prepared / "summary.json").is_file(), lambda: prepare(DataConfig(out=str(prepared)))
    )
    data = TrainDataArguments(str(prepared), ["explicit", "implicit", "misinformed"], cfg.test_queries)
    (prompt,) = parse_config((PromptConfig,), "demo", ["--config", "cpu-demo"])  # each model asked as ReRec trains
    evals = {"base": DEFAULT_MODEL, "warm start": str(sft_dir / "final"), "ReRec": str(demo_dir / "final")}

    def evaluate_model(label: str) -> None:
        model, tokenizer = load_model(ModelArguments(evals[label], dtype=cfg.eval_dtype))
        out = runs / "eval" / label.replace(" ", "-")
        settings = EvalConfig(str(out), batch_size=cfg.batch_size, max_new_tokens=cfg.max_new_tokens)
        evaluate(data, prompt, settings, evals[label], model, tokenizer)

    train = ["--config", "cpu-demo", "--output_dir", str(demo_dir), "--model_name_or_path", str(sft_dir / "final")]
    common = ["--prepared", str(prepared)]
    warm = ["--config", "cpu-sft", "--output_dir", str(sft_dir), *common]
    stages.run("evaluate the base model", (runs / "eval/base/metrics.json").is_file(), lambda: evaluate_model("base"))
    stages.run("warm start (rerec sft --config cpu-sft)", (sft_dir / "final/config.json").is_file(),
               lambda: sft_from_args(warm, resume=True))  # fmt: skip
    stages.run("evaluate the warm start", (runs / "eval/warm-start/metrics.json").is_file(),
               lambda: evaluate_model("warm start"))  # fmt: skip
    stages.run("ReRec (rerec train --config cpu-demo)", (demo_dir / "final/config.json").is_file(),
               lambda: train_from_args([*train, *common], resume=True))  # fmt: skip
    stages.run("evaluate ReRec", (runs / "eval/ReRec/metrics.json").is_file(), lambda: evaluate_model("ReRec"))
    checked = runs / "eval" / "ReRec+graph"  # the same answers after serving's graph check: no generation
    stages.run("score ReRec's answers with the graph check", (checked / "metrics.json").is_file(),
               lambda: rescore(runs / "eval" / "ReRec", checked, graph_check=True))  # fmt: skip
    folders = [*(runs / "eval" / label.replace(" ", "-") for label in evals), checked]
    metrics = ["hit@1", "reward", "format"]  # reward: the training reward on held-out queries
    report = write_report(folders, Path(cfg.report), metrics, "rerec demo: SmolLM2-135M on ml-100k", overwrite=True)
    logger.info("demo finished in %.1f min; report in %s", (time.perf_counter() - stages.start) / 60, cfg.report)
    return report.read_text() + "\n" + examples(runs / "eval/ReRec")


def examples(folder: Path, per_type: int = 1) -> str:
    """One trained answer per query type, steps marked ✓ verified / ✗ false / · unchecked by the step verifier,
    and the candidate the graph check puts first where it changes the answer's lead (the rule of the report's
    ReRec+graph row: `rerec eval --graph_check`)."""
    from rerec.data.grounding import TitleIndex
    from rerec.eval.harness import PREDICTIONS, evaluated_split, read_predictions
    from rerec.task.answer import AnswerReader
    from rerec.task.graph_check import checked_lead
    from rerec.task.rows import row_titles

    rows, ds, settings = evaluated_split(folder)  # the prompts, hence the shown items, the answers were given
    reader = AnswerReader(TitleIndex(ds.catalog, settings["grounding_threshold"]), settings["mode"])
    predictions = {key: record["completion"] for key, record in read_predictions(folder / PREDICTIONS).items()}
    out, shown = ["Example answers (✓ verified, ✗ false, · unchecked):"], {}
    for row in rows:
        if shown.get(row["type"], 0) >= per_type or row["id"] not in predictions:
            continue
        shown[row["type"]] = shown.get(row["type"], 0) + 1
        truth = ", ".join(g["title"] for g in row["ground_truth"] if g["item_id"] == row["positive_id"])
        out += ["", f"[{row['type']}] {row['query']}", f"  (right answer among the candidates: {truth})"]
        text = predictions[row["id"]]
        per_step = step_claims(StepVerifier(ds.graph, ds.catalog, row_titles(row)), text)
        out += annotated(text, per_step)
        answer, claims = reader.read(text, row["candidates"]), [c for step in per_step for c in step]
        ids = [c["item_id"] for c in row["candidates"]]
        if lead := checked_lead(ds.graph, row["query"], ids, answer, claims, answer.ranked):
            title = ds.catalog[lead].display_title
            out.append(f"  ⇒ the graph check puts first {title}: the one candidate with all the query names")
    return "\n".join(out)
