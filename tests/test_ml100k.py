import shutil

import pytest

from rerec.data.sources.ml100k import load_ml100k
from rerec.data.validation import DataError


def test_counts_match_the_published_dataset(ml100k):
    # 1,682 rows less RecBole's placeholder "unkonwn" (no title, year or genre) and its 9 ratings.
    assert len(ml100k.catalog) == 1681
    assert len(ml100k.interactions) == 100_000 - 9
    assert len(ml100k.users) == 943
    assert ml100k.catalog.noun == "movie"


def test_placeholder_item_is_dropped_and_counted(ml100k):
    assert "267" not in ml100k.catalog
    assert all(item.title != "unkonwn" for item in ml100k.catalog)
    assert ml100k.dropped["placeholder item without title, year or genre (its ratings go too)"] == 1
    assert ml100k.dropped["rating of an unknown item"] == 9


def test_titles_years_and_quirks(ml100k):
    assert ml100k.catalog["12"].display_title == "The Usual Suspects (1995)"
    # The damaged row whose year slid into the title is repaired, and the repair is counted.
    land = ml100k.catalog["1412"]
    assert (land.title, land.year) == ("Land Before Time III: The Time of the Great Giving", 1995)
    assert any("year" in reason for reason in ml100k.dropped)


def test_graph_is_item_first_with_named_attributes(ml100k):
    graph = ml100k.graph
    assert all(graph.is_named(r) for r in ("genre", "decade", "directed_by", "starring", "production_company"))
    assert ("genre", "genre:Crime") in graph.attributes("12")
    assert graph.entities("12", "decade") == {"decade:1990s"}
    assert graph.entities("1", "directed_by") == {"person:John Lasseter"}  # Toy Story
    assert graph.name("person:John Lasseter") == "John Lasseter"


def test_freebase_graph_is_kept_for_comparison():
    ds = load_ml100k(kg="freebase")
    graph = ds.graph
    assert not graph.is_named("directed_by")  # Freebase MIDs carry no names
    assert len(graph.entities("1", "directed_by")) == 1  # Toy Story: one director
    assert "film.director.film" not in graph.relations  # inverse duplicates are not loaded
    assert "cinematography" in ds.hop_relations and not ds.kg_links


def test_positives_are_time_ordered(ml100k):
    history = ml100k.interactions.history("1")
    assert [r.timestamp for r in history] == sorted(r.timestamp for r in history)
    assert all(ml100k.interactions.positives("1"))


@pytest.mark.parametrize(
    ("file", "line", "replacement", "message"),
    [
        ("ml-100k.inter", 5, "196\t242\tthree\t881250949", r"ml-100k.inter, line 5, field 'rating'"),
        ("ml-100k.user", 3, "2\t53", r"ml-100k.user, line 3: expected 5 fields"),
        ("ml-100k.link", 2, "99999\tm.08gjyx", r"ml-100k.link, line 2, field 'item_id': links unknown item"),
        ("ml-100k.item", 4, "2\tDuplicate\t1995\tAction", r"ml-100k.item, line 4, field 'item_id': duplicate"),
    ],
)
def test_malformed_files_fail_with_file_line_and_field(tmp_path, ml100k_dir, file, line, replacement, message):
    folder = tmp_path / "ml"
    shutil.copytree(ml100k_dir, folder)
    lines = (folder / file).read_text().splitlines()
    lines[line - 1] = replacement
    (folder / file).write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=message):
        load_ml100k(folder, kg="freebase")  # the only graph that reads ml-100k.link
