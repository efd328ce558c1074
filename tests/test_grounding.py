import pytest

from rerec.data.catalog import Catalog, Item
from rerec.data.grounding import TitleIndex, normalize, split_year


@pytest.fixture(scope="module")
def index(ml100k):
    return TitleIndex(ml100k.catalog)


def test_normalize():
    assert normalize("Usual Suspects, The") == normalize("The Usual Suspects") == "usual suspects"
    assert normalize("Amélie") == normalize("Amelie") == "amelie"
    assert split_year("Jaws (1975)") == ("Jaws", 1975)
    assert split_year("Jaws") == ("Jaws", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Usual Suspects, The (1995)", "12"),  # ml-100k's own spelling
        ("The Usual Suspects", "12"),
        ("usual suspects (1995)", "12"),
        ("The Usual Suspect", "12"),  # fuzzy
        ("Cape Fear (1962)", "673"),  # remakes: the year decides
        ("Cape Fear (1991)", "218"),
        ("Mitt liv som hund", "529"),  # alternative title in parentheses
        ("Se7en", "11"),
        ("Toy Story 3", None),  # a sequel number never fuzzy-matches the original
        ("Alien 3", "665"),
        ("A film that does not exist", None),
        ("", None),
    ],
)
def test_ml100k_titles(index, text, expected):
    assert index.ground(text) == expected


def test_candidates_restrict_grounding(index):
    assert index.ground("Cape Fear", candidates=["673", "1"]) == "673"
    assert index.ground("The Usual Suspects", candidates=["1", "2"]) is None
    assert index.ground("Usual Suspectz", candidates=["12", "1"]) == "12"


def test_same_title_different_year_in_a_small_catalog():
    idx = TitleIndex(Catalog([Item("a", "Sabrina", 1954), Item("b", "Sabrina", 1995)]))
    assert idx.ground("Sabrina (1995)") == "b" and idx.ground("Sabrina (1954)") == "a"
    assert idx.ground("Sabrina") == "a"  # no year: first in catalog order
    with pytest.raises(ValueError):
        TitleIndex(Catalog([]), threshold=0)
