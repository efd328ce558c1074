"""What a training run spent its rollouts on, from its `rollouts.jsonl` (issue 19, "where the study says no, find
out why"): per query type the groups tied on accuracy, the queries the sampler never served or served only to tie,
how large TRL's advantages were where accuracy tied, and which steps RAAE penalised, with examples.

    python benchmarks/rollout_digest.py reports/study-runs/runs/rerec-seed0 reports/study-runs/runs/grpo-seed0 \
        --out reports/study-2026-12/rollouts

A group is the rollouts of one query at one step; it is tied when all their accuracy (NDCG) rewards are equal,
`groups/accuracy_tied`'s rule. In a tied group the rest of the reward (the format term, and for ReRec QAS and PAS)
decides the ranking, and TRL's per-group std scales even a 0.01 difference to a full-size advantage (the audit's
D5): the mean |advantage| in tied groups against untied ones says how much of an update that is. A right answer
is one whose accuracy reward is above 0 (at the candidates mode's NDCG@1: the top item is a positive). Writes
`rollouts.json` and `rollouts.md` (or prints the Markdown without `--out`).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from collections import defaultdict
from pathlib import Path

from common import write_pair

from rerec.training.metrics_log import ROLLOUTS_FILE

ACCURACY = "ndcg_reward"
EXAMPLES = 5  # penalised steps quoted per run


def groups(records: list[dict]) -> dict[tuple[int, str], list[dict]]:
    """(step, query id) -> that group's rollouts."""
    out: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for record in records:
        out[record["step"], record["query"]].append(record)
    return out


def digest(run: Path, seed: int = 0) -> dict:
    """One run's digest: by type, then the queries never served or always tied, then RAAE's penalised steps."""
    path = run / ROLLOUTS_FILE
    if not path.is_file():
        raise ValueError(f"{run} has no {ROLLOUTS_FILE}: it was trained before rerec logged rollouts")
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_group = groups(records)
    tied = {key: len({r["rewards"].get(ACCURACY) for r in rollouts}) == 1 for key, rollouts in by_group.items()}
    types: dict[str, dict] = {}
    for key, rollouts in by_group.items():
        row = types.setdefault(rollouts[0]["type"], {"groups": 0, "tied": 0, "accuracy": []})
        row["groups"] += 1
        row["tied"] += tied[key]
        row["accuracy"] += [r["rewards"].get(ACCURACY) or 0.0 for r in rollouts]
    by_type = {
        kind: {"groups": row["groups"], "tied_share": row["tied"] / row["groups"],
               "mean_accuracy_reward": statistics.fmean(row["accuracy"])}
        for kind, row in sorted(types.items())
    }  # fmt: skip
    looks: dict[str, list[bool]] = defaultdict(list)
    for (_step, query), is_tied in sorted(tied.items()):
        looks[query].append(is_tied)
    pool = (run / "queries.txt").read_text().split() if (run / "queries.txt").is_file() else []
    penalised = [(r, step) for r in records for step in r["penalised"] or ()]
    assessed = [r for r in records if r["penalised"] is not None]
    right = [r for r in assessed if (r["rewards"].get(ACCURACY) or 0.0) > 0]
    examples = random.Random(seed).sample(penalised, min(EXAMPLES, len(penalised)))
    size = {is_tied: [abs(r["advantage"]) for key, t in tied.items() if t == is_tied for r in by_group[key]]
            for is_tied in (True, False)}  # fmt: skip
    return {
        "run": str(run),
        "steps": max(r["step"] for r in records),
        "rollouts": len(records),
        "groups": len(by_group),
        "tied_share": sum(tied.values()) / len(tied),
        "by_type": by_type,
        "never_served": sorted(set(pool) - set(looks)),
        "always_tied": sorted(q for q, ts in looks.items() if all(ts)),
        "served_once": sum(len(ts) == 1 for ts in looks.values()),
        "mean_abs_advantage": {
            "tied": statistics.fmean(size[True]) if size[True] else None,
            "untied": statistics.fmean(size[False]) if size[False] else None,
        },  # fmt: skip
        "raae": None
        if not assessed
        else {
            "penalised_steps": len(penalised),
            "answers_with_a_penalty": sum(bool(r["penalised"]) for r in assessed) / len(assessed),
            "right_answers_with_a_penalty": sum(bool(r["penalised"]) for r in right) / len(right) if right else None,
            "examples": [{"query": r["query"], "type": r["type"], "step": step} for r, step in examples],
        },
    }


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def markdown(digests: list[dict]) -> str:
    lines = ["# Where the rollouts went", ""]
    for d in digests:
        lines += [
            f"## {d['run']}",
            "",
            f"{d['steps']} steps, {d['rollouts']} rollouts in {d['groups']} groups; tied on accuracy: "
            f"{d['tied_share']:.2f}. Queries never served: {len(d['never_served'])}; served only to tie: "
            f"{len(d['always_tied'])}; served once: {d['served_once']}. Mean |advantage| in tied groups: "
            f"{_number(d['mean_abs_advantage']['tied'])} (untied: {_number(d['mean_abs_advantage']['untied'])}).",
            "",
            "| type | groups | tied | mean accuracy reward |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {kind} | {row['groups']} | {row['tied_share']:.2f} | {row['mean_accuracy_reward']:+.3f} |"
            for kind, row in d["by_type"].items()
        ]
        raae = d["raae"]
        if raae:
            right = raae["right_answers_with_a_penalty"]
            lines += [
                "",
                f"RAAE penalised {raae['penalised_steps']} steps; answers with a penalised step: "
                f"{raae['answers_with_a_penalty']:.2f} (right answers: {'–' if right is None else f'{right:.2f}'}). "
                "Examples:",
                "",
                *[f"- {e['type']} `{e['query']}`: {e['step']}" for e in raae["examples"]],
            ]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="training run folders (`rerec train --output_dir`)")
    parser.add_argument("--out", type=Path, help="folder for rollouts.json and rollouts.md")
    parser.add_argument("--seed", type=int, default=0, help="which penalised steps are quoted")
    args = parser.parse_args()
    digests = [digest(run, args.seed) for run in args.runs]
    text = markdown(digests)
    if args.out is None:
        print(text)
        return 0
    print(f"wrote {write_pair(args.out, 'rollouts', digests, text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
