"""Does the prompt show the facts a query's conditions need? For each condition query of a split, the prompt is
built as rerec builds it (20 candidates, `--max_facts` facts by entity) in each `--facts_order`, and counted as
covered when every condition's line (`relation entity: ...`) lists the positive and, for a multi-hop condition,
a film the query names. With `--scores`, each `rerec eval` folder's Hit@1 is split by coverage of the prompt
order it was evaluated with (its `eval_settings.json`).

    python benchmarks/facts_coverage.py --split val --out reports/facts-coverage \
        --scores reports/study-hops-prompt/val/warm-start reports/study-128-tokens/val/warm-start

Why: under the cap, `hops` order left the evidence out of a third of 20-candidate prompts, and on those the
study's warm start was near chance (docs/study.md, 2026-12-04). Writes `coverage.json` and `coverage.md`.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from common import write_pair

from rerec.data.dataset import RecDataset
from rerec.data.queries.schema import read_queries
from rerec.eval.harness import read_scores
from rerec.task.prompts import FACTS_ORDERS, PromptConfig, build_messages
from rerec.task.rows import hinted_titles


def covered(record: dict, prompt: str, titles: dict[str, str], positive: str) -> bool:
    """Every condition's line names the positive and, for a multi-hop condition, one of its hinted films."""
    lines = prompt.split("\n")
    for condition in record["conditions"]:
        head = f"{condition['relation']} {condition['entity_name']}:"
        line = next((line for line in lines if line.startswith(head)), "")
        hints = [titles[i] for i in condition["via_items"] if i in titles]
        if positive not in line or (hints and not any(hint in line for hint in hints)):
            return False
    return True


def coverage(ds: RecDataset, records: list[dict], cfg: PromptConfig, scores: dict | None) -> dict:
    """Per query type: prompts, covered share, and (with scores) Hit@1 where covered and where not."""
    tally: dict[str, dict[bool, list[float]]] = defaultdict(lambda: {True: [], False: []})
    for record in records:
        titles = hinted_titles(record, ds)
        prompt = build_messages(record, cfg, "candidates", ds.catalog.noun, titles)[1]["content"]
        shown = covered(record, prompt, titles, ds.catalog[record["positive_id"]].display_title)
        hit = scores[record["id"]]["hit@1"] if scores and record["id"] in scores else float("nan")
        tally[record["type"]][shown].append(hit)
    out = {}
    for kind, split in sorted(tally.items()):
        n = len(split[True]) + len(split[False])
        row = {"queries": n, "covered": len(split[True]), "covered_share": len(split[True]) / n}
        if scores:
            for shown, name in ((True, "hit@1_covered"), (False, "hit@1_cut")):
                row[name] = sum(split[shown]) / len(split[shown]) if split[shown] else None
        out[kind] = row
    return out


def markdown(result: dict) -> str:
    split, candidates, facts = result["split"], result["candidates"], result["max_facts"]
    lines = [f"# Facts coverage: {split} split, {candidates} candidates, {facts} facts"]
    lines += ["", "| order | type | queries | covered | Hit@1 covered | Hit@1 cut |", "|---|---|---|---|---|---|"]
    for order, types in result["orders"].items():
        for kind, row in types.items():
            hits = [row.get(k) for k in ("hit@1_covered", "hit@1_cut")]
            cells = ["–" if h is None else f"{h:.3f}" for h in hits]
            lines.append(f"| {order} | {kind} | {row['queries']} | {row['covered_share']:.2f} | {' | '.join(cells)} |")
    lines += ["", *(f"Hit@1 by `{order}`: `{folder}`." for order, folder in result["scores"].items())]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--split", default="val", help="the query split (pilots: val)")
    parser.add_argument("--max_facts", type=int, default=30)
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--orders", nargs="+", default=["hops", "evidence"], choices=FACTS_ORDERS)
    parser.add_argument("--scores", type=Path, nargs="+", default=[], help="`rerec eval` folders, one per order")
    parser.add_argument("--out", type=Path, help="folder for coverage.json and coverage.md (else print)")
    args = parser.parse_args()
    ds = RecDataset.load(Path(args.prepared))
    records = [r for r in read_queries(Path(args.prepared) / "queries" / f"{args.split}.parquet") if r["conditions"]]
    folders: dict[str, Path] = {}
    for folder in args.scores:  # an evaluation from before `facts_order` existed used the record order
        order = json.loads((folder / "eval_settings.json").read_text()).get("facts_order", "record")
        if order in folders:
            parser.error(f"{folders[order]} and {folder} were both evaluated with facts_order {order!r}: give one")
        folders[order] = folder
    scores = {order: read_scores(folder) for order, folder in folders.items()}
    if scores:  # the queries every scored evaluation answered
        records = [r for r in records if all(r["id"] in s for s in scores.values())]
    result = {"split": args.split, "candidates": args.candidates, "max_facts": args.max_facts,
              "scores": {order: str(folder) for order, folder in folders.items()}, "orders": {}}  # fmt: skip
    for order in args.orders:
        cfg = PromptConfig(max_facts=args.max_facts, max_candidates=args.candidates, facts_order=order)
        result["orders"][order] = coverage(ds, records, cfg, scores.get(order))
    if args.out:
        write_pair(args.out, "coverage", result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
