"""How much does the knowledge graph say about an interest query's answer? Each candidate is scored by the graph
facts it shares with the films the user liked (each shared fact counts once per liked film that has it), and the
top-scored candidate is read as the pick: Hit@1, with ties broken at random (in expectation), at each candidate
count the study reads (the positive and the first negatives of the query's own list, as its prompts show them).
Liked films are the ones the query names (`named`) or the user's whole history (`history`); facts are all of a
film's relations or one relation at a time.

    python benchmarks/interest_signal.py --splits train val --out reports/interest-signal

Why: every model of the study sits near chance on interest queries (docs/study.md, 2026-12-05, night), and its
answers reason only about each candidate's own decade and genres, since the prompt gives no facts about the liked
films. Before a prompt that does, this measures how far such facts could lead at all. Writes `signal.json` and
`signal.md`. Reads no test queries unless asked.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from common import write_pair

from rerec.data.dataset import RecDataset
from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.data.queries.schema import read_queries
from rerec.eval.stats import mean_interval
from rerec.task.prompts import shown_candidates

ALL = "all"


def liked_films(record: dict) -> dict[str, list[str]]:
    """The liked films two ways: those the query names (by title) and the user's whole history."""
    return {"named": [h["item_id"] for h in record["history"] if h["title"] in record["query"]],
            "history": [h["item_id"] for h in record["history"]]}  # fmt: skip


def facts_of(graph: KnowledgeGraph, items: Iterable[str], relation: str) -> Counter:
    """The items' facts over one relation or `ALL`, each counted once per item that has it."""
    return Counter(f for item in items for f in graph.attributes(item) if relation in (ALL, f[0]))


def shared_facts(graph: KnowledgeGraph, liked: Counter, candidate: str, relation: str) -> int:
    """How many (liked film, fact) pairs the candidate matches: `liked` is `facts_of` the liked films."""
    return sum(liked[f] for f in facts_of(graph, [candidate], relation))


def expected_hit(scores: list[float], positive: int) -> float:
    """Hit@1 of the top score, ties broken uniformly at random: 1/ties when the positive is among the top."""
    top = max(scores)
    return float(scores[positive] == top) / sum(s == top for s in scores)


def signal(graph: KnowledgeGraph, records: list[dict], counts: list[int]) -> dict:
    """Per candidate count, liked-film source and relation: Hit@1 with its 95% interval, and chance."""
    relations = [ALL, *graph.relations]
    hits: dict[tuple[int, str, str], list[float]] = {}
    for record in records:
        shown = {count: [c["item_id"] for c in shown_candidates(record, count)] for count in counts}
        for source, films in liked_films(record).items():
            for relation in relations:
                liked = facts_of(graph, films, relation)
                for count, items in shown.items():
                    scores = [shared_facts(graph, liked, c, relation) for c in items]
                    hit = expected_hit(scores, items.index(record["positive_id"]))
                    hits.setdefault((count, source, relation), []).append(hit)
    out: dict = {}
    for (count, source, relation), values in hits.items():
        block = out.setdefault(str(count), {"chance": 1 / count, "sources": {}})
        interval = mean_interval(values)
        block["sources"].setdefault(source, {})[relation] = {"hit@1": interval.mean, "low": interval.low,
                                                            "high": interval.high}  # fmt: skip
    return out


def unshowable(records: list[dict], counts: list[int]) -> str | None:
    """Why a count cannot be read: a query with fewer candidates would show them all, and the chance line would
    be wrong."""
    fewest = min(len(r["candidates"]) for r in records)
    return f"{max(counts)} asked, but some queries have only {fewest}" if max(counts) > fewest else None


def markdown(result: dict) -> str:
    lines = ["# Interest queries: Hit@1 from the graph facts shared with the liked films", ""]
    for split, block in result["splits"].items():
        lines += [f"## {split} split, {block['queries']} interest queries", ""]
        for count, table in block["candidates"].items():
            lines += [f"### {count} candidates (chance {table['chance']:.3f})", "",
                      "| liked films | relation | Hit@1 [95% interval] |", "|---|---|---|"]  # fmt: skip
            for source, rows in table["sources"].items():
                for relation, row in rows.items():
                    cell = f"{row['hit@1']:.3f} [{row['low']:.3f}, {row['high']:.3f}]"
                    lines.append(f"| {source} | {relation} | {cell} |")
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--splits", nargs="+", default=["val"], help="query splits to read (test only on purpose)")
    parser.add_argument("--candidates", type=int, nargs="+", default=[20, 5], help="candidate counts, as shown")
    parser.add_argument("--out", type=Path, help="folder for signal.json and signal.md (else print)")
    args = parser.parse_args()
    graph = RecDataset.load(Path(args.prepared)).graph
    result: dict = {"prepared": args.prepared, "splits": {}}
    for split in args.splits:
        records = [r for r in read_queries(Path(args.prepared) / "queries" / f"{split}.parquet")
                   if r["type"] == "interest"]  # fmt: skip
        if not records:
            parser.error(f"the {split} split has no interest queries")
        if problem := unshowable(records, args.candidates):
            parser.error(f"--candidates: {problem} in the {split} split")
        result["splits"][split] = {"queries": len(records), "candidates": signal(graph, records, args.candidates)}
    if args.out:
        write_pair(args.out, "signal", result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
