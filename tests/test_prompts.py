"""Prompts: the candidates and the facts block, grouped by item (default) or by entity."""

from __future__ import annotations

import pytest

from rerec.task.prompts import PromptConfig, build_messages

RECORD = {
    "query": "Films by the director of Jaws?",
    "positive_id": "2",
    "candidates": [{"item_id": "2", "title": "Duel (1971)"}, {"item_id": "3", "title": "Heat (1995)"}],
    "facts": [
        {"item_id": "2", "relation": "directed_by", "entity_id": "m.1", "entity_name": None},
        {"item_id": "3", "relation": "directed_by", "entity_id": "m.2", "entity_name": None},
        {"item_id": "3", "relation": "genre", "entity_id": "genre:Crime", "entity_name": "Crime"},
        {"item_id": "1", "relation": "directed_by", "entity_id": "m.1", "entity_name": None},
    ],
}


def test_facts_by_item_and_by_entity():
    by_item = build_messages(RECORD, PromptConfig(facts_by="item"), titles={"1": "Jaws (1975)"})[1]["content"]
    assert by_item == (
        "Films by the director of Jaws?\nChoose from the candidates.\nCandidates:\n1. Duel (1971)\n2. Heat (1995)\n"
        "Facts:\nDuel (1971): directed_by m.1\nHeat (1995): directed_by m.2, genre Crime\nJaws (1975): directed_by m.1"
    )
    by_entity = build_messages(RECORD, PromptConfig(facts_by="entity"), titles={"1": "Jaws (1975)"})[1]["content"]
    assert by_entity.split("Facts:\n")[1] == (
        "directed_by m.1: Duel (1971); Jaws (1975)\ndirected_by m.2: Heat (1995)\ngenre Crime: Heat (1995)"
    )
    capped = build_messages(RECORD, PromptConfig(max_facts=1, facts_by="entity"))[1]["content"]
    assert capped.endswith("Facts:\ndirected_by m.1: Duel (1971)")
    # in record order a cap cuts the hinted film (listed last); by hops it keeps both hops before the rest
    hint = {"1": "Jaws (1975)"}
    cut = build_messages(RECORD, PromptConfig(max_facts=2, facts_by="entity"), titles=hint)[1]["content"]
    assert "Jaws" not in cut.split("Facts:")[1]
    hops = build_messages(RECORD, PromptConfig(max_facts=2, facts_by="entity", facts_order="hops"), titles=hint)
    assert hops[1]["content"].endswith("Facts:\ndirected_by m.1: Jaws (1975); Duel (1971)")
    # by evidence the first hop's line leads even where the hinted film is itself a candidate (hops skips it)
    hinted_candidate = {**RECORD, "candidates": [*RECORD["candidates"], {"item_id": "1", "title": "Jaws (1975)"}]}
    order = PromptConfig(max_facts=2, facts_by="entity", facts_order="evidence")
    evidence = build_messages(hinted_candidate, order, titles=hint)[1]["content"]
    assert evidence.endswith("Facts:\ndirected_by m.1: Jaws (1975); Duel (1971)")
    # ... and a condition the query names outranks the facts listed before it
    named = {**RECORD, "query": "A crime film?"}
    capped = build_messages(named, PromptConfig(max_facts=1, facts_by="entity", facts_order="evidence"))
    assert capped[1]["content"].endswith("Facts:\ngenre Crime: Heat (1995)")
    assert PromptConfig().facts_by == "entity"  # the presets' and serving's layout
    with pytest.raises(ValueError, match="facts_by"):
        PromptConfig(facts_by="relation")
    with pytest.raises(ValueError, match="facts_order"):
        PromptConfig(facts_order="random")
