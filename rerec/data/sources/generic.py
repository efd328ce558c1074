"""A user's own catalog: items, triples, interactions and users as CSV, JSONL or Parquet.

The schema is documented in docs/data-format.md. Unlike the public datasets, whose known quirks are repaired
and counted, a user's files are held to the schema strictly: the first problem stops the load with the file,
line and field, because silently dropping part of someone's catalog would be worse than an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.interactions import Interaction, Interactions, User
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.data.validation import DataError, iter_delimited, parse_float, parse_int, read_text

EXTENSIONS = (".csv", ".jsonl", ".parquet")
ITEM_COLUMNS = {"item_id", "title", "year"}
LIST_SEPARATOR = "|"


def find_table(folder: Path, stem: str, required: bool = True) -> Path | None:
    matches = [folder / f"{stem}{ext}" for ext in EXTENSIONS if (folder / f"{stem}{ext}").is_file()]
    if len(matches) > 1:
        raise DataError(folder, f"several files for '{stem}': {[m.name for m in matches]}; keep one")
    if not matches and required:
        raise DataError(folder, f"missing '{stem}' file (one of {', '.join(stem + e for e in EXTENSIONS)})")
    return matches[0] if matches else None


def iter_table(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """Rows of a CSV (header line), JSONL (one object a line) or Parquet file as `(line, row)`; for Parquet the
    "line" is the 1-based row number."""
    if path.suffix == ".csv":
        yield from iter_delimited(path, ",", required)
        return
    if path.suffix == ".jsonl":
        for number, text in enumerate(read_text(path).splitlines(), start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as err:
                raise DataError(path, f"invalid JSON ({err.msg})", line=number) from None
            if not isinstance(row, dict):
                raise DataError(path, "each line must be a JSON object", line=number)
            _check_columns(path, row, required, number)
            yield number, row
        return
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for damaged files
        raise DataError(path, f"not a readable Parquet file ({err})") from None
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise DataError(path, f"missing column(s) {missing}; found {table.column_names}")
    for number, row in enumerate(table.to_pylist(), start=1):
        yield number, row


def _check_columns(path: Path, row: dict, required: tuple[str, ...], line: int) -> None:
    missing = [c for c in required if c not in row]
    if missing:
        raise DataError(path, f"missing field(s) {missing}", line=line)


def _text(value, path: Path, line: int, name: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DataError(path, "empty value", line=line, field_name=name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _values(value) -> tuple[str, ...]:
    """Attribute cells: a list (JSONL/Parquet) or a `|`-separated string (CSV)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(LIST_SEPARATOR)
    return tuple(str(v).strip() for v in items if str(v).strip())


def load_generic(folder: Path, positive_threshold: float | None = None) -> RecDataset:
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "data folder not found")
    meta_path = folder / "meta.json"
    meta = read_meta(meta_path) if meta_path.is_file() else {}
    catalog = _load_items(find_table(folder, "items"), meta.get("noun", "item"))
    triples_path = find_table(folder, "triples", required=False)
    triples, names = _load_triples(triples_path, catalog) if triples_path else ([], {})
    threshold = positive_threshold if positive_threshold is not None else meta.get("positive_threshold", 4.0)
    interactions = _load_interactions(find_table(folder, "interactions"), catalog, threshold)
    users_path = find_table(folder, "users", required=False)
    users = _load_users(users_path) if users_path else {}
    graph = KnowledgeGraph.from_catalog(catalog, triples, names)
    present = sorted({t.relation for t in triples})
    hop_relations = tuple(meta.get("hop_relations", present))
    absent = [r for r in hop_relations if r not in present]
    if absent:
        raise DataError(
            meta_path, f"hop_relations {absent} appear in no triple; relations in the triples: {present}", None,
            "hop_relations",
        )  # fmt: skip
    return RecDataset(meta.get("name", folder.name), catalog, graph, interactions, users, hop_relations, {})


# meta.json's keys and the JSON types each must have; anything else is an error that names the key.
META_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "noun": (str,),
    "positive_threshold": (int, float),
    "hop_relations": (list,),
}


def read_meta(path: Path) -> dict:
    """meta.json as a checked dict: an object with known keys of the right types. A string where a list is due
    (`"hop_relations": "publisher"`) would otherwise be read letter by letter."""
    text = read_text(path)
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(path, f"invalid JSON ({err.msg}, column {err.colno})", line=err.lineno) from None
    if not isinstance(meta, dict):
        raise DataError(path, f'must be a JSON object like {{"name": "my-books"}}, not a {type(meta).__name__}')
    for key, value in meta.items():
        if key not in META_FIELDS:
            raise DataError(path, f"unknown key {key!r}; known keys: {', '.join(META_FIELDS)}", field_name=key)
        types = META_FIELDS[key]
        if not isinstance(value, types) or isinstance(value, bool):
            want = "a list of relation names" if key == "hop_relations" else " or ".join(t.__name__ for t in types)
            raise DataError(path, f"expected {want}, found {json.dumps(value)}", field_name=key)
    hops = meta.get("hop_relations", [])
    if not all(isinstance(r, str) and r.strip() for r in hops):
        raise DataError(path, f"expected a list of relation names, found {json.dumps(hops)}", None, "hop_relations")
    return meta


def _load_items(path: Path, noun: str) -> Catalog:
    items: dict[str, Item] = {}
    for line, row in iter_table(path, ("item_id", "title")):
        item_id = _text(row["item_id"], path, line, "item_id")
        if item_id in items:
            raise DataError(path, f"duplicate item id {item_id!r}", line=line, field_name="item_id")
        year_value = row.get("year")
        year = None if year_value in (None, "") else parse_int(str(year_value), path, line, "year")
        attrs = {k: _values(v) for k, v in row.items() if k not in ITEM_COLUMNS and _values(v)}
        items[item_id] = Item(item_id, _text(row["title"], path, line, "title"), year, attrs)
    if not items:
        raise DataError(path, "no items")
    return Catalog(items.values(), noun=noun)


def _load_triples(path: Path, catalog: Catalog) -> tuple[list[Triple], dict[str, str]]:
    triples, names = [], {}
    for line, row in iter_table(path, ("item_id", "relation", "entity_id")):
        item_id = _text(row["item_id"], path, line, "item_id")
        if item_id not in catalog:
            raise DataError(path, f"dangling triple: item {item_id!r} is not in the items file", line, "item_id")
        entity = _text(row["entity_id"], path, line, "entity_id")
        triples.append(Triple(item_id, _text(row["relation"], path, line, "relation"), entity))
        if row.get("entity_name") not in (None, ""):
            names[entity] = str(row["entity_name"]).strip()
    return triples, names


def _load_interactions(path: Path, catalog: Catalog, threshold: float) -> Interactions:
    rows = []
    for line, row in iter_table(path, ("user_id", "item_id")):
        item_id = _text(row["item_id"], path, line, "item_id")
        if item_id not in catalog:
            raise DataError(path, f"unknown item {item_id!r} (not in the items file)", line, "item_id")
        # Without a rating column every interaction is a positive (implicit feedback).
        raw_rating, raw_time = row.get("rating"), row.get("timestamp")
        rating = threshold if raw_rating in (None, "") else parse_float(str(raw_rating), path, line, "rating")
        stamp = float(line) if raw_time in (None, "") else parse_float(str(raw_time), path, line, "timestamp")
        rows.append(Interaction(_text(row["user_id"], path, line, "user_id"), item_id, rating, stamp))
    if not rows:
        raise DataError(path, "no interactions")
    return Interactions(rows, threshold)


def _load_users(path: Path) -> dict[str, User]:
    users: dict[str, User] = {}
    for line, row in iter_table(path, ("user_id",)):
        user_id = _text(row["user_id"], path, line, "user_id")
        if user_id in users:
            raise DataError(path, f"duplicate user id {user_id!r}", line=line, field_name="user_id")
        age = row.get("age")
        age = None if age in (None, "") else parse_int(str(age), path, line, "age")
        gender, occupation = (row.get(k) or None for k in ("gender", "occupation"))
        users[user_id] = User(user_id, age, gender, occupation)
    return users
