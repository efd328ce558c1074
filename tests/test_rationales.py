"""Warm-start rationales state only true facts (checked by the step verifier) and box the positive."""

import pytest

from rerec.data.dataset import RecDataset
from rerec.task.parsing import parse_items, segments
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments, load_split
from rerec.task.verifier import StepVerifier
from rerec.training.rationales import rationale


@pytest.fixture(scope="module")
def rows(prepared):
    data, _ = load_split(
        TrainDataArguments(prepared=str(prepared), max_queries=400), PromptConfig(max_candidates=10), "candidates"
    )
    return list(data)


def test_every_claim_in_a_rationale_is_true(prepared, rows):
    ds = RecDataset.load(prepared)
    checked = 0
    for row in rows:
        titles = {c["item_id"]: c["title"] for c in row["candidates"] + row["hinted"]}
        text = rationale(row, titles)
        assert parse_items(text) == [titles[row["positive_id"]]]
        verifier = StepVerifier(ds.graph, ds.catalog, titles)
        for step in segments(text):
            claims = verifier.claims(step.text)
            checked += len(claims)
            # a misinformed step states the false hint's own (true) entity, then rejects the hint
            assert all(c.verdict != "false" for c in claims), (row["id"], step.text, claims)
    assert checked > len(rows)
