"""Does the answer budget (`--max_new_tokens`) decide the score? Per `rerec eval` folder and query type: the share
of answers cut off at the folder's own budget and the Hit@1 of the answers that finished. With `--long` and
`--short` (the same model and queries at two budgets): the paired Hit@1 difference, and the Hit@1 each budget in
between would give, read from the long run's answer lengths (greedy decoding: an answer shorter than a budget is
the same answer under it).

    python benchmarks/answer_budget.py --out reports/answer-budget \
        --evals reports/study-128-tokens/test/warm-start reports/study-128-tokens/test/grpo-seed0 \
                reports/study-128-tokens/test/rerec-seed0 \
        --long reports/answer-budget/warm-start-192 --short reports/study-128-tokens/val/warm-start

Why: at 128 tokens a third of the study warm start's multi-hop answers never reached their box, and RL mostly learned
brevity (docs/study.md, 2026-12-04 (late morning)). Writes `budget.json` and `budget.md`.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from common import write_pair

from rerec.eval.harness import read_scores
from rerec.eval.report import paired_lines
from rerec.eval.stats import PairedDifference, paired_difference

STEP = 16  # tokens between the budgets read off the long run's answer lengths


def budget_of(folder: Path) -> int:
    return int(json.loads((folder / "eval_settings.json").read_text())["max_new_tokens"])


def truncation(folder: Path) -> dict[str, dict]:
    """By query type (and `all`): answers, the share cut off at the budget, Hit@1, Hit@1 of finished answers."""
    budget, by_type = budget_of(folder), defaultdict(list)
    for score in read_scores(folder).values():
        by_type[score["type"]].append(score)
        by_type["all"].append(score)
    out = {}
    for kind, scores in sorted(by_type.items()):
        finished = [s for s in scores if s["tokens"] < budget]
        out[kind] = {
            "n": len(scores),
            "cut_off": sum(s["tokens"] >= budget for s in scores) / len(scores),
            "hit@1": sum(s["hit@1"] for s in scores) / len(scores),
            "hit@1_finished": sum(s["hit@1"] for s in finished) / len(finished) if finished else None,
        }
    return {"budget": budget, "types": out}


def budgets(long: Path, short: Path) -> dict:
    """The long run against the short one on their shared queries, by type, and the Hit@1 of the budgets between."""
    first, second = read_scores(long), read_scores(short)
    ids = sorted(set(first) & set(second))
    types = sorted({first[i]["type"] for i in ids})
    kinds = {"all": ids} | {kind: [i for i in ids if first[i]["type"] == kind] for kind in types}
    paired = {
        kind: asdict(paired_difference([first[i]["hit@1"] for i in chosen], [second[i]["hit@1"] for i in chosen]))
        for kind, chosen in kinds.items()
    }
    low, high = budget_of(short), budget_of(long)
    curve = {
        b: {
            "hit@1": sum(first[i]["hit@1"] for i in ids if first[i]["tokens"] < b) / len(ids),
            "cut_off": sum(first[i]["tokens"] >= b for i in ids) / len(ids),
        }
        for b in [*range(low, high, STEP), high]
    }
    return {"long": str(long), "short": str(short), "budgets": [low, high], "paired": paired, "curve": curve}


def markdown(result: dict) -> str:
    lines = ["# Answer budget", "", "## Cut off, and Hit@1 of the answers that finished", ""]
    lines += ["| evaluation | budget | type | n | cut off | Hit@1 | Hit@1 finished |", "|---|---|---|---|---|---|---|"]
    for folder, t in result["truncation"].items():
        for kind, row in t["types"].items():
            done = "–" if row["hit@1_finished"] is None else f"{row['hit@1_finished']:.3f}"
            lines.append(f"| `{folder}` | {t['budget']} | {kind} | {row['n']} | {row['cut_off']:.2f} | "
                         f"{row['hit@1']:.3f} | {done} |")  # fmt: skip
    if b := result.get("budget"):
        low, high = b["budgets"]
        lines += ["", f"## {high} against {low} tokens: `{b['long']}` − `{b['short']}`", ""]
        differences = {kind: PairedDifference(**p) for kind, p in b["paired"].items()}
        lines += paired_lines("hit@1", f"{high} tokens", f"{low} tokens", differences)
        lines += ["Hit@1 under each budget, from the long run's answer lengths:", "",
                  "| budget | Hit@1 | cut off |", "|---|---|---|"]  # fmt: skip
        lines += [f"| {k} | {v['hit@1']:.3f} | {v['cut_off']:.2f} |" for k, v in b["curve"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evals", nargs="*", type=Path, default=[], help="`rerec eval` folders")
    parser.add_argument("--long", type=Path, help="an evaluation at the longer budget")
    parser.add_argument("--short", type=Path, help="the same model and queries at the shorter budget")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if (args.long is None) != (args.short is None):
        parser.error("--long and --short go together")
    result: dict = {"truncation": {str(f): truncation(f) for f in args.evals}}
    if args.long:
        result["budget"] = budgets(args.long, args.short)
    write_pair(args.out, "budget", result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
