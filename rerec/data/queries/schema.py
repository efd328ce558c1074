"""The on-disk schema of query records, and their reading/writing as Parquet.

An explicit Arrow schema (rather than JSONL with inferred types) keeps every split loadable by `datasets`
even when a whole chunk of rows has a field empty or null — inference would type it `null` and then fail.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_REF = pa.struct([("item_id", pa.string()), ("title", pa.string())])
_CONDITION = pa.struct(
    [
        ("relation", pa.string()),
        ("entity", pa.string()),
        ("entity_name", pa.string()),
        ("hops", pa.int32()),
        ("via_items", pa.list_(pa.string())),
        ("false_entity", pa.string()),
        ("false_entity_name", pa.string()),
        ("false_via_items", pa.list_(pa.string())),
    ]
)
_FACT = pa.struct(
    [("item_id", pa.string()), ("relation", pa.string()), ("entity_id", pa.string()), ("entity_name", pa.string())]
)
QUERY_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("type", pa.string()),
        ("split", pa.string()),
        ("query", pa.string()),
        ("num_conditions", pa.int32()),
        ("hops", pa.int32()),
        ("conditions", pa.list_(_CONDITION)),
        ("user_id", pa.string()),
        ("history", pa.list_(_REF)),
        ("ground_truth", pa.list_(_REF)),
        ("candidates", pa.list_(_REF)),
        ("positive_id", pa.string()),
        ("facts", pa.list_(_FACT)),
        ("profile", pa.struct([("age_group", pa.string()), ("gender", pa.string()), ("occupation", pa.string())])),
        ("group_size", pa.int32()),
    ]
)


def write_queries(records: list[dict], path: Path) -> None:
    pq.write_table(pa.Table.from_pylist(records, schema=QUERY_SCHEMA), path)


def read_queries(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()
