import pytest

from rerec.data.catalog import Catalog, Item
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.rewards.verifier import Claim, StepVerifier, state

CATALOG = Catalog(
    [
        Item("1", "Jaws", 1975, {"genre": ("Thriller",)}),
        Item("2", "E.T. the Extra-Terrestrial", 1982, {"genre": ("Family",)}),
        Item("3", "Alien", 1979, {"genre": ("Sci-Fi",)}),
        Item("4", "International Man of Mystery", 1997, {"genre": ("Comedy",)}),
        Item("5", "Aliens", 1986, {"genre": ("Sci-Fi",)}),
        Item("6", "Mystery Train", 1989, {"genre": ("Mystery",)}),
    ]
)
GRAPH = KnowledgeGraph.from_catalog(
    CATALOG,
    extra=[
        Triple("1", "directed_by", "m.spielberg"),
        Triple("2", "directed_by", "m.spielberg"),
        Triple("3", "directed_by", "m.scott"),
        Triple("1", "starring", "m.scheider"),
    ],
)


THRILLER = Claim("1", "genre", "genre:Thriller", "true")


@pytest.fixture
def verifier():
    return StepVerifier(GRAPH, CATALOG, ["1", "2", "3", "4", "5"])


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("Step 1: Jaws (1975) was directed by m.spielberg.", [Claim("1", "directed_by", "m.spielberg", "true")]),
        ("Alien (1979) was directed by m.spielberg.", [Claim("3", "directed_by", "m.spielberg", "false")]),
        ("Jaws is a Thriller from the 1970s.", [THRILLER, Claim("1", "decade", "decade:1970s", "true")]),
        ("Jaws is a Comedy title.", [Claim("1", "genre", "genre:Comedy", "false")]),
        ("Jaws is not a Comedy.", []),
        ("Aliens is a Sci-Fi film.", [Claim("5", "genre", "genre:Sci-Fi", "true")]),  # not "Alien"
        ("International Man of Mystery is a Comedy.", [Claim("4", "genre", "genre:Comedy", "true")]),
        ("E.T. the Extra-Terrestrial has the same director as Jaws.", [Claim("2", "directed_by", None, "true", "1")]),
        ("Alien has the same director as Jaws.", [Claim("3", "directed_by", None, "false", "1")]),
        ("Aliens stars m.scheider.", [Claim("5", "starring", "m.scheider", "unknown")]),  # graph has no cast for it
        ("The director matters most here.", []),
    ],
)  # fmt: skip
def test_claims(verifier, step, expected):
    assert verifier.claims(step) == expected


def test_unknown_items_make_no_claims(verifier):
    assert verifier.claims("Mystery Train is a Comedy.") == []  # item 6 is not among the query's items


def test_state_round_trips_through_the_verifier(verifier):
    for relation, entity, truth in [("directed_by", "m.spielberg", "true"), ("genre", "Sci-Fi", "false")]:
        (claim,) = verifier.claims(state("Jaws (1975)", relation, entity))
        assert claim.verdict == truth
    assert state("Jaws", "award_won", "x") is None


@pytest.mark.parametrize(
    ("step", "verdict"),
    [
        ("Step 1: Jaws (1975) was directed by m.spielberg.", "verified"),
        ("Alien (1979) was directed by m.spielberg.", "false"),
        ("Jaws is a Thriller and Alien was directed by m.spielberg.", "false"),
        ("I think this one is good.", "unchecked"),
    ],
)
def test_step_verdict(verifier, step, verdict):
    assert verifier.verdict(step) == verdict
