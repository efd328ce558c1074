import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rerec.config import DataConfig
from rerec.data.prepare import prepare
from rerec.data.sources.generic import load_generic
from rerec.data.validation import DataError


def test_loads_csv_with_named_and_unnamed_entities(tiny_source):
    ds = load_generic(tiny_source)
    assert (len(ds.catalog), len(ds.users), ds.catalog.noun, ds.name) == (12, 6, "book", "tiny")
    assert ds.graph.is_named("author") and not ds.graph.is_named("publisher")
    assert ds.graph.entities("b1", "genre") == {"genre:Mystery", "genre:Drama"}
    assert ds.hop_relations == ("author", "publisher")


def test_jsonl_and_parquet_load_the_same(tiny_source, tmp_path):
    ds = load_generic(tiny_source)
    jsonl = tmp_path / "jsonl"
    jsonl.mkdir()
    (jsonl / "items.jsonl").write_text(
        "\n".join(
            json.dumps({"item_id": i.item_id, "title": i.title, "year": i.year, **i.attributes}) for i in ds.catalog
        )
    )
    rows = ds.interactions.rows()
    pq.write_table(
        pa.table(
            {
                "user_id": [r.user_id for r in rows],
                "item_id": [r.item_id for r in rows],
                "rating": [r.rating for r in rows],
            }
        ),
        jsonl / "interactions.parquet",
    )
    other = load_generic(jsonl)
    assert [i.attributes for i in other.catalog] == [{"genre": tuple(i.attributes["genre"])} for i in ds.catalog]
    assert len(other.interactions) == len(ds.interactions)


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("items.csv", "item_id,name\nb1,x\n", r"items.csv, line 1: missing column\(s\) \['title'\]"),
        ("items.csv", "item_id,title\nb1,x\nb1,y\n", r"items.csv, line 3, field 'item_id': duplicate item id"),
        ("items.csv", "item_id,title,year\nb1,x,19x5\n", r"items.csv, line 2, field 'year'"),
        (
            "triples.csv",
            "item_id,relation,entity_id\nb1,author,a0\nzz,author,a1\n",
            r"triples.csv, line 3, field 'item_id': dangling",
        ),
        ("interactions.csv", "user_id,item_id,rating\nu1,b1,5\nu1,nope,4\n", r"line 3, field 'item_id': unknown item"),
        ("users.csv", "user_id,age\nu1,20\nu1,30\n", r"users.csv, line 3, field 'user_id': duplicate user id"),
    ],
)
def test_malformed_files_name_file_line_and_field(tiny_source, file, text, message):
    (tiny_source / file).write_text(text)
    with pytest.raises(DataError, match=message):
        load_generic(tiny_source)


def test_bad_jsonl_and_encoding(tiny_source):
    (tiny_source / "users.csv").unlink()
    (tiny_source / "users.jsonl").write_text('{"user_id": "u1"}\n{broken\n')
    with pytest.raises(DataError, match=r"users.jsonl, line 2: invalid JSON"):
        load_generic(tiny_source)
    (tiny_source / "users.jsonl").write_bytes(b'{"user_id": "\xff"}\n')
    with pytest.raises(DataError, match=r"line 1: not valid utf-8"):
        load_generic(tiny_source)


def test_missing_and_ambiguous_tables(tiny_source):
    (tiny_source / "items.jsonl").write_text('{"item_id": "b1", "title": "x"}\n')
    with pytest.raises(DataError, match="several files for 'items'"):
        load_generic(tiny_source)
    (tiny_source / "items.jsonl").unlink()
    (tiny_source / "interactions.csv").unlink()
    with pytest.raises(DataError, match="missing 'interactions' file"):
        load_generic(tiny_source)


def test_prepare_runs_on_a_users_own_catalog(tiny_source, tmp_path):
    cfg = DataConfig(
        dataset="custom", data_dir=str(tiny_source), out=str(tmp_path / "out"), num_candidates=5,
        num_explicit=10, num_implicit=10, num_misinformed=10, val_fraction=0.2, test_fraction=0.2,
        interest_ground_truth=1, demographic_min_users=2,
    )  # fmt: skip
    summary = prepare(cfg)
    assert summary["dataset"] == "tiny"
    assert summary["queries"]["explicit"]["train"] + summary["queries"]["explicit"]["test"] > 0
    assert sum(summary["queries"]["implicit"].values()) > 0
    queries = [
        q
        for s in ("train", "val", "test")
        for q in pq.read_table(tmp_path / "out" / "queries" / f"{s}.parquet").to_pylist()
    ]
    for q in queries:
        pairs = [(c["relation"], c["entity"]) for c in q["conditions"]]
        assert len(pairs) == len(set(pairs)), q["query"]  # "author" is named and hop-able: never both at once


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ('{"hop_relations": "publisher"}', r"meta.json, field 'hop_relations': expected a list of relation names"),
        ('["tiny"]', r"meta.json: must be a JSON object"),
        ('{"name": "tiny",}', r"meta.json, line 1: invalid JSON"),
        ('{"noun": 3}', r"meta.json, field 'noun': expected str, found 3"),
        ('{"positive_threshold": "4"}', r"meta.json, field 'positive_threshold': expected int or float"),
        ('{"hop_relations": ["publsher"]}', r"meta.json, field 'hop_relations': hop_relations \['publsher'\] appear"),
        ('{"nmae": "tiny"}', r"meta.json, field 'nmae': unknown key"),
    ],
)
def test_meta_json_errors_name_the_file_and_key(tiny_source, meta, message):
    (tiny_source / "meta.json").write_text(meta)
    with pytest.raises(DataError, match=message):
        load_generic(tiny_source)


def test_no_positive_rating_is_a_clear_error(tiny_source, tmp_path):
    cfg = DataConfig(dataset="custom", data_dir=str(tiny_source), out=str(tmp_path / "out"), positive_threshold=9)
    with pytest.raises(ValueError, match=r"no interaction reaches the positive threshold 9 \(highest rating: 5.0\)"):
        prepare(cfg)
    assert not (tmp_path / "out").exists()


def test_a_spreadsheet_csv_with_a_byte_order_mark_loads(tiny_source):
    path = tiny_source / "items.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_generic(tiny_source).catalog) == 12
