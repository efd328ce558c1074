"""`rerec prepare`: load a source, generate the query benchmark and write one self-contained folder.

Output layout::

    OUT/
      dataset.json  catalog.jsonl  entities.jsonl  kg.parquet  users.jsonl
      kg_links.jsonl               items joined to an outside graph by title (ml-100k + Wikidata), to check
      interactions.parquet         all interactions
      train_interactions.parquet   minus the (user, item) pairs that are ground truth of val/test queries;
                                   LightGCN and every collaborative baseline train on this file only
      lightgcn.safetensors         LightGCN item/user embeddings (PAS, retrieval), from the file above
      queries/{train,val,test}.parquet  load with datasets.load_dataset("parquet", data_files=...)
      summary.json
      .rerec-output.json           marks the folder as rerec's, so that `--overwrite` may replace it
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from rerec.config import QUERY_TYPES, DataConfig
from rerec.data.atomic import atomic_folder, check_folder
from rerec.data.dataset import TRAIN_INTERACTIONS_FILE, RecDataset, write_interactions
from rerec.data.lightgcn import EMBEDDINGS_FILE, LightGCNConfig, train_lightgcn
from rerec.data.queries.generator import QueryGenerator
from rerec.data.queries.schema import write_queries

logger = logging.getLogger(__name__)

KIND = "prepare"
SPLITS = ("train", "val", "test")


def load_source(cfg: DataConfig) -> RecDataset:
    """Dispatch to the loader of `cfg.dataset` (imports stay local: each loader has its own needs)."""
    data_dir = Path(cfg.data_dir) if cfg.data_dir else None
    if cfg.dataset == "ml-100k":
        from rerec.data.sources.ml100k import load_ml100k

        return load_ml100k(data_dir, cfg.positive_threshold, cfg.kg or "wikidata")
    if cfg.dataset == "ml-1m":
        from rerec.data.sources.movielens import load_ml1m

        return load_ml1m(data_dir, cfg.positive_threshold)
    if cfg.dataset == "bookcrossing":
        from rerec.data.sources.bookcrossing import load_bookcrossing

        return load_bookcrossing(data_dir, cfg.positive_threshold)
    from rerec.data.sources.generic import load_generic

    return load_generic(data_dir, cfg.positive_threshold)


def prepare(cfg: DataConfig, lightgcn: LightGCNConfig | None = None) -> dict:
    """Run the whole preparation and return the summary written to `summary.json`."""
    lightgcn = lightgcn or LightGCNConfig()
    # Refused before any work: never replace a folder that is not an earlier prepare output, nor the input.
    check_folder(Path(cfg.out), KIND, cfg.overwrite, inputs=[Path(cfg.data_dir) if cfg.data_dir else None])
    start = time.perf_counter()
    logger.info("loading %s", cfg.dataset)
    generator = None
    if cfg.dataset == "recbench":  # the published queries, all test: an external check, never trained on
        from rerec.data.sources.recbenchplus import load_recbench_folder

        ds, queries = load_recbench_folder(Path(cfg.data_dir))
    else:
        ds = load_source(cfg)
        generator = QueryGenerator(ds, cfg)
        queries = generator.generate()
    logger.info(
        "%s: %d items, %d users, %d interactions, %d graph triples",
        ds.name, len(ds.catalog), len(ds.interactions.users), len(ds.interactions), len(ds.graph),
    )  # fmt: skip
    logger.info("%d queries; writing %s", len(queries), cfg.out)
    held_out = {
        (q["user_id"], g["item_id"])
        for q in queries
        if q["split"] != "train" and q["user_id"]
        for g in q["ground_truth"]
    }
    train_interactions = ds.interactions.without(held_out)
    summary = summarize(ds, cfg, queries, generator, len(train_interactions))
    with atomic_folder(Path(cfg.out), KIND, cfg.overwrite) as folder:
        ds.save(folder)
        write_interactions(train_interactions, folder / TRAIN_INTERACTIONS_FILE)
        if lightgcn.lightgcn and len(train_interactions):
            logger.info("training LightGCN on the training interactions")
            train_lightgcn(train_interactions, ds.catalog.ids, lightgcn, cfg.seed).save(folder / EMBEDDINGS_FILE)
        (folder / "queries").mkdir()
        for split in SPLITS:
            write_queries([q for q in queries if q["split"] == split], folder / "queries" / f"{split}.parquet")
        (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    logger.info("prepared %s in %.1f s -> %s", ds.name, time.perf_counter() - start, cfg.out)
    return summary


def summarize(ds: RecDataset, cfg: DataConfig, queries: list[dict], gen: QueryGenerator | None, n_train: int) -> dict:
    """Counts per type x split, ground-truth sizes, condition counts and hops; no timing (output stays
    byte-identical for one seed). `gen` is None for published queries (RecBench+)."""
    by_type = {t: [q for q in queries if q["type"] == t] for t in QUERY_TYPES}
    return {
        "dataset": ds.name,
        "seed": cfg.seed,
        "catalog_items": len(ds.catalog),
        "users": len(set(ds.users) | set(ds.interactions.users)),  # RecBench+ ships users.dat without ratings
        "interactions": len(ds.interactions),
        "train_interactions": n_train,
        "kg_triples": len(ds.graph),
        "kg_relations": ds.graph.relations,
        **kg_coverage(ds),
        "dropped_rows": ds.dropped,
        "split_users": dict(sorted(Counter(gen.split.values()).items())) if gen else {},
        "queries": {t: {s: sum(q["split"] == s for q in qs) for s in SPLITS} for t, qs in by_type.items()},
        "total_queries": len(queries),
        "targets": gen.report.target if gen else {},
        "attempts": gen.report.attempts if gen else {},
        "ground_truth_size": {t: _stats([len(q["ground_truth"]) for q in qs]) for t, qs in by_type.items()},
        "num_conditions": {t: _histogram(q["num_conditions"] for q in qs) for t, qs in by_type.items()},
        "hops": {t: _histogram(q["hops"] for q in qs) for t, qs in by_type.items()},
        "facts_per_query": {t: _stats([len(q["facts"]) for q in qs]) for t, qs in by_type.items()},
        "candidates": cfg.num_candidates,
        "negative_mix": dict(zip(("hard", "popular", "random"), cfg.negative_mix, strict=True)),
    }


def kg_coverage(ds: RecDataset) -> dict[str, float]:
    """Shares of the catalog's items, and of all ratings, whose item has at least one hop-relation fact (a
    person or company): what the graph adds beyond the item file's own attributes."""
    covered = {i for i in ds.catalog.ids if any(ds.graph.entities(i, r) for r in ds.hop_relations)}
    rated = ds.interactions.popularity()  # ratings per item
    total = sum(rated.values())
    return {
        "kg_coverage_items": round(len(covered) / len(ds.catalog), 4) if len(ds.catalog) else 0.0,
        "kg_coverage_ratings": round(sum(rated.get(i, 0) for i in covered) / total, 4) if total else 0.0,
    }


def _stats(values: list[int]) -> dict:
    if not values:
        return {"mean": 0.0, "min": 0, "max": 0}
    return {"mean": round(statistics.fmean(values), 3), "min": min(values), "max": max(values)}


def _histogram(values: Iterable[int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(values).items())}
