"""Exact values for RAAE on hand-written completions."""

import pytest
import torch

from rerec.data.catalog import Catalog, Item
from rerec.data.grounding import TitleIndex
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.task.answer import AnswerReader
from rerec.task.verifier import StepVerifier
from rerec.training.raae import (
    incorrect_segments,
    penalty_scales,
    penalty_shift,
    token_advantages,
    token_mask,
    token_normalised,
    wrong_titles,
)

CATALOG = Catalog(
    [Item("1", "Jaws", 1975, {"genre": ("Thriller",)}), Item("2", "Alien", 1979, {"genre": ("Sci-Fi",)})]
)
GRAPH = KnowledgeGraph.from_catalog(
    CATALOG, extra=[Triple("1", "directed_by", "m.s"), Triple("2", "directed_by", "m.r")]
)
CANDS = [{"item_id": "1", "title": "Jaws (1975)"}, {"item_id": "2", "title": "Alien (1979)"}]
TITLES = {c["item_id"]: c["title"] for c in CANDS}
READER = AnswerReader(TitleIndex(CATALOG))
WRONG = "Step 1: The query wants a Spielberg film.\nStep 2: Alien (1979) fits best.\n\\boxed{Alien (1979)}"
RIGHT = "Step 1: Jaws (1975) was directed by m.s.\nStep 2: Alien is a Sci-Fi film.\n\\boxed{Jaws (1975)}"


def test_wrong_answer_penalises_the_steps_that_name_it():
    answer = READER.read(WRONG, CANDS)
    assert wrong_titles(answer, {"1"}, TITLES) == ["Alien (1979)"]
    bad, total = incorrect_segments(WRONG, answer, {"1"}, TITLES)
    assert total == 2 and [s.text for s in bad] == ["Step 2: Alien (1979) fits best."]


def test_right_answer_penalises_nothing_without_a_verifier():
    answer = READER.read(RIGHT, CANDS)
    assert wrong_titles(answer, {"1"}, TITLES) == []
    assert incorrect_segments(RIGHT, answer, {"1"}, TITLES) == ([], 2)


def test_verifier_flags_a_false_claim_even_in_a_right_answer():
    text = RIGHT.replace("Jaws (1975) was directed by m.s", "Jaws (1975) was directed by m.r")
    verifier = StepVerifier(GRAPH, CATALOG, TITLES)
    bad, _ = incorrect_segments(text, READER.read(text, CANDS), {"1"}, TITLES, verifier)
    assert [s.text for s in bad] == ["Step 1: Jaws (1975) was directed by m.r."]


def test_a_boxed_non_candidate_is_wrong_as_written():
    text = "Step 1: Jaws 2 (1978) has the same director.\nStep 2: It fits.\n\\boxed{Jaws 2 (1978)}"
    answer = READER.read(text, CANDS)
    assert answer.ranked == (None,) and wrong_titles(answer, {"1"}, TITLES) == ["Jaws 2 (1978)"]
    bad, total = incorrect_segments(text, answer, {"1"}, TITLES)
    assert total == 2 and [s.text for s in bad] == ["Step 1: Jaws 2 (1978) has the same director."]


def test_no_box_means_no_wrong_item():
    text = "Step 1: Alien (1979) maybe."
    assert incorrect_segments(text, READER.read(text, CANDS), {"1"}, TITLES) == ([], 1)


def test_token_mask_uses_character_overlap():
    bad, _ = incorrect_segments(WRONG, READER.read(WRONG, CANDS), {"1"}, TITLES)
    start = WRONG.index("Step 2")
    offsets = [(0, 4), (start - 1, start), (start, start + 4), (start + 10, start + 15), (len(WRONG) - 5, len(WRONG))]
    assert token_mask(offsets, bad) == [False, False, True, True, False]  # newline before it and the box: no


def test_token_advantages_exact_values():
    # group rewards 1.0 and 0.2: mean 0.6, std (unbiased) 0.565685; GRPO advantage of the first 0.4 / scale
    scale = 0.565685 + 1e-4
    adv = token_advantages(0.4 / scale, penalty_shift("scalar", 0.3, 1.0, scale), [False, True, True])
    assert adv[0] == pytest.approx(0.4 / scale)  # = (r - mean) / scale
    assert adv[1] == adv[2] == pytest.approx((0.7 - 0.6) / scale)  # r_t = (1 - 0.3) * 1.0
    shift = penalty_shift("scalar", 0.3, -0.5, 1.0)
    assert token_advantages(-0.7, shift, [True]) == [pytest.approx(-0.85)]  # never raised by the penalty
    # in advantage space the shift is the penalty itself, however small the reward
    assert token_advantages(0.1, penalty_shift("advantage", 0.3, 0.06, 0.25), [True]) == [pytest.approx(-0.2)]


def test_penalty_off_is_exactly_grpo():
    for norm in ("scalar", "advantage"):
        assert token_advantages(0.42, penalty_shift(norm, 0.0, 0.9, 0.3), [True, False, True]) == [0.42] * 3
    assert token_normalised(torch.tensor([0.9, 0.1]), [3, 3], [[True, False, True], None], 2, 0.0) is not None


def test_a_tied_group_penalty_is_scaled_by_the_floor_not_by_epsilon():
    rewards = torch.tensor([0.05, 0.05, 1.05, 0.05, 0.056, 0.0561, 0.9, 0.1])  # tied, spread, near-tied, spread
    scales = penalty_scales(rewards, 2)
    spread1, spread2 = float(rewards[2:4].std()) + 1e-4, float(rewards[6:].std()) + 1e-4
    assert scales.tolist() == pytest.approx([0.25, 0.25, spread1, spread1, 0.25, 0.25, spread2, spread2])
    # a tied group's penalised tokens move by w*|r|/0.25 (0.06 here), not by w*|r|/1e-4 (150)
    shift = penalty_shift("scalar", 0.3, 0.05, float(scales[0]))
    assert token_advantages(0.0, shift, [True, False]) == [pytest.approx(-0.06), 0.0]
    # without a floor the near-tied group (rewards differing in the 4th decimal) would divide by ~1.7e-4
    assert float(penalty_scales(rewards, 2, floor=1e-9)[4]) == pytest.approx(float(rewards[4:6].std()) + 1e-4)
    assert penalty_scales(rewards, 2, "none").tolist() == [1.0] * 8
    assert penalty_scales(rewards, 2, "batch").tolist() == pytest.approx([float(rewards.std()) + 1e-4] * 8)


def test_token_reading_contrasts_steps_inside_a_tied_group():
    # 4 wrong answers, the same reward (GRPO: all zero); half of each answer's 4 tokens penalised
    rewards = torch.full((4,), 0.058)
    rows = token_normalised(rewards, [4] * 4, [[True, True, False, False]] * 4, 4, 0.3)
    half_gap = 0.3 * 0.058 / 2  # each token sits this far from the group's token mean
    expected = half_gap / (half_gap * (16 / 15) ** 0.5 + 1e-4)  # unbiased std over 16 tokens, plus epsilon
    for row in rows:
        assert row == pytest.approx([-expected] * 2 + [expected] * 2)
    assert expected == pytest.approx(0.958, abs=1e-3)
    # a group without a penalised token keeps GRPO's scalar advantages (None), a NaN reward too
    assert token_normalised(torch.tensor([1.0, 0.0]), [2, 2], [None, None], 2, 0.3) == [None, None]
    assert token_normalised(torch.tensor([1.0, float("nan")]), [2, 2], [[True], None], 2, 0.3) == [None, None]


def test_token_reading_is_clipped_where_few_tokens_are_penalised():
    rows = token_normalised(torch.tensor([1.07, 1.07]), [20, 20], [[True] + [False] * 19, None], 2, 0.3, clip=3.0)
    assert rows[0][0] == -3.0 and all(0 < a < 0.2 for a in rows[0][1:] + rows[1])
    assert len(rows[0]) == 20 and len(rows[1]) == 20  # unmapped tail tokens count as unpenalised


HINT = "Step 1: Jaws (1975) was directed by m.s.\nStep 2: Jaws (1975) is the answer.\n\\boxed{Jaws (1975)}"


def test_unverified_target_spares_a_true_step_about_the_wrong_item():
    verifier = StepVerifier(GRAPH, CATALOG, TITLES)
    answer = READER.read(HINT, CANDS)  # boxed Jaws; the truth is Alien
    steps = [s.text for s in incorrect_segments(HINT, answer, {"2"}, TITLES, verifier)[0]]
    assert steps == ["Step 1: Jaws (1975) was directed by m.s.", "Step 2: Jaws (1975) is the answer."]
    spared = incorrect_segments(HINT, answer, {"2"}, TITLES, verifier, spare_verified=True)[0]
    assert [s.text for s in spared] == ["Step 2: Jaws (1975) is the answer."]  # no claim there: still penalised


def test_verifier_penalty_is_its_own_switch():
    text = RIGHT.replace("Jaws (1975) was directed by m.s", "Jaws (1975) was directed by m.r")
    verifier = StepVerifier(GRAPH, CATALOG, TITLES)
    assert incorrect_segments(text, READER.read(text, CANDS), {"1"}, TITLES, verifier, false_steps=False) == ([], 2)
