"""Throughput of the full shaped reward (format + NDCG + QAS + PAS) on one core, and of open-mode grounding.

    python benchmarks/reward_throughput.py --prepared runs/ml100k --json

Completions are built from the prepared test queries the way a small model writes them: two or three short
steps naming candidates, then a box with one candidate (the positive a third of the time), with spelling noise,
missing years, list marks and no box at all in some. Every completion text is distinct, so the first reward
of a batch always parses and grounds afresh; the other three reuse that reading, as in a TRL step.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pyarrow.parquet as pq  # noqa: E402
from common import write_result  # noqa: E402

from rerec.data.dataset import RecDataset  # noqa: E402
from rerec.data.grounding import TitleIndex, split_year  # noqa: E402
from rerec.rewards.shaping import build_rewards  # noqa: E402


def noisy(title: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return split_year(title)[0]  # no year
    if roll < 0.45 and len(title) > 6:
        i = rng.randrange(1, len(title) - 1)
        return title[:i] + title[i + 1 :]  # a dropped letter
    if roll < 0.55:
        return title.lower()
    return title


def completion(record: dict, serial: int, rng: random.Random) -> str:
    cands = [c["title"] for c in record["candidates"]]
    n_steps = rng.randint(2, 3)
    steps = [f"Step {i + 1}: {rng.choice(cands)} may fit the request ({serial}-{i})." for i in range(n_steps)]
    positive = next(c["title"] for c in record["candidates"] if c["item_id"] == record["positive_id"])
    pick = positive if rng.random() < 1 / 3 else rng.choice(cands)
    if rng.random() < 0.1:
        return "\n".join(steps) + f"\nI would go with {pick}."
    return "\n".join(steps) + f"\n\\boxed{{{rng.choice(['', '1. ', '**'])}{noisy(pick, rng)}}}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k", help="folder written by `rerec prepare`")
    parser.add_argument("--completions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=64, help="completions per reward call (a TRL step's batch)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    folder = Path(args.prepared)
    rng = random.Random(0)
    records = pq.read_table(folder / "queries" / "test.parquet").to_pylist()
    rows = [records[i % len(records)] for i in range(args.completions)]
    texts = [completion(r, i, rng) for i, r in enumerate(rows)]
    funcs, weights = build_rewards(folder)
    columns = ("ground_truth", "candidates", "conditions")
    start = time.perf_counter()
    for lo in range(0, len(rows), args.batch):
        batch = rows[lo : lo + args.batch]
        kwargs = {c: [r[c] for r in batch] for c in columns}
        for func in funcs:
            func(texts[lo : lo + args.batch], **kwargs)
    shaped_seconds = time.perf_counter() - start

    catalog = RecDataset.load(folder).catalog
    index = TitleIndex(catalog)
    titles = [noisy(item.display_title, rng) for item in catalog]
    start = time.perf_counter()
    grounded = [index.ground(t) for t in titles]
    ground_seconds = time.perf_counter() - start
    correct = sum(g == item.item_id for g, item in zip(grounded, catalog, strict=True))
    result = {
        "completions": len(texts),
        "reward_functions": [getattr(f, "__name__", type(f).__name__) for f in funcs],
        "reward_weights": weights,
        "completions_per_s": round(len(texts) / shaped_seconds),
        "open_grounding_titles_per_s": round(len(titles) / ground_seconds),
        "open_grounding_catalog_items": len(catalog),
        "open_grounding_accuracy": round(correct / len(titles), 4),
    }
    markdown = (
        f"Full shaped reward ({' + '.join(result['reward_functions'])}), candidates mode, one core: "
        f"**{result['completions_per_s']:,} completions/s** over {len(texts):,} distinct completions.\n\n"
        f"Open-mode grounding against all {len(catalog):,} items, noisy titles (no year / a dropped letter / "
        f"lower case): {result['open_grounding_titles_per_s']:,} titles/s, "
        f"{result['open_grounding_accuracy']:.1%} grounded to the right item."
    )
    result = write_result("reward_throughput", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
