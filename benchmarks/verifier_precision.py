"""Precision of the step verifier on generated correct and incorrect statements.

    python benchmarks/verifier_precision.py --prepared runs/ml100k --json

For each test query, each candidate and each relation of the query's facts, one true statement (a fact from the
graph, in rerec's wording) and one false one (the entity swapped for another candidate's entity under the same
relation that this item lacks). Reports, per relation and overall: coverage (statements where a claim was
read), precision and recall of the "false" verdict, and the share of true statements wrongly flagged.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
from common import write_result

from rerec.data.dataset import RecDataset
from rerec.task.verifier import StepVerifier, state


def statements(record: dict, ds: RecDataset, rng: random.Random) -> list[tuple[str, str, bool]]:
    """(relation, sentence, is_true) for one query."""
    graph, out = ds.graph, []
    items = [c["item_id"] for c in record["candidates"]]
    by_relation = defaultdict(set)
    for fact in record["facts"]:
        by_relation[fact["relation"]].add(fact["entity_id"])
    for item in items:
        title = ds.catalog[item].display_title
        for relation, pool in sorted(by_relation.items()):
            true = sorted(graph.entities(item, relation))
            false = sorted(e for e in pool if e not in graph.entities(item, relation))
            label = lambda e: graph.name(e) or e  # noqa: E731
            if true and (sentence := state(title, relation, label(rng.choice(true)))):
                out.append((relation, sentence, True))
            if true and false and (sentence := state(title, relation, label(rng.choice(false)))):
                out.append((relation, sentence, False))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(args.prepared)
    ds = RecDataset.load(folder)
    rng = random.Random(0)
    counts: dict[str, Counter] = defaultdict(Counter)
    for record in pq.read_table(folder / "queries" / "test.parquet").to_pylist()[: args.queries]:
        verifier = StepVerifier(ds.graph, ds.catalog, [c["item_id"] for c in record["candidates"]])
        for relation, sentence, is_true in statements(record, ds, rng):
            verdicts = {c.verdict for c in verifier.claims(sentence)} or {"none"}
            flagged = "false" in verdicts
            counts[relation][(is_true, "flagged" if flagged else "read" if verdicts != {"none"} else "none")] += 1
    rows, totals = {}, Counter()
    for relation, c in sorted(counts.items()):
        totals.update(c)
        rows[relation] = _summary(c)
    result = {"queries": args.queries, "overall": _summary(totals), "by_relation": rows}
    table = "\n".join(
        f"| {r} | {v['statements']} | {v['coverage']:.3f} | {v['false_precision']:.3f} | {v['false_recall']:.3f} |"
        for r, v in [("all", result["overall"]), *rows.items()]
    )
    markdown = (
        f"Generated statements about the candidates of {args.queries} test queries (half true, half with a "
        "swapped entity).\n\n| relation | statements | coverage | precision (false) | recall (false) |\n"
        f"|---|---|---|---|---|\n{table}"
    )
    result = write_result("verifier_precision", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


def _summary(c: Counter) -> dict:
    n = sum(c.values())
    flagged_false, flagged_true = c[(False, "flagged")], c[(True, "flagged")]
    false_total = sum(v for (t, _), v in c.items() if not t)
    return {
        "statements": n,
        "coverage": round(1 - (c[(True, "none")] + c[(False, "none")]) / n, 4) if n else 0.0,
        "false_precision": round(flagged_false / (flagged_false + flagged_true), 4)
        if flagged_false + flagged_true
        else 0.0,
        "false_recall": round(flagged_false / false_total, 4) if false_total else 0.0,
    }


if __name__ == "__main__":
    raise SystemExit(main())
