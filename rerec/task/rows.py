"""Dataset rows: which queries a command uses (`TrainDataArguments`), and a prompt per query plus the columns
the rewards, RAAE, the curriculum and evaluation read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from datasets import Dataset

from rerec.config import QUERY_TYPES
from rerec.data.dataset import RecDataset
from rerec.data.queries.schema import read_queries
from rerec.task.prompts import PromptConfig, build_messages, shown_candidates


@dataclass
class TrainDataArguments:
    """Which prepared benchmark, and which of its queries, a command uses (training and evaluation alike)."""

    prepared: str = field(default="runs/ml100k", metadata={"help": "Folder written by `rerec prepare`."})
    query_types: list[str] | None = field(
        default=None, metadata={"help": f"Use queries of these types (of {QUERY_TYPES})."}
    )
    max_queries: int | None = field(
        default=None, metadata={"help": "Use at most this many queries of the split, taken round-robin over types."}
    )
    exclude_queries: str | None = field(
        default=None,
        metadata={
            "help": "Leave out these queries: a training run's folder (its `queries.txt`, e.g. the warm start's, so "
            "RL trains on queries SFT never showed) or a file of query ids, one per line."
        },
    )

    def __post_init__(self) -> None:
        unknown = set(self.query_types or ()) - set(QUERY_TYPES)
        if unknown:
            raise ValueError(f"query_types {sorted(unknown)} unknown; use some of {QUERY_TYPES}")
        if self.max_queries is not None and self.max_queries < 1:
            raise ValueError("max_queries must be >= 1")


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


QUERIES = "queries.txt"  # in a training run's folder: the ids of the queries it trained on


def write_query_ids(folder: str | Path, rows: Dataset) -> None:
    """Record which queries a run trains on, so a later run can leave them out (`exclude_queries`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / QUERIES).write_text("".join(f"{qid}\n" for qid in rows["id"]))


def excluded_ids(path: str | Path) -> set[str]:
    """The query ids in `path`: a run folder's `queries.txt` or a file of ids, one per line."""
    path = Path(path)
    file = path / QUERIES if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(
            f"exclude_queries: {file} not found (a training run's folder holds {QUERIES} once it has started)"
        )
    return {line.strip() for line in file.read_text().splitlines() if line.strip()}


def load_split(
    args: TrainDataArguments, prompt: PromptConfig, mode: str, split: str = "train"
) -> tuple[Dataset, RecDataset]:
    """The split as a `datasets.Dataset` ready for `GRPOTrainer`, and the prepared data it came from."""
    folder = Path(args.prepared)
    ds = RecDataset.load_train(folder)
    records = read_queries(folder / "queries" / f"{split}.parquet")
    if args.query_types:
        records = [r for r in records if r["type"] in args.query_types]
    if args.exclude_queries:
        skip = excluded_ids(args.exclude_queries)
        records = [r for r in records if r["id"] not in skip]
    records = balanced_subset(records, args.max_queries) if args.max_queries else records
    if not records:
        raise ValueError(
            f"no {split} queries left in {folder} after filtering by types {args.query_types} "
            f"and exclude_queries {args.exclude_queries}"
        )
    return Dataset.from_list(training_rows(records, ds, prompt, mode)), ds
