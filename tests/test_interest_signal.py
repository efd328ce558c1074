"""`benchmarks/interest_signal.py`: candidates scored by the graph facts they share with the liked films."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rerec.data.knowledge_graph import KnowledgeGraph, Triple

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import interest_signal  # noqa: E402

GRAPH = KnowledgeGraph(
    [
        Triple("liked", "genre", "genre:Drama"),
        Triple("liked", "starring", "person:A"),
        Triple("other", "genre", "genre:Comedy"),
        Triple("pos", "genre", "genre:Comedy"),
        Triple("pos", "starring", "person:A"),
        Triple("neg1", "genre", "genre:Drama"),
        Triple("neg2", "genre", "genre:Drama"),
    ]
)


def record(positive: str, candidates: list[str]) -> dict:
    return {
        "query": "I loved Liked (1990). What next?",
        "history": [{"item_id": "liked", "title": "Liked (1990)"}, {"item_id": "other", "title": "Other (1991)"}],
        "candidates": [{"item_id": c, "title": c} for c in candidates],
        "positive_id": positive,
    }


def test_ties_share_the_hit_and_a_lone_top_takes_it():
    assert interest_signal.expected_hit([2, 1, 0], 0) == 1.0
    assert interest_signal.expected_hit([1, 1, 0, 1], 1) == pytest.approx(1 / 3)
    assert interest_signal.expected_hit([1, 2, 0], 0) == 0.0


def test_the_named_films_and_the_history_give_different_profiles():
    liked = interest_signal.liked_films(record("pos", ["pos", "neg1"]))
    assert liked == {"named": ["liked"], "history": ["liked", "other"]}
    named = interest_signal.facts_of(GRAPH, liked["named"], "genre")
    assert interest_signal.shared_facts(GRAPH, named, "neg1", "genre") == 1
    assert interest_signal.shared_facts(GRAPH, named, "pos", "genre") == 0
    history = interest_signal.facts_of(GRAPH, liked["history"], interest_signal.ALL)
    assert interest_signal.shared_facts(GRAPH, history, "pos", interest_signal.ALL) == 2


def test_the_signal_reads_each_relation_at_each_shown_count():
    result = interest_signal.signal(GRAPH, [record("pos", ["neg1", "pos", "neg2"])], [3, 2])
    assert result["3"]["chance"] == pytest.approx(1 / 3)
    named = result["3"]["sources"]["named"]
    assert named["starring"]["hit@1"] == 1.0  # only the positive shares the liked film's actor
    assert named["genre"]["hit@1"] == 0.0  # both negatives share its genre, the positive does not
    assert named[interest_signal.ALL]["hit@1"] == pytest.approx(1 / 3)  # 1 shared fact each: a three-way tie
    assert result["2"]["sources"]["named"]["genre"]["hit@1"] == 0.0  # shown: neg1 and the positive


def test_a_count_above_a_query_s_candidates_is_refused():
    records = [record("pos", ["neg1", "pos", "neg2"]), record("pos", ["pos", "neg1"])]
    assert interest_signal.unshowable(records, [2]) is None
    assert interest_signal.unshowable(records, [3, 2]) == "3 asked, but some queries have only 2"
