"""LightGCN vs popularity on ml-100k's held-out interactions: full ranking, training items excluded.

    python benchmarks/lightgcn_quality.py --prepared runs/ml100k --json

Held out = the liked (user, item) pairs in `interactions.parquet` but not in `train_interactions.parquet`
(the ground truth of val/test queries). Both rankers see the training interactions only; each user's
training items are removed from its ranking. If LightGCN did not beat popularity, PAS would be noise.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import write_result

from rerec.data.dataset import RecDataset
from rerec.data.lightgcn import LightGCNConfig, train_lightgcn
from rerec.task.metrics import ndcg_at_k, recall_at_k

K = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(args.prepared)
    train = RecDataset.load_train(folder)
    full = RecDataset.load(folder).interactions
    start = time.perf_counter()
    emb = train_lightgcn(train.interactions, train.catalog.ids, LightGCNConfig())
    seconds = time.perf_counter() - start
    items = np.array(emb.item_ids)
    popularity = train.interactions.popularity()
    by_popularity = sorted(items.tolist(), key=lambda i: (-popularity.get(i, 0), i))
    scores: dict[str, list[float]] = {"lightgcn_recall": [], "lightgcn_ndcg": [], "pop_recall": [], "pop_ndcg": []}
    for user in train.interactions.users:
        seen = {r.item_id for r in train.interactions.history(user)}
        held = set(full.positives(user)) - seen
        if not held:
            continue
        ranking = np.argsort(-(emb.items @ emb.users[emb.user_row[user]]))
        top = [i for i in items[ranking].tolist() if i not in seen][:K]
        pop = [i for i in by_popularity if i not in seen][:K]
        scores["lightgcn_recall"].append(recall_at_k(top, held, K))
        scores["lightgcn_ndcg"].append(ndcg_at_k(top, held, K))
        scores["pop_recall"].append(recall_at_k(pop, held, K))
        scores["pop_ndcg"].append(ndcg_at_k(pop, held, K))
    mean = {k: round(float(np.mean(v)), 4) for k, v in scores.items()}
    result = {
        "users_evaluated": len(scores["pop_ndcg"]),
        f"lightgcn_recall@{K}": mean["lightgcn_recall"],
        f"popularity_recall@{K}": mean["pop_recall"],
        f"lightgcn_ndcg@{K}": mean["lightgcn_ndcg"],
        f"popularity_ndcg@{K}": mean["pop_ndcg"],
        "train_seconds": round(seconds, 1),
        "config": vars(LightGCNConfig()),
    }
    markdown = (
        f"Held-out liked items of {result['users_evaluated']} val/test users, full ranking over "
        f"{len(items):,} items, training items excluded.\n\n| ranker | recall@{K} | ndcg@{K} |\n|---|---|---|\n"
        f"| LightGCN ({result['train_seconds']} s training) | {mean['lightgcn_recall']} | {mean['lightgcn_ndcg']} |\n"
        f"| popularity | {mean['pop_recall']} | {mean['pop_ndcg']} |"
    )
    result = write_result("lightgcn_quality", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
