"""The graph check: a refuted answer leads with the one candidate the graph confirms for every entity the request
names, and only then."""

from __future__ import annotations

import pytest

from rerec.data.catalog import Catalog, Item
from rerec.data.grounding import TitleIndex
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.eval.harness import score_row
from rerec.task.answer import AnswerReader
from rerec.task.graph_check import confirmed, graph_lead, led_by
from rerec.task.verifier import StepVerifier, mentioned_entities

CATALOG = Catalog(
    [
        Item("1", "Jaws", 1975, {"genre": ("Thriller",)}),
        Item("2", "Duel", 1971, {"genre": ("Thriller",)}),
        Item("3", "Alien", 1979, {"genre": ("Horror",)}),
    ]
)
NAMES = {"person:Steven Spielberg": "Steven Spielberg", "person:Ridley Scott": "Ridley Scott"}
GRAPH = KnowledgeGraph.from_catalog(
    CATALOG,
    extra=[
        Triple("1", "directed_by", "person:Steven Spielberg"),
        Triple("2", "directed_by", "person:Steven Spielberg"),
        Triple("3", "directed_by", "person:Ridley Scott"),
    ],
    entity_names=NAMES,
)
IDS = ["1", "2", "3"]


def test_a_request_names_its_entities_longest_first():
    assert mentioned_entities(GRAPH, "A thriller directed by Steven Spielberg") == [
        "genre:Thriller",
        "person:Steven Spielberg",
    ]
    assert mentioned_entities(GRAPH, "something fun") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a Horror film", ["3"]),
        ("a Thriller directed by Steven Spielberg", ["1", "2"]),  # two fit: the graph cannot settle it
        ("a Horror film directed by Steven Spielberg", []),  # none fits every named entity
        ("like Jaws, but newer", []),  # names a film, not an entity
    ],
)
def test_confirmed_candidates_have_every_named_entity(query, expected):
    assert confirmed(GRAPH, query, IDS) == expected


def test_the_lead_is_the_only_confirmed_candidate_unless_it_leads_already():
    assert graph_lead(GRAPH, "a Horror film", IDS, ("1", "3")) == "3"
    assert graph_lead(GRAPH, "a Horror film", IDS, ("3", "1")) is None
    assert graph_lead(GRAPH, "a Thriller by Steven Spielberg", IDS, ("3",)) is None
    assert led_by("3", ("1", None, "3", "2")) == ("3", "1", None, "2")


ROW = {
    "query": "Recommend a Horror film directed by Ridley Scott.",
    "candidates": [{"item_id": i, "title": CATALOG[i].display_title} for i in IDS],
    "ground_truth": [{"item_id": "3", "title": "Alien (1979)"}],
    "conditions": [{"relation": "genre", "entity": "genre:Horror", "via_items": []}],
}
REFUTED = "Step 1: Jaws (1975) was directed by Ridley Scott.\n\\boxed{Jaws; Alien}"
UNREFUTED = "Step 1: Jaws (1975) is a Thriller title.\n\\boxed{Jaws; Alien}"


@pytest.mark.parametrize(
    ("text", "check", "hit", "led"),
    [
        (REFUTED, True, 1.0, 1.0),  # refuted and one confirmed candidate: the graph's answer leads
        (REFUTED, False, 0.0, None),  # switched off: the model's own answer, and no graph_led key
        (UNREFUTED, True, 0.0, 0.0),  # nothing refuted: the answer stands
        ("Step 1: Jaws (1975) was directed by Ridley Scott.", True, 0.0, 0.0),  # no boxed answer to correct
    ],
)
def test_scores_follow_the_checked_answer(text, check, hit, led):
    verifier = StepVerifier(GRAPH, CATALOG, IDS)
    scores = score_row(ROW, text, AnswerReader(TitleIndex(CATALOG)), GRAPH, verifier, 2, graph_check=check)
    assert scores["hit@1"] == hit
    assert scores.get("graph_led") == led
