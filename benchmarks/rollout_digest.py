"""What a training run spent its rollouts on, from its `rollouts.jsonl` (issue 19, "where the study says no, find
out why"): per query type the groups tied on accuracy, the queries the sampler never served or served only to tie,
how large TRL's advantages were where accuracy tied, and which steps RAAE penalised, with examples. With `--graph`,
the graph's reading of the rollouts themselves: the false-step share of right and of wrong answers, and on queries
served at least twice the first look against the last.

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
import functools
import json
import random
import statistics
from collections import defaultdict
from pathlib import Path

from common import write_pair

from rerec.data.dataset import RecDataset
from rerec.data.queries.schema import read_queries
from rerec.models import read_settings
from rerec.task.rows import row_titles, training_rows
from rerec.task.verifier import StepVerifier, step_claims, step_tally
from rerec.training.metrics_log import ROLLOUTS_FILE

ACCURACY = "ndcg_reward"
EXAMPLES = 5  # penalised steps quoted per run


def groups(records: list[dict]) -> dict[tuple[int, str], list[dict]]:
    """(step, query id) -> that group's rollouts."""
    out: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for record in records:
        out[record["step"], record["query"]].append(record)
    return out


def digest(run: Path, seed: int = 0, graph: bool = False) -> dict:
    """One run's digest: by type, then the queries never served or always tied, then RAAE's penalised steps, and
    with `graph` the verifier's reading of the rollouts (`graph_digest`)."""
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
        "graph": graph_digest(run, records) if graph else None,
    }


@functools.cache
def _prepared(folder: Path) -> tuple[RecDataset, dict[str, dict]]:
    """A prepared folder's data as training sees it, and its training queries by id."""
    ds = RecDataset.load_train(folder)
    return ds, {r["id"]: r for r in read_queries(folder / "queries" / "train.parquet")}


def _shares(tallies: list[dict]) -> dict:
    """Answers, their false-step share (pooled over steps, as `rerec eval` counts it) and the share that is right."""
    steps, false = sum(t["checked_steps"] for t in tallies), sum(t["false_steps"] for t in tallies)
    return {"answers": len(tallies), "false_step_share": false / steps if steps else None,
            "hit": statistics.fmean(t["right"] for t in tallies) if tallies else None}  # fmt: skip


def graph_digest(run: Path, records: list[dict]) -> dict:
    """The step verifier on the rollouts themselves, with the prompts the run trained on (its `rerec.json`): the
    false-step share of right and of wrong answers, and on queries served at least twice their first look against
    their last. Per-step buckets would mix whatever queries the curriculum chose; the same query before and after
    the updates between its looks says whether the policy's reasoning and answers on it changed."""
    settings = read_settings(run)
    if settings is None or not settings.prepared or not Path(settings.prepared).is_dir():
        raise ValueError(f"{run}'s rerec.json names no prepared folder on this machine: --graph needs it")
    ds, queries = _prepared(Path(settings.prepared))
    ids = list(dict.fromkeys(r["query"] for r in records))
    if missing := [q for q in ids if q not in queries]:
        raise ValueError(f"{run} rolled out queries that {settings.prepared} has not in its training split: "
                         f"{missing[:5]} (prepared again with other settings?)")  # fmt: skip
    wanted = [queries[q] for q in ids]
    rows = {row["id"]: row for row in training_rows(wanted, ds, settings.prompt, settings.mode)}
    verifiers = {q: StepVerifier(ds.graph, ds.catalog, row_titles(row)) for q, row in rows.items()}
    tallies = [{**step_tally(step_claims(verifiers[r["query"]], r["completion"])),
                "right": float((r["rewards"].get(ACCURACY) or 0.0) > 0)} for r in records]  # fmt: skip
    looks: dict[str, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for record, tally in zip(records, tallies, strict=True):
        looks[record["query"]][record["step"]].append(tally)
    revisited = [steps for steps in looks.values() if len(steps) > 1]
    return {
        "right": _shares([t for t in tallies if t["right"]]),
        "wrong": _shares([t for t in tallies if not t["right"]]),
        "all": _shares(tallies),
        "revisited_queries": len(revisited),
        "first_look": _shares([t for steps in revisited for t in steps[min(steps)]]),
        "last_look": _shares([t for steps in revisited for t in steps[max(steps)]]),
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
        if d["graph"]:
            g = d["graph"]
            lines += [
                "",
                f"The graph on the rollouts: false-step share {_number(g['all']['false_step_share'])} (right answers "
                f"{_number(g['right']['false_step_share'])}, wrong {_number(g['wrong']['false_step_share'])}). On "
                f"the {g['revisited_queries']} queries served more than once, first look → last: false-step share "
                f"{_number(g['first_look']['false_step_share'])} → {_number(g['last_look']['false_step_share'])}, "
                f"right answers {_number(g['first_look']['hit'])} → {_number(g['last_look']['hit'])}.",
            ]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="training run folders (`rerec train --output_dir`)")
    parser.add_argument("--out", type=Path, help="folder for rollouts.json and rollouts.md")
    parser.add_argument("--seed", type=int, default=0, help="which penalised steps are quoted")
    parser.add_argument(
        "--graph", action="store_true", help="check the rollouts' steps in the graph (needs the run's prepared folder)"
    )
    args = parser.parse_args()
    digests = [digest(run, args.seed, args.graph) for run in args.runs]
    text = markdown(digests)
    if args.out is None:
        print(text)
        return 0
    print(f"wrote {write_pair(args.out, 'rollouts', digests, text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
