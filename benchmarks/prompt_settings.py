"""What a shorter serving prompt costs in accuracy and buys in time: the same model, the same held-out queries,
one `rerec eval` per prompt setting, Hit@1 compared query by query.

Settings (candidates shown, fact triples shown):
- `serve-30`: `rerec serve`'s prompt before 2026-12-03 (10 retrieved candidates, 30 facts);
- `serve-15`: its prompt now (10 candidates, 15 facts);
- `train`: the presets' training prompt (5 candidates, 15 facts).
In the evaluation one shown candidate is right, so Hit@1 means something (whole-catalog serving rarely retrieves
a held-out query's answer). Reported per setting: Hit@1, format, mean prompt tokens, generation s per query, and
each setting's paired Hit@1 difference to `serve-30` with a 95% bootstrap interval.

python benchmarks/prompt_settings.py --model runs/cpu-demo/final --prepared runs/ml100k --max_queries 90
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from common import paired_interval, write_result

from rerec.eval.generation import prompt_ids
from rerec.eval.harness import EvalConfig, evaluate, read_scores
from rerec.models import ModelArguments, load_model
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments, load_split


@dataclass(frozen=True)
class Setting:
    name: str
    candidates: int
    facts: int


SETTINGS = (Setting("serve-30", 10, 30), Setting("serve-15", 10, 15), Setting("train", 5, 15))


def run(args: argparse.Namespace) -> dict:
    model, tokenizer = load_model(ModelArguments(args.model))
    data = TrainDataArguments(args.prepared, ["explicit", "implicit", "misinformed"], args.max_queries)
    out: dict[str, dict] = {}
    hits: dict[str, list[float]] = {}
    for setting in SETTINGS:
        prompt = PromptConfig(facts=True, max_facts=setting.facts, max_candidates=setting.candidates)
        cfg = EvalConfig(str(Path(args.out) / setting.name), batch_size=args.batch_size)
        evaluate(data, prompt, cfg, args.model, model, tokenizer)
        rows, _ = load_split(data, prompt, cfg.mode, cfg.split)
        by_id = read_scores(Path(cfg.output_dir))
        scores = [by_id[row_id] for row_id in rows["id"]]
        lengths = [len(ids) for ids in prompt_ids(tokenizer, rows["prompt"])]
        hits[setting.name] = [float(s["hit@1"]) for s in scores]
        out[setting.name] = {
            "candidates": setting.candidates,
            "facts": setting.facts,
            "hit@1": round(statistics.fmean(hits[setting.name]), 4),
            "format": round(statistics.fmean(float(s["format"]) for s in scores), 4),
            "prompt_tokens_mean": round(statistics.fmean(lengths), 1),
            "completion_tokens_mean": round(statistics.fmean(s["tokens"] for s in scores), 1),
            "generation_s_per_query": round(statistics.fmean(s["seconds"] for s in scores), 3),
        }
    base = SETTINGS[0].name
    for name in out:
        out[name]["hit1_diff_ci95"] = paired_interval(hits[base], hits[name])
    return {"model": args.model, "prepared": args.prepared, "queries": len(hits[base]), "baseline": base,
            "settings": out}  # fmt: skip


def markdown(result: dict) -> str:
    lines = [
        f"Model `{result['model']}`, {result['queries']} held-out test queries of `{result['prepared']}` "
        "(explicit, implicit, misinformed; one shown candidate right), greedy, batches of 16.",
        "",
        "| setting | candidates | facts | prompt tokens | completion tokens | gen s/query | Hit@1 | format | "
        f"Hit@1 − {result['baseline']}, 95% CI |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in result["settings"].items():
        ci = s["hit1_diff_ci95"]
        lines.append(
            f"| {name} | {s['candidates']} | {s['facts']} | {s['prompt_tokens_mean']} | {s['completion_tokens_mean']} "
            f"| {s['generation_s_per_query']} | {s['hit@1']:.3f} | {s['format']:.3f} | {ci} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/cpu-demo/final")
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--max_queries", type=int, default=90)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--out", default="runs/prompt-settings", help="one evaluation folder per setting (resumable)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = run(args)
    text = markdown(result)
    result = write_result("prompt_settings", result, text)
    print(json.dumps(result, indent=2) if args.json else text)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
