"""The named movie graph: the Wikidata database is read, joined and checked against well-known films."""

from __future__ import annotations

import json
import sqlite3

import pytest

from rerec.assets import MissingAssetError, movies_db
from rerec.data.catalog import Catalog, Item
from rerec.data.sources.film_linking import FilmLinker
from rerec.data.sources.ml100k import load_ml100k
from rerec.data.sources.wikidata_films import Film, read_films
from rerec.data.validation import DataError


def _director_of(ml100k, name: str) -> set[str]:
    return {ml100k.catalog[i].display_title for i in ml100k.graph.items_with("directed_by", f"person:{name}")}


def test_famous_directors_have_their_films(ml100k):
    """The Freebase graph gave Jaws a "director" of Eraser and The Sum of Us; these must come out right."""
    assert _director_of(ml100k, "Steven Spielberg") >= {
        "Jaws (1975)", "E.T. the Extra-Terrestrial (1982)", "Raiders of the Lost Ark (1981)",
        "Jurassic Park (1993)", "Schindler's List (1993)",
    }  # fmt: skip
    assert _director_of(ml100k, "Quentin Tarantino") >= {
        "Reservoir Dogs (1992)", "Pulp Fiction (1994)", "Jackie Brown (1997)",
    }  # fmt: skip
    jaws = next(i.item_id for i in ml100k.catalog if i.display_title == "Jaws (1975)")
    assert ml100k.graph.entities(jaws, "written_by") == {"person:Carl Gottlieb", "person:Peter Benchley"}
    assert ml100k.graph.entities(jaws, "production_company") == {"company:Universal Pictures"}


def test_spellings_wikidata_differs_on_are_joined(ml100k):
    linked = {link["item_id"]: link["title"] for link in ml100k.kg_links}
    by_title = {i.display_title: i.item_id for i in ml100k.catalog}
    assert linked[by_title["Twelve Monkeys (1995)"]] == "12 Monkeys"
    assert linked[by_title["The Professional (1994)"]] == "Léon: The Professional"
    assert linked[by_title["Star Wars (1977)"]] == "Star Wars: Episode IV – A New Hope"
    assert linked[by_title["Three Colors: Blue (1993)"]] == "Three Colours: Blue"  # not Jarman's "Blue" (1993)
    assert by_title["Les Boys (1997)"] not in linked  # another film's "Boys" (1996) is no match


def test_coverage_beats_the_quick_matcher(prepared):
    summary = json.loads((prepared / "summary.json").read_text())
    assert summary["kg_coverage_items"] >= 0.837 and summary["kg_coverage_ratings"] >= 0.938
    assert {"directed_by", "written_by", "starring", "production_company", "language", "country"} <= set(
        summary["kg_relations"]
    )


def _film(film_id: str, title: str, year: int) -> Film:
    return Film(film_id, None, title, year, {"directed_by": ("Someone",)})


@pytest.mark.parametrize(
    ("ours", "theirs", "tier"),
    [
        (("Usual Suspects, The", 1995), ("The Usual Suspects", 1995), "exact"),
        (("Dumb & Dumber", 1994), ("Dumb and Dumber", 1994), "variant"),
        (("Jackie Chan's First Strike", 1996), ("First Strike", 1996), "variant"),
        (("Jungle2Jungle", 1997), ("Jungle 2 Jungle", 1997), "fuzzy"),
        (("Heathers", 1989), ("Heathers", 1988), "exact"),
    ],
)
def test_a_title_joins_by_the_first_tier_that_finds_it(ours, theirs, tier):
    (link,) = FilmLinker([_film("7", *theirs)]).link([Item("1", *ours)])
    assert (link.film.film_id, link.tier) == ("7", tier)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (("Twisted", 1996), ("Twister", 1996)),  # fuzzy 86: below the cutoff
        (("Fausto", 1993), ("Faust", 1994)),  # fuzzy needs the same year
        (("Heat", 1995), ("Heat", 1972)),  # a remake decades apart
        (("Wife, The", 1995), ("The Preacher's Wife", 1996)),  # "The Preacher's" is no possessive prefix
        (("Gilligan's Island: The Movie", 1998), ("Rudolph the Red-Nosed Reindeer: The Movie", 1998)),
        (("Toy Story 2", 1999), ("Toy Story", 1999)),  # numbers must agree
    ],
)
def test_other_films_are_not_joined(ours, theirs):
    assert FilmLinker([_film("7", *theirs)]).link([Item("1", *ours)]) == []


def test_a_damaged_database_is_one_clear_error(tmp_path, ml100k_dir):
    broken = tmp_path / "movies.db"
    broken.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DataError, match=r"movies\.db: not the Wikidata films database"):
        load_ml100k(ml100k_dir, movies_db=broken)
    with sqlite3.connect(tmp_path / "empty.db") as db:
        db.execute("CREATE TABLE unrelated (x)")
    with pytest.raises(DataError, match="no such table"):
        read_films(tmp_path / "empty.db")


def test_another_release_of_the_database_is_refused(monkeypatch, tmp_path):
    folder = tmp_path / "bokeh_sampledata"
    (folder / "_data").mkdir(parents=True)
    (folder / "_data" / "movies.db").write_bytes(b"an older, non-commercial database")
    monkeypatch.setattr("rerec.assets.package_dir", lambda module: folder)
    with pytest.raises(MissingAssetError, match=r"pip install --no-deps bokeh-sampledata==2026\.1"):
        movies_db()


def test_the_embedded_database_is_the_pinned_one():
    assert movies_db().name == "movies.db"


def test_unlinked_films_keep_genre_and_decade(ml100k):
    linked = {link["item_id"] for link in ml100k.kg_links}
    unlinked = [i for i in ml100k.catalog if i.item_id not in linked]
    assert unlinked and all(ml100k.graph.entities(i.item_id, "decade") for i in unlinked if i.year)
    assert not any(ml100k.graph.entities(i.item_id, "directed_by") for i in unlinked)


def test_catalog_without_matches_links_nothing():
    assert FilmLinker([_film("1", "Jaws", 1975)]).link(Catalog([Item("9", "Undated", None)])) == []


@pytest.mark.parametrize(("dataset", "kg"), [("ml-100k", "dbpedia"), ("bookcrossing", "wikidata")])
def test_kg_is_a_choice_of_ml100k_graphs(dataset, kg):
    from rerec.config import DataConfig

    with pytest.raises(ValueError, match="--kg chooses ml-100k's graph"):
        DataConfig(dataset=dataset, data_dir="somewhere", kg=kg)
