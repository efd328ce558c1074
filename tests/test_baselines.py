"""Baseline rankers on a hand-built catalog: exact orders."""

from __future__ import annotations

import numpy as np
import pytest

from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.interactions import Interaction, Interactions, User
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.data.lightgcn import Embeddings
from rerec.eval.baselines import BASELINES, build_ranker, item_text

POOL = ["1", "2", "3", "4"]


@pytest.fixture(scope="module")
def ds() -> RecDataset:
    catalog = Catalog(
        [
            Item("1", "Jaws", 1975, {"genre": ("Thriller",)}),
            Item("2", "Alien", 1979, {"genre": ("Horror", "Sci-Fi")}),
            Item("3", "Heat", 1995, {"genre": ("Crime",)}),
            Item("4", "Fargo", 1996, {"genre": ("Crime", "Thriller")}),
        ]
    )
    graph = KnowledgeGraph.from_catalog(catalog, extra=[Triple("3", "directed_by", "m.mann")])
    rows = [
        Interaction(u, i, 5.0, t)
        for t, (u, i) in enumerate([("a", "4"), ("b", "4"), ("c", "4"), ("a", "3"), ("b", "3"), ("c", "2")])
    ]
    users = {"a": User("a", 30, "F"), "b": User("b", 31, "M"), "c": User("c", 60, "F")}
    return RecDataset("toy", catalog, graph, Interactions(rows), users)


@pytest.fixture(scope="module")
def embeddings() -> Embeddings:
    items = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [3.0, 0.0]], dtype=np.float32)
    users = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 0.0]], dtype=np.float32)
    return Embeddings(POOL, items, ["a", "b", "c"], users)


def row(**fields) -> dict:
    return {"id": "q1", "query": "", "user_id": None, "profile": None, "conditions": [], **fields}


def test_random_is_a_seeded_permutation_per_query(ds):
    ranker = build_ranker("random", ds, None, seed=0)
    first = ranker.rank(row(), POOL)
    assert sorted(first) == POOL and ranker.rank(row(), POOL) == first
    orders = {tuple(ranker.rank(row(id=f"q{i}"), POOL)) for i in range(20)}
    assert len(orders) > 5


def test_popularity_counts_training_interactions(ds):
    assert build_ranker("popularity", ds, None).rank(row(), POOL) == ["4", "3", "2", "1"]


def test_lightgcn_uses_user_then_group_then_hinted_items(ds, embeddings):
    ranker = build_ranker("lightgcn", ds, embeddings)
    assert ranker.rank(row(user_id="a"), POOL) == ["2", "3", "1", "4"]  # scores 0, 1, .5, 0 -> stable ties
    group = {"age_group": None, "gender": "F", "occupation": None}  # users a and c: mean (0.5, 0.5)
    assert ranker.rank(row(profile=group), POOL)[0] == "4"
    hinted = [{"relation": "directed_by", "entity": "m.mann", "via_items": ["2"]}]
    assert ranker.rank(row(conditions=hinted), POOL)[0] == "2"
    assert ranker.rank(row(), POOL) == ["4", "1", "2", "3"]  # no asker: the embedding norm


def test_kg_path_ranks_by_satisfied_conditions_then_popularity(ds):
    conditions = [{"relation": "genre", "entity": "genre:Crime", "via_items": []},
                  {"relation": "decade", "entity": "decade:1990s", "via_items": []}]  # fmt: skip
    ranker = build_ranker("kg-path", ds, None)
    assert ranker.rank(row(conditions=conditions), POOL) == ["4", "3", "2", "1"]
    thriller = [{"relation": "genre", "entity": "genre:Thriller", "via_items": []}]
    assert ranker.rank(row(conditions=thriller), POOL) == ["4", "1", "3", "2"]


def test_bm25_matches_query_words_to_item_text(ds):
    assert "Horror" in item_text(ds, "2") and item_text(ds, "2").startswith("Alien (1979)")
    ranker = build_ranker("bm25", ds, None)
    assert ranker.rank(row(query="a scary horror film"), POOL)[0] == "2"
    assert ranker.rank(row(query="crime"), POOL)[:2] == ["3", "4"]
    assert ranker.rank(row(query="the"), POOL) == POOL  # only stop words: every score 0, pool order kept


def test_unknown_baseline_is_a_clear_error(ds):
    with pytest.raises(ValueError, match="unknown baseline"):
        build_ranker("oracle", ds, None)
    with pytest.raises(ValueError, match="embeddings"):
        build_ranker("lightgcn", ds, None)
    assert set(BASELINES) >= {"random", "popularity", "lightgcn", "bm25", "minilm", "kg-path"}


def test_minilm_embeds_query_and_items_with_the_embedded_encoder(ds):
    pytest.importorskip("sentence_transformers")
    ranker = build_ranker("minilm", ds, None)
    assert ranker.rank(row(query="a monster hunts the crew of a spaceship"), POOL)[0] == "2"
    assert ranker.rank(row(query="a shark attacks swimmers at the beach"), POOL)[0] == "1"
