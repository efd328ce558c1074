import pytest

from rerec.data.catalog import Catalog, Item
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.task.verifier import Claim, StepVerifier, state

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


NAMED_CATALOG = Catalog(
    [Item("1", "Jaws", 1975), Item("2", "E.T. the Extra-Terrestrial", 1982), Item("3", "Titanic", 1997)]
)
NAMED_GRAPH = KnowledgeGraph.from_catalog(
    NAMED_CATALOG,
    extra=[
        Triple("1", "directed_by", "person:Steven Spielberg"),
        Triple("2", "directed_by", "person:Steven Spielberg"),
        Triple("3", "directed_by", "person:James Cameron"),
        Triple("1", "written_by", "person:Peter Benchley"),
        Triple("1", "starring", "person:Roy Scheider"),
        Triple("1", "production_company", "company:Universal Pictures"),
        Triple("1", "country", "country:United States"),
    ],
    entity_names={
        "person:Steven Spielberg": "Steven Spielberg", "person:James Cameron": "James Cameron",
        "person:Peter Benchley": "Peter Benchley", "person:Roy Scheider": "Roy Scheider",
        "company:Universal Pictures": "Universal Pictures", "country:United States": "United States",
    },
)  # fmt: skip


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("Jaws (1975) was directed by Steven Spielberg.", [("directed_by", "person:Steven Spielberg", "true")]),
        # Cameron directs none of the items the query knows; he is still a name the graph can refute.
        ("Jaws (1975) was directed by James Cameron.", [("directed_by", "person:James Cameron", "false")]),
        # A director named as writer: the words say the role, and the graph knows Jaws's writers.
        ("Jaws (1975) was written by Steven Spielberg.", [("written_by", "person:Steven Spielberg", "false")]),
        ("Jaws stars Roy Scheider.", [("starring", "person:Roy Scheider", "true")]),
        # "made" is a studio word too, but a country is no studio.
        ("Jaws was made in the United States.", [("country", "country:United States", "true")]),
        (
            "Jaws was made by the studio Universal Pictures.",
            [("production_company", "company:Universal Pictures", "true")],
        ),
        ("Steven Spielberg is not the director of Titanic.", []),
    ],
)
def test_named_claims(step, expected):
    verifier = StepVerifier(NAMED_GRAPH, NAMED_CATALOG, ["1"])
    assert [(c.relation, c.entity, c.verdict) for c in verifier.claims(step)] == expected


def test_named_shared_claims():
    verifier = StepVerifier(NAMED_GRAPH, NAMED_CATALOG, ["1", "2", "3"])
    same = verifier.claims("Jaws (1975) has the same director as E.T. the Extra-Terrestrial (1982).")
    assert [(c.relation, c.verdict) for c in same] == [("directed_by", "true")]
    other = verifier.claims("Titanic (1997) has the same director as Jaws (1975).")
    assert [(c.relation, c.verdict) for c in other] == [("directed_by", "false")]
