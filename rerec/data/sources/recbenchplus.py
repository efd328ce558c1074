"""RecBench+ query files, read exactly as published (github.com/jiani-huang/RecAssistBench, `dataset/`).

Five files per domain. Condition files (`ExplicitQuery.json`, `ImplicitQuery.json`, `MisinformedQuery.json`)
are lists of records with `source_user`, `condition_num`, `movieSubset`/`bookSubset` (ground-truth titles),
`movieSubsetId`, `sharedRelationships` ([relation, entity name] pairs), `multihop_info`, `misinformed`,
`direct_description_query`, `situational_description_query` (the one the paper evaluates) or `query`, and
`data_idx`. Profile files (`InterestBasedQuery.json`, `DemographicsBasedQuery.json`, formerly
`UserBasedQuery.json`) hold groups whose `query & ground true` lists carry `query` and `movie subset`/`book
subset`; a query's id is "<group index>-<query index>" as upstream's evaluator numbers them.
Records come out in rerec's query schema (open mode: no candidates) with every ground-truth title grounded
to the catalog (the same `TitleIndex` the rewards use) when one is given; titles that do not ground keep
`item_id=None` and are counted.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from rerec.data.catalog import Catalog
from rerec.data.dataset import RecDataset
from rerec.data.grounding import TitleIndex
from rerec.data.sources.movielens import load_ml1m
from rerec.data.validation import DataError, read_text

logger = logging.getLogger(__name__)

FILE_TYPES = {
    "ExplicitQuery": "explicit",
    "ImplicitQuery": "implicit",
    "MisinformedQuery": "misinformed",
    "InterestBasedQuery": "interest",
    "DemographicsBasedQuery": "demographic",
    "UserBasedQuery": "demographic",
}
GROUP_FIELDS = {"age": "age_group", "gender": "gender", "occupation": "occupation"}


def query_type_of(path: Path) -> str:
    for stem, kind in FILE_TYPES.items():
        if stem in path.name:
            return kind
    raise DataError(path, f"cannot tell the query type from the file name; expected one of {list(FILE_TYPES)}")


def load_recbench_folder(folder: Path) -> tuple[RecDataset, list[dict]]:
    """A RecBench+ movie folder as published (`dataset/movie/`): the MovieLens-1M catalog of `movies.dat`
    (ratings too when `ratings.dat` is there) and the records of every query file in it, all split "test".
    This is the external check: its queries are only ever evaluated, never trained on."""
    folder = Path(folder)
    files = sorted(p for p in folder.glob("*.json") if any(stem in p.name for stem in FILE_TYPES))
    if not files:
        raise DataError(folder, f"no RecBench+ query file here; expected names like {list(FILE_TYPES)}")
    kinds = {query_type_of(p) for p in files}
    absent = [f"{stem}.json" for stem, kind in FILE_TYPES.items() if kind not in kinds and stem != "UserBasedQuery"]
    if absent:  # a partial copy is fine, but the user should know which query types it lacks
        logger.warning("%s: no %s; those query types are left out", folder, ", ".join(absent))
    ds = dataclasses.replace(load_ml1m(folder, require_ratings=False), name="recbench-movie")
    return ds, [record for path in files for record in load_recbench_queries(path, ds.catalog)]


def load_recbench_queries(path: Path, catalog: Catalog | None = None) -> list[dict]:
    """Read one RecBench+ file into rerec query records (split "test": RecBench+ is evaluation-only here)."""
    path = Path(path)
    kind = query_type_of(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise DataError(path, f"invalid JSON ({err.msg})", line=err.lineno) from None
    if not isinstance(data, list):
        raise DataError(path, "expected a JSON list of records")
    index = TitleIndex(catalog) if catalog is not None else None
    records = (
        _profile_records(path, kind, data, index)
        if kind in ("interest", "demographic")
        else [_condition_record(path, kind, i, raw, index) for i, raw in enumerate(data)]
    )
    unknown = sum(g["item_id"] is None for r in records for g in r["ground_truth"])
    if catalog is not None and unknown:
        logger.warning("%s: %d ground-truth titles did not match the catalog", path.name, unknown)
    return records


def _field(path: Path, raw: dict, names: tuple[str, ...], where: str):
    for name in names:
        if name in raw:
            return raw[name]
    raise DataError(path, f"{where}: missing field {' or '.join(names)}")


def _refs(titles: list[str], index: TitleIndex | None) -> list[dict]:
    return [{"item_id": index.ground(str(t)) if index else None, "title": str(t)} for t in titles]


def _condition_record(path: Path, kind: str, position: int, raw: dict, index: TitleIndex | None) -> dict:
    if not isinstance(raw, dict):
        raise DataError(path, f"record {position} is not an object")
    where = f"record {position}"
    idx = _field(path, raw, ("data_idx",), where)
    query = _field(path, raw, ("situational_description_query", "query"), where)
    titles = _field(path, raw, ("movieSubset", "bookSubset"), where)
    relations = _field(path, raw, ("sharedRelationships",), where)
    hints = raw.get("multihop_info") or []
    false = {(h.get("relation"), h.get("original person")): h for h in raw.get("misinformed") or []}
    conditions = []
    for relation, entity in relations:
        hinted = [str(h.get("movie", h.get("book", ""))) for h in hints if h.get("person") == entity]
        via = [ref["item_id"] for ref in _refs(hinted, index)]
        wrong = false.get((relation, entity))
        conditions.append(
            {
                "relation": relation, "entity": entity, "entity_name": entity, "hops": 2 if hints else 1,
                "via_items": [v for v in via if v], "false_entity": wrong["person"] if wrong else None,
                "false_entity_name": wrong["person"] if wrong else None, "false_via_items": [],
            }
        )  # fmt: skip
    return _record(
        f"recbench-{kind}-{idx}", kind, query, str(raw.get("source_user")), _refs(titles, index), conditions
    )


def _profile_records(path: Path, kind: str, groups: list, index: TitleIndex | None) -> list[dict]:
    records = []
    for g, group in enumerate(groups):
        if not isinstance(group, dict):
            raise DataError(path, f"group {g} is not an object")
        entries = [e for e in _field(path, group, ("query & ground true",), f"group {g}") if e]
        profile = _profile(group) if kind == "demographic" else None
        for q, entry in enumerate(entries):
            where = f"group {g}, query {q}"
            titles = _field(path, entry, ("movie subset", "book subset"), where)
            record = _record(f"{g}-{q}", kind, _field(path, entry, ("query",), where), None, _refs(titles, index), [])
            record["profile"] = profile
            records.append(record)
    return records


def _profile(group: dict) -> dict:
    kinds = str(group.get("group_type", "")).split("_")
    values = group.get("group")
    values = values if isinstance(values, list) else [values]
    profile = {"age_group": None, "gender": None, "occupation": None}
    for k, v in zip(kinds, values, strict=False):
        if k in GROUP_FIELDS:
            profile[GROUP_FIELDS[k]] = v
    return profile


def _record(qid: str, kind: str, query: str, user: str | None, truth: list[dict], conditions: list[dict]) -> dict:
    return {
        "id": qid, "type": kind, "split": "test", "query": query, "num_conditions": len(conditions),
        "hops": max((c["hops"] for c in conditions), default=0), "conditions": conditions, "user_id": user,
        "history": [], "ground_truth": truth, "candidates": [], "positive_id": None, "facts": [],
        "profile": None, "group_size": None,
    }  # fmt: skip
