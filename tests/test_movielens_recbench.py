import json

import pytest
from conftest import RECBENCH_DIR

from rerec.config import DataConfig
from rerec.data.prepare import prepare
from rerec.data.sources.movielens import load_ml1m
from rerec.data.sources.recbenchplus import load_recbench_queries
from rerec.data.validation import DataError
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments, load_split

needs_recbench = pytest.mark.skipif(not RECBENCH_DIR.is_dir(), reason="../shared/recbench-data is absent")


def write_ml1m(folder, ratings="1::1::5::978300760\n1::2::3::978300761\n2::1::4::978300762\n"):
    folder.mkdir()
    (folder / "movies.dat").write_bytes(
        "1::Toy Story (1995)::Animation|Comedy\n2::Amélie (2001)::Romance\n".encode("latin-1")
    )
    (folder / "users.dat").write_text("1::F::1::10::48067\n2::M::56::16::70072\n")
    (folder / "ratings.dat").write_text(ratings)
    return folder


def test_ml1m_files(tmp_path):
    ds = load_ml1m(write_ml1m(tmp_path / "ml"))
    assert ds.catalog["2"].title == "Amélie" and ds.catalog["2"].year == 2001  # Latin-1 decoded
    assert ds.users["1"].age_group == "Under 18" and ds.users["1"].occupation == "K-12 student"
    assert ds.users["2"].age_group == "56+"
    assert ds.interactions.positives("1") == ["1"]
    assert ds.graph.entities("1", "genre") == {"genre:Animation", "genre:Comedy"}


def test_ml1m_rejects_bad_rows(tmp_path):
    with pytest.raises(DataError, match=r"ratings.dat, line 2: expected 4 fields"):
        load_ml1m(write_ml1m(tmp_path / "ml", ratings="1::1::5::1\n1::2\n"))
    with pytest.raises(DataError, match="ratings.dat: file not found"):
        (tmp_path / "ml" / "ratings.dat").unlink()
        load_ml1m(tmp_path / "ml")


def test_recbench_condition_format(tmp_path):
    record = {
        "source_user": "4647", "condition_num": 1, "movieCount": 1, "movieSubset": ["Toy Story (1995)"],
        "movieSubsetId": [1], "sharedRelationships": [["Directed_by", "John Lasseter"]],
        "multihop_info": [{"movie": "Amélie (2001)", "relation": "Directed_by", "person": "John Lasseter"}],
        "misinformed": [
            {"movie": "Amélie (2001)", "relation": "Directed_by", "original person": "John Lasseter", "person": "X Y"}
        ],
        "query": "I watched Amélie, directed by X Y ...", "data_idx": 5,
    }  # fmt: skip
    path = tmp_path / "MisinformedQuery.json"
    path.write_text(json.dumps([record]))
    catalog = load_ml1m(write_ml1m(tmp_path / "ml")).catalog
    (q,) = load_recbench_queries(path, catalog)
    assert (q["id"], q["type"], q["user_id"], q["hops"]) == ("recbench-misinformed-5", "misinformed", "4647", 2)
    assert q["ground_truth"] == [{"item_id": "1", "title": "Toy Story (1995)"}]
    assert q["conditions"][0]["false_entity"] == "X Y" and q["conditions"][0]["via_items"] == ["2"]


def test_recbench_errors(tmp_path):
    path = tmp_path / "ExplicitQuery.json"
    path.write_text("[{]")
    with pytest.raises(DataError, match=r"ExplicitQuery.json, line 1: invalid JSON"):
        load_recbench_queries(path)
    path.write_text(json.dumps([{"data_idx": 1, "query": "q", "movieSubset": []}]))
    with pytest.raises(DataError, match="record 0: missing field sharedRelationships"):
        load_recbench_queries(path)
    with pytest.raises(DataError, match="cannot tell the query type"):
        load_recbench_queries(tmp_path / "whatever.json")


@needs_recbench
def test_published_demographics_file_loads_against_ml1m():
    movie = RECBENCH_DIR / "dataset" / "movie"
    ds = load_ml1m(movie, require_ratings=False)
    assert (len(ds.catalog), len(ds.users)) == (3883, 6040)
    records = load_recbench_queries(movie / "DemographicsBasedQuery.json", ds.catalog)
    assert len(records) == 279
    grounded = sum(g["item_id"] is not None for r in records for g in r["ground_truth"])
    total = sum(len(r["ground_truth"]) for r in records)
    assert grounded / total > 0.99  # the rewards' TitleIndex: exact, then fuzzy
    assert records[0]["profile"] == {"age_group": "25-34", "gender": None, "occupation": None}
    assert {r["type"] for r in records} == {"demographic"}


def test_prepare_recbench_folder_is_test_only_and_needs_no_ratings(tmp_path):
    folder = write_ml1m(tmp_path / "movie")
    (folder / "ratings.dat").unlink()
    group = {"group_type": "age", "group": "25-34", "query & ground true": [
        {"query": "Something animated?", "movie subset": ["Toy Story (1995)"]},
        {"query": "A French romance?", "movie subset": ["Amelie (2001)", "Not In The Catalog (1990)"]},
    ]}  # fmt: skip
    (folder / "DemographicsBasedQuery.json").write_text(json.dumps([group]))
    summary = prepare(DataConfig(dataset="recbench", data_dir=str(folder), out=str(tmp_path / "out")))
    assert summary["queries"]["demographic"] == {"train": 0, "val": 0, "test": 2}
    assert summary["interactions"] == 0 and not (tmp_path / "out" / "lightgcn.safetensors").exists()
    rows, _ = load_split(
        TrainDataArguments(prepared=str(tmp_path / "out"), query_types=["demographic"]), PromptConfig(), "open", "test"
    )
    assert [[g["item_id"] for g in r["ground_truth"]] for r in rows] == [["1"], ["2", None]]
    with pytest.raises(DataError, match="no RecBench\\+ query file"):
        (folder / "DemographicsBasedQuery.json").unlink()
        prepare(DataConfig(dataset="recbench", data_dir=str(folder), out=str(tmp_path / "out2")))


def test_recbench_folder_reads_utf8_titles_names_absent_files_and_counts_users(tmp_path, caplog):
    folder = write_ml1m(tmp_path / "movie")
    (folder / "ratings.dat").unlink()
    movies = (folder / "movies.dat").read_text(encoding="latin-1")
    (folder / "movies.dat").write_text(movies, encoding="utf-8")  # as RecBench+ ships it
    group = {"group_type": "age", "group": "25-34",
             "query & ground true": [{"query": "A French romance?", "movie subset": ["Amélie (2001)"]}]}  # fmt: skip
    (folder / "DemographicsBasedQuery.json").write_text(json.dumps([group]))
    with caplog.at_level("WARNING"):
        summary = prepare(DataConfig(dataset="recbench", data_dir=str(folder), out=str(tmp_path / "out")))
    assert "no ExplicitQuery.json, ImplicitQuery.json, MisinformedQuery.json, InterestBasedQuery.json" in caplog.text
    assert summary["users"] > 0 and summary["interactions"] == 0
    catalog = [json.loads(line) for line in (tmp_path / "out" / "catalog.jsonl").read_text().splitlines()]
    assert any(item["title"].startswith("Amélie") for item in catalog)


def test_real_recbench_titles_are_not_garbled():
    movies = RECBENCH_DIR / "dataset" / "movie" / "movies.dat"
    if not movies.is_file():
        pytest.skip(f"no RecBench+ copy at {movies}")
    from rerec.data.sources.movielens import load_movies

    titles = [item.title for item in load_movies(movies)]
    assert not [t for t in titles if "Ã" in t or "Â" in t]  # latin-1 read of UTF-8 bytes
