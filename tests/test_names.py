"""People and studios named in free-form requests, found in full, by surname or misspelt."""

import pytest

from rerec.data.catalog import Catalog, Item
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.serve.names import NameFinder

CATALOG = Catalog([Item(str(i), f"Film {i}", 1990) for i in range(1, 8)])
CREDITS = [
    ("1", "directed_by", "person:Steven Spielberg"), ("2", "directed_by", "person:Steven Spielberg"),
    ("3", "directed_by", "person:Spike Lee"), ("4", "directed_by", "person:Spike Lee"),
    ("5", "directed_by", "person:Ang Lee"), ("6", "starring", "person:Tom Hanks"),
    ("7", "starring", "person:Prince"), ("1", "production_company", "company:Universal Pictures"),
    ("6", "production_company", "company:Pixar"),
]  # fmt: skip
GRAPH = KnowledgeGraph.from_catalog(
    CATALOG, [Triple(*t) for t in CREDITS], {e: e.split(":", 1)[1] for _i, _r, e in CREDITS}
)
FINDER = NameFinder(GRAPH, ("directed_by", "starring", "production_company"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("films with Tom Hanks", ["person:Tom Hanks"]),
        ("movies directed by steven spielberg", ["person:Steven Spielberg"]),  # a whole name in any case
        ("something by Spielberg", ["person:Steven Spielberg"]),
        ("a Speilberg film, please", ["person:Steven Spielberg"]),  # a typo
        ("Films by Lee", ["person:Spike Lee"]),  # a shared surname: the one with the most films
        ("Pixar movies", ["company:Pixar"]),
        ("a film about a prince", []),  # a one-word name counts only when capitalised
        ("Universal Pictures and Tom Hanks", ["company:Universal Pictures", "person:Tom Hanks"]),
        ("Something new?", []),  # a request word opening the sentence is no surname
    ],
)
def test_names_a_request_mentions(query, expected):
    assert FINDER.find(query) == expected


def test_words_of_named_titles_are_not_surnames():
    assert FINDER.find("more like Lee's film", ignore={"lee"}) == []
