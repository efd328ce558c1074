"""Rewards on hand-written completions over a 4-item graph, plus property tests on arbitrary strings."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rerec.data.catalog import Catalog, Item
from rerec.data.grounding import TitleIndex
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.data.lightgcn import Embeddings
from rerec.rewards.accuracy import NDCGReward, StepsFormatReward, format_reward
from rerec.rewards.pas import PASReward
from rerec.rewards.qas import QASReward
from rerec.rewards.shaping import RewardConfig, build_rewards, weighted_rewards
from rerec.rewards.steps import StepTruthReward
from rerec.task.answer import AnswerReader
from rerec.task.metrics import rank_weights

CATALOG = Catalog(
    [
        Item("1", "Jaws", 1975, {"genre": ("Thriller",)}),
        Item("2", "Alien", 1979, {"genre": ("Thriller",)}),
        Item("3", "Annie Hall", 1977, {"genre": ("Comedy",)}),
        Item("4", "Heat", 1995, {"genre": ("Crime",)}),
    ]
)
GRAPH = KnowledgeGraph.from_catalog(
    CATALOG,
    extra=[Triple("1", "directed_by", "d1"), Triple("2", "directed_by", "d2"), Triple("3", "directed_by", "d1")],
)
EMB = Embeddings(
    ["1", "2", "3", "4"], np.array([[1, 0], [0, 1], [-1, 0], [0.6, 0.8]], dtype=np.float32), [], np.zeros((0, 2))
)
CANDS = [{"item_id": i, "title": CATALOG[i].display_title} for i in "1234"]
TRUTH = [{"item_id": "1", "title": "Jaws (1975)"}]
CONDS = [
    {"relation": "genre", "entity": "genre:Thriller"},
    {"relation": "directed_by", "entity": "d1"},
    {"relation": "decade", "entity": "decade:1970s"},
]


def reader(mode="candidates"):
    return AnswerReader(TitleIndex(CATALOG), mode)


def call(reward, completions, **columns):
    n = len(completions)
    defaults = {"ground_truth": [TRUTH] * n, "candidates": [CANDS] * n, "conditions": [CONDS] * n, "hinted": [[]] * n}
    return reward(completions, **{**defaults, **columns})


def test_format_and_ndcg():
    completions = ["Step 1: ...\n\\boxed{Jaws (1975)}", "\\boxed{Alien}", "\\boxed{}", "Jaws, no box"]
    assert format_reward(completions) == [0.5, 0.5, 0.5, -0.5]
    # An empty box grounds nothing: no answer, like no box.
    assert call(NDCGReward(reader()), completions) == [1.0, 0.0, -0.5, -0.5]
    assert call(NDCGReward(reader(), ungrounded_as_no_answer=False), completions) == [1.0, 0.0, 0.0, -0.5]
    ndcg3 = NDCGReward(reader(), k=3)
    assert call(ndcg3, ["\\boxed{Alien; Jaws}"]) == [pytest.approx(1 / math.log2(3))]


def test_format_can_ask_for_reasoning_lines_before_the_box():
    completions = ["Step 1: a.\nStep 2: b.\n\\boxed{Jaws}", "Step 1: a.\n\\boxed{Jaws}", "\\boxed{Jaws}", "Step 1: a."]
    assert StepsFormatReward(1)(completions) == [0.5, 0.5, -0.5, -0.5]
    assert StepsFormatReward(2)(completions) == [0.5, -0.5, -0.5, -0.5]
    assert StepsFormatReward(1).__name__ == "format_reward"  # logged under the same name as the plain term
    with pytest.raises(ValueError, match="min_steps"):
        StepsFormatReward(0)
    with pytest.raises(ValueError, match="format_min_steps"):
        RewardConfig(format_min_steps=-1)


def test_ndcg_reward_logs_parse_failures_and_hit_rate():
    logged = {}
    call(
        NDCGReward(reader()),
        ["\\boxed{Jaws}", "\\boxed{Alien}", "none", "\\boxed{Jaws}"],
        log_metric=logged.__setitem__,
    )
    assert logged == {"parse_fail_rate": 0.25, "ground_fail_rate": 0.0, "hit@1": 0.5}


def test_candidates_mode_ignores_titles_outside_the_prompt():
    cands = [CANDS[1], CANDS[2]]
    # A boxed non-candidate is no answer (-0.5), not a wrong one (0): it must not be the safe choice.
    assert call(NDCGReward(reader()), ["\\boxed{Jaws}"], candidates=[cands]) == [-0.5]
    assert call(NDCGReward(reader(), ungrounded_as_no_answer=False), ["\\boxed{Jaws}"], candidates=[cands]) == [0.0]
    # One grounded entry makes it an answer, ranked by where the grounded entries stand.
    assert call(NDCGReward(reader(), k=2), ["\\boxed{Jaws; Alien}"], candidates=[cands]) == [0.0]
    assert call(NDCGReward(reader("open")), ["\\boxed{Jaws}"], candidates=[cands]) == [1.0]


def test_qas_by_hand():
    qas = QASReward(reader(), GRAPH, k=1)
    # Jaws: 3/3; Annie Hall: d1 + 1970s = 2/3; Alien: thriller + 1970s = 2/3; Heat: 0; no box: 0.
    got = call(qas, ["\\boxed{Jaws}", "\\boxed{Annie Hall}", "\\boxed{Alien}", "\\boxed{Heat}", "none"])
    assert got == pytest.approx([1.0, 2 / 3, 2 / 3, 0.0, 0.0])
    w = rank_weights(2)
    assert call(QASReward(reader(), GRAPH, k=None), ["\\boxed{Heat; Jaws}"]) == [pytest.approx(w[0] * 0 + w[1] * 1)]


def test_qas_without_conditions_uses_what_the_truth_shares():
    qas = QASReward(reader(), GRAPH)
    truth = [{"item_id": "1", "title": "Jaws"}, {"item_id": "3", "title": "Annie Hall"}]  # share d1 and 1970s
    got = call(qas, ["\\boxed{Alien}", "\\boxed{Annie Hall}"], ground_truth=[truth] * 2, conditions=[[], []])
    assert got == pytest.approx([0.5, 1.0])
    nothing_shared = [{"item_id": "3", "title": "x"}, {"item_id": "4", "title": "y"}]
    assert call(qas, ["\\boxed{Heat}"], ground_truth=[nothing_shared], conditions=[[]]) == [None]


def test_pas_by_hand():
    pas = PASReward(reader(), EMB, k=1)
    got = call(pas, ["\\boxed{Jaws}", "\\boxed{Alien}", "\\boxed{Annie Hall}", "\\boxed{Heat}", "\\boxed{Nope}"])
    assert got == pytest.approx([1.0, 0.5, 0.0, 0.8, 0.0])
    two = [{"item_id": "1", "title": "Jaws"}, {"item_id": "2", "title": "Alien"}]
    assert call(pas, ["\\boxed{Heat}"], ground_truth=[two]) == [pytest.approx((0.8 + 1) / 2)]  # max over truth


def test_step_truth_is_one_minus_the_false_step_share():
    steps = StepTruthReward(GRAPH, CATALOG)
    half = "Step 1: Jaws (1975) is a Thriller title.\nStep 2: Heat (1995) is a Comedy title.\n\\boxed{Jaws (1975)}"
    true = "Step 1: Jaws is a Thriller.\nStep 2: I like it.\n\\boxed{Jaws}"
    vague = "Step 1: I like films like this.\n\\boxed{Jaws}"
    assert call(steps, [half, true, vague, "no steps at all"]) == [0.5, 1.0, 0.0, 0.0]
    # steps about a hinted item are checked too; an item the prompt never named makes no claim
    heat = "Step 1: Heat (1995) is a Crime film.\n\\boxed{Jaws}"
    first_three, hint = CANDS[:3], [CANDS[3]]
    assert call(steps, [heat, heat], candidates=[first_three] * 2, hinted=[hint, []]) == [1.0, 0.0]


def test_step_truth_is_off_by_default_and_weighted_when_on(tmp_path):
    ds = SimpleNamespace(graph=GRAPH, catalog=CATALOG)  # what build_rewards reads of a RecDataset
    off = build_rewards(tmp_path, RewardConfig(pas=False), ds, reader())
    on = build_rewards(tmp_path, RewardConfig(pas=False, step_truth_weight=0.2), ds, reader())
    assert [f.__name__ for f in on[0]] == [*(f.__name__ for f in off[0]), "step_truth_reward"]
    assert on[1] == [*off[1], 0.2]
    with pytest.raises(ValueError, match="step_truth_weight"):
        RewardConfig(step_truth_weight=-1)


def test_weighted_rewards_and_defaults():
    cfg = RewardConfig()
    assert (cfg.ndcg_k, cfg.format_weight, cfg.qas_weight, cfg.pas_weight) == (1, 0.1, 0.01, 0.01)
    assert RewardConfig(mode="open").ndcg_k == 10
    nan = float("nan")
    per_func = torch.tensor([[0.5, 1.0, nan], [-0.5, -0.5, 0.0], [nan, nan, nan]])  # format, ndcg, qas
    rewards = weighted_rewards(per_func, [0.1, 1.0, 0.01])
    assert rewards[:2].tolist() == pytest.approx([1.05, -0.55]) and torch.isnan(rewards[2])
    with pytest.raises(ValueError, match="mode"):
        RewardConfig(mode="x")


def test_reward_functions_are_picklable_and_named():
    import pickle

    for reward in (NDCGReward(reader()), QASReward(reader(), GRAPH), PASReward(reader(), EMB),
                   StepTruthReward(GRAPH, CATALOG)):  # fmt: skip
        clone = pickle.loads(pickle.dumps(reward))
        assert clone.__name__ == reward.__name__
        assert call(clone, ["\\boxed{Jaws}"]) == call(reward, ["\\boxed{Jaws}"])


ANY_TEXT = st.one_of(
    st.text(max_size=400),
    st.text(max_size=200).map(lambda s: "\\boxed{" + s + "}"),
    st.lists(st.sampled_from(["\\boxed{", "}", "{", ";", "Jaws", "(1975)", "<think>", "</think>", "\n", "1."])).map(
        "".join
    ),
)
RANGES = {
    "step_truth_reward": (0.0, 1.0),
    "ndcg_reward": (-0.5, 1.0),
    "qas_reward": (0.0, 1.0),
    "pas_reward": (0.0, 1.0),
    "format_reward": (-0.5, 0.5),
}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ANY_TEXT)
def test_any_string_gives_a_finite_reward_in_range(text):
    rewards = [
        format_reward,
        StepsFormatReward(1),
        NDCGReward(reader(), 3),
        QASReward(reader(), GRAPH, None),
        PASReward(reader(), EMB, None),
        StepTruthReward(GRAPH, CATALOG),
    ]
    for reward in rewards:
        (value,) = call(reward, [text])
        low, high = RANGES[reward.__name__]
        assert value is not None and math.isfinite(value) and low <= value <= high


def test_100kb_of_junk():
    junk = ("\\boxed{" + "Jaws;" * 5000 + "é{}" * 10000)[:100_000]
    rewards = (format_reward, NDCGReward(reader()), QASReward(reader(), GRAPH), PASReward(reader(), EMB),
               StepTruthReward(GRAPH, CATALOG))  # fmt: skip
    for reward in rewards:
        (value,) = call(reward, [junk])
        assert math.isfinite(value)
