"""Training rows: a prompt per query plus the columns the rewards, RAAE and the curriculum read."""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset

from rerec.data.dataset import RecDataset
from rerec.data.prompts import PromptConfig, build_messages, shown_candidates
from rerec.data.queries.schema import read_queries
from rerec.training.config import TrainDataArguments


def hinted_titles(record: dict, ds: RecDataset) -> dict[str, str]:
    """Titles of the items a query's hints name, so their facts can be shown and checked."""
    ids = {i for c in record["conditions"] for i in c["via_items"] + c["false_via_items"]}
    return {i: ds.catalog[i].display_title for i in sorted(ids) if i in ds.catalog}


def row_titles(row: dict) -> dict[str, str]:
    """Item id -> title for everything a training row's prompt names: shown candidates and hinted items."""
    return {c["item_id"]: c["title"] for c in list(row["candidates"]) + list(row["hinted"])}


def training_rows(records: list[dict], ds: RecDataset, prompt: PromptConfig, mode: str) -> list[dict]:
    rows = []
    for index, record in enumerate(records):
        titles = hinted_titles(record, ds)
        cands = shown_candidates(record, prompt.max_candidates) if mode == "candidates" else []
        shown = {**record, "candidates": cands}
        rows.append(
            {
                "prompt": build_messages(shown, prompt, mode, ds.catalog.noun, titles),
                "query_index": index,
                "id": record["id"],
                "query": record["query"],
                "type": record["type"],
                "num_conditions": record["num_conditions"],
                "ground_truth": record["ground_truth"],
                "positive_id": record["positive_id"],
                "facts": record["facts"],
                "candidates": cands,
                "conditions": record["conditions"],
                "hinted": [{"item_id": k, "title": v} for k, v in titles.items()],
            }
        )
    return rows


def balanced_subset(records: list[dict], n: int) -> list[dict]:
    """The first `n` records taken round-robin over query types: the split files are grouped by type, so a plain
    head would be a single type."""
    by_type: dict[str, list[dict]] = {}
    for record in records:
        by_type.setdefault(record["type"], []).append(record)
    queues = [iter(group) for group in by_type.values()]
    out: list[dict] = []
    while queues and len(out) < n:
        for queue in list(queues):
            record = next(queue, None)
            if record is None:
                queues.remove(queue)
            elif len(out) < n:
                out.append(record)
    return out


def load_split(
    args: TrainDataArguments, prompt: PromptConfig, mode: str, split: str = "train"
) -> tuple[Dataset, RecDataset]:
    """The split as a `datasets.Dataset` ready for `GRPOTrainer`, and the prepared data it came from."""
    folder = Path(args.prepared)
    ds = RecDataset.load(folder, interactions_file="train_interactions.parquet")
    records = read_queries(folder / "queries" / f"{split}.parquet")
    if args.query_types:
        records = [r for r in records if r["type"] in args.query_types]
    records = balanced_subset(records, args.max_queries) if args.max_queries else records
    if not records:
        raise ValueError(f"no {split} queries left in {folder} after filtering by {args.query_types}")
    return Dataset.from_list(training_rows(records, ds, prompt, mode)), ds
