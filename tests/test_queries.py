"""The benchmark is checked against the raw files — RecBole's ml-100k and the Wikidata `movies.db` — parsed here
with `csv`-free string splitting and plain SQL, without rerec's loaders, so a bug in the graph or the generator
cannot confirm itself. Only the title join is taken from rerec (`kg_links.jsonl`); it is checked on its own
(`test_links_name_the_films_they_join`, and the spot checks of `test_wikidata.py`)."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

# relation -> (column, entity kind) of movies.db, as the database defines them.
WIKIDATA = {
    "directed_by": ('o."Director"', "person"),
    "written_by": ('o."Writer"', "person"),
    "starring": ('o."Cast"', "person"),
    "production_company": ('t."Production"', "company"),
    "language": ('o."Language"', "language"),
    "country": ('o."Country"', "country"),
}
CONDITION_TYPES = ("explicit", "implicit", "misinformed")


class Raw:
    """ml-100k facts straight from the atomic files, people and studios straight from movies.db."""

    def __init__(self, folder: Path, prepared: Path, movies_db: Path):
        rows = lambda name: [line.split("\t") for line in (folder / name).read_text().splitlines()[1:] if line]  # noqa: E731
        self.genres, self.year, self.title = {}, {}, {}
        # RecBole's placeholder row "unkonwn" is no film; rerec drops it and its 9 ratings.
        placeholders = {item for item, title, *_rest in rows("ml-100k.item") if title == "unkonwn"}
        for item, title, year, classes in rows("ml-100k.item"):
            self.genres[item] = set(classes.split()) - {"unknown"}
            self.year[item] = int(year) if year.isdigit() else None
            self.title[item] = title
        self.links = [json.loads(line) for line in (prepared / "kg_links.jsonl").read_text().splitlines()]
        columns = ", ".join(column for column, _kind in WIKIDATA.values())
        with sqlite3.connect(movies_db) as db:
            sql = f"SELECT o.ID, o.Title, o.Year, {columns} FROM omdb o LEFT JOIN tomatoes t ON t.ID = o.ID"
            self.films = {str(row[0]): row[1:] for row in db.execute(sql)}
        self.by_item = defaultdict(set)
        for link in self.links:
            _title, _year, *credits = self.films[link["film_id"]]
            for (relation, (_column, kind)), names in zip(WIKIDATA.items(), credits, strict=True):
                for name in (names or "").split(","):
                    if name.strip():
                        self.by_item[(link["item_id"], relation)].add(f"{kind}:{name.strip()}")
        self.ratings = defaultdict(list)
        for user, item, rating, stamp in rows("ml-100k.inter"):
            if item not in placeholders:
                self.ratings[user].append((float(stamp), item, float(rating)))
        self.year["1412"] = 1995  # the one damaged row, whose year sits in its title

    def has(self, item: str, relation: str, entity: str) -> bool:
        if relation == "genre":
            return entity.removeprefix("genre:") in self.genres[item]
        if relation == "decade":
            return self.year[item] is not None and f"{self.year[item] // 10 * 10}s" == entity.removeprefix("decade:")
        return entity in self.by_item[(item, relation)]

    def entities(self, item: str, relation: str) -> set[str]:
        return self.by_item[(item, relation)]

    @functools.cache  # noqa: B019 - one Raw per test module
    def positives(self, user: str) -> list[str]:
        return [item for _s, item, rating in sorted(self.ratings[user]) if rating >= 4]


@pytest.fixture(scope="module")
def raw(ml100k_dir, prepared) -> Raw:
    from rerec.assets import movies_db

    return Raw(ml100k_dir, prepared, movies_db())


@pytest.fixture(scope="module")
def queries(prepared) -> list[dict]:
    return [
        q
        for split in ("train", "val", "test")
        for q in pq.read_table(prepared / "queries" / f"{split}.parquet").to_pylist()
    ]


def by_type(queries, kind):
    return [q for q in queries if q["type"] == kind]


def test_sizes_meet_the_targets(prepared, queries):
    summary = json.loads((prepared / "summary.json").read_text())
    for kind, counts in summary["queries"].items():
        assert sum(counts.values()) == len(by_type(queries, kind))
    assert all(len(by_type(queries, k)) >= 1000 for k in CONDITION_TYPES)
    assert len(by_type(queries, "interest")) >= 500
    assert len(by_type(queries, "demographic")) >= 100
    assert summary["total_queries"] == len(queries)


def test_condition_ground_truth_is_exact(raw, queries):
    for q in (q for k in CONDITION_TYPES for q in by_type(queries, k)):
        conds = [(c["relation"], c["entity"]) for c in q["conditions"]]
        assert 1 <= len(conds) == q["num_conditions"] <= 4
        truth = {g["item_id"] for g in q["ground_truth"]}
        expected = {i for i in raw.positives(q["user_id"]) if all(raw.has(i, r, e) for r, e in conds)}
        assert truth == expected, q["id"]


def test_hints_point_to_exactly_one_entity(raw, queries):
    for q in by_type(queries, "implicit") + by_type(queries, "misinformed"):
        hops = [c for c in q["conditions"] if c["hops"] == 2]
        assert hops, q["id"]
        for c in hops:
            shared = set.intersection(*(raw.entities(v, c["relation"]) for v in c["via_items"]))
            assert shared == {c["entity"]}, q["id"]
    assert all(c["hops"] == 1 for q in by_type(queries, "explicit") for c in q["conditions"])


def test_misinformed_hints_are_false_in_the_graph(raw, queries):
    named = 0
    for q in by_type(queries, "misinformed"):
        false = [c for c in q["conditions"] if c["false_entity"]]
        assert len(false) == 1, q["id"]
        (c,) = false
        assert c["false_entity"] != c["entity"]
        for item in c["false_via_items"]:
            assert not raw.has(item, c["relation"], c["entity"]), q["id"]
            assert raw.entities(item, c["relation"]) == {c["false_entity"]}, q["id"]
        if not c["false_via_items"]:  # the hint names the wrong person or studio outright
            named += 1
            assert c["false_entity_name"] in q["query"], q["id"]
            assert not any(raw.has(v, c["relation"], c["false_entity"]) for v in c["via_items"]), q["id"]
    assert named, "no misinformed hint names a wrong entity"
    assert not any(c["false_entity"] for q in by_type(queries, "implicit") for c in q["conditions"])


def test_links_name_the_films_they_join(raw):
    """Every join is to a film of the database with that id, title and a year within one of MovieLens's."""
    assert len(raw.links) >= 1407  # the quick matcher linked 1,407 items
    for link in raw.links:
        title, year, *_credits = raw.films[link["film_id"]]
        assert (link["title"], link["year"]) == (title, year)
        assert abs(year - raw.year[link["item_id"]]) <= 1, link


def test_conditions_name_entities_with_several_films(raw, queries):
    """People and studios in conditions link at least 3 catalog films (docs/benchmark.md: fair entities)."""
    films = defaultdict(set)
    for (item, relation), entities in raw.by_item.items():
        for entity in entities:
            films[(relation, entity)].add(item)
    for q in (q for k in CONDITION_TYPES for q in by_type(queries, k)):
        for c in q["conditions"]:
            if c["relation"] in WIKIDATA:
                assert len(films[(c["relation"], c["entity"])]) >= 3, q["id"]


def test_no_negative_satisfies_every_condition(raw, queries):
    for q in (q for k in CONDITION_TYPES for q in by_type(queries, k)):
        conds = [(c["relation"], c["entity"]) for c in q["conditions"]]
        negatives = [c["item_id"] for c in q["candidates"] if c["item_id"] != q["positive_id"]]
        assert not [i for i in negatives if all(raw.has(i, r, e) for r, e in conds)], q["id"]


def test_candidates_hold_one_positive_and_distinct_negatives(queries):
    for q in queries:
        ids = [c["item_id"] for c in q["candidates"]]
        truth = {g["item_id"] for g in q["ground_truth"]}
        assert len(ids) == len(set(ids)) == 20
        assert q["positive_id"] in ids and q["positive_id"] in truth
        assert len(truth & set(ids)) == 1, q["id"]


def test_positions_of_the_positive_are_shuffled(queries):
    positions = {[c["item_id"] for c in q["candidates"]].index(q["positive_id"]) for q in queries}
    assert len(positions) == 20


def test_interest_truth_is_the_latest_positives(raw, queries):
    for q in by_type(queries, "interest"):
        positives = raw.positives(q["user_id"])
        assert [g["item_id"] for g in q["ground_truth"]] == positives[-3:]
        assert [h["item_id"] for h in q["history"]] == positives[:-3][-10:]
        seen = {item for _s, item, _r in raw.ratings[q["user_id"]]}
        assert not seen & ({c["item_id"] for c in q["candidates"]} - {q["positive_id"]})


def test_demographic_truth_is_liked_within_the_group(raw, ml100k, queries):
    for q in by_type(queries, "demographic"):
        profile = {k: v for k, v in q["profile"].items() if v is not None}
        members = [
            u
            for u in ml100k.users.values()
            if raw.positives(u.user_id) and all(getattr(u, k) == v for k, v in profile.items())
        ]
        assert len(members) == q["group_size"] >= 10
        for g in q["ground_truth"]:
            fans = sum(g["item_id"] in raw.positives(u.user_id) for u in members)
            assert fans >= max(3, 0.1 * len(members)), q["id"]


def test_held_out_users_never_train(prepared, queries):
    splits = defaultdict(set)
    for q in queries:
        if q["user_id"] is not None:
            splits[q["split"]].add(q["user_id"])
    assert splits["val"] and splits["test"]
    assert not splits["train"] & (splits["val"] | splits["test"])
    assert not splits["val"] & splits["test"]
    train = pq.read_table(prepared / "train_interactions.parquet").to_pydict()
    pairs = set(zip(train["user_id"], train["item_id"], strict=True))
    held_out = {
        (q["user_id"], g["item_id"])
        for q in queries
        if q["split"] != "train" and q["user_id"]
        for g in q["ground_truth"]
    }
    assert held_out and not pairs & held_out
    assert len(pairs) == 100_000 - 9 - len(held_out)  # less the placeholder item's 9 ratings


def test_facts_cover_the_conditions(queries):
    for q in by_type(queries, "implicit"):
        facts = {(f["item_id"], f["relation"], f["entity_id"]) for f in q["facts"]}
        for c in q["conditions"]:
            for v in c["via_items"]:
                assert (v, c["relation"], c["entity"]) in facts
        assert (q["positive_id"], q["conditions"][0]["relation"], q["conditions"][0]["entity"]) in facts


def test_queries_load_with_datasets(prepared):
    from datasets import load_dataset

    files = {s: str(prepared / "queries" / f"{s}.parquet") for s in ("train", "val", "test")}
    ds = load_dataset("parquet", data_files=files)
    assert ds["test"].num_rows > 0 and "conditions" in ds["train"].column_names
