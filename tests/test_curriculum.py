"""Ordering, filtering, replay, parking and RepeatSampler layout of the online curriculum."""

from collections import Counter

import pytest
from trl.trainer.utils import RepeatSampler

from rerec.training.curriculum import UNMEASURED, CurriculumSampler, CurriculumSettings, DifficultyTracker


def tracker(n=10, **settings) -> DifficultyTracker:
    kinds = ["explicit"] * (n // 2) + ["implicit"] * (n - n // 2)
    return DifficultyTracker(kinds, [1] * n, CurriculumSettings(**{"min_active": 2, "round_size": 100, **settings}))


def sampler(t: DifficultyTracker, batch_size: int = 2) -> CurriculumSampler:
    return CurriculumSampler(t, 1, batch_size, 1, seed=0)


def test_difficulty_and_measured_priors():
    t = DifficultyTracker(["explicit"] * 4 + ["implicit"] * 2, [1, 1, 2, 2, 1, 1], CurriculumSettings())
    assert t.get(0) == t.get(5) == UNMEASURED
    t.update(0, [1.0, 0.0, -0.5])  # clipped to [1, 0, 0] -> d = 2/3
    assert t.get(0) == 2 / 3
    assert t.get(1) == 2 / 3  # unseen explicit/1 queries take the seen bucket's mean
    t.update(2, [1.0])  # explicit/2: d = 0
    assert t.get(3) == 0.0 and t.get(1) == 2 / 3  # the bucket's mean before the type's
    assert t.get(4) == UNMEASURED
    t.update(4, [0.5, 0.5])
    assert t.get(5) == 0.5


def test_a_probe_serves_every_unmeasured_type_before_any_sorting():
    kinds = ["explicit"] * 6 + ["implicit"] * 6 + ["misinformed"] * 6 + ["interest"] * 6
    t = DifficultyTracker(kinds, [1] * 24, CurriculumSettings(round_size=8, replay=0.0, order="learnability"))
    s = sampler(t)
    probe = s.next_round()
    # one of each type, then one batch more: the round after is sorted before the last batch is scored
    assert len(probe) == 6 and {kinds[i] for i in probe[:4]} == set(t.kinds)
    t.visited.update(probe)
    for i in probe[:4]:  # the first two batches scored: explicit solved, misinformed at one half
        t.update(i, {"explicit": [1.0], "implicit": [0.7], "misinformed": [0.5], "interest": [0.0]}[kinds[i]])
    sorted_round = s.next_round()
    assert len(sorted_round) == 8 and all(kinds[i] == "misinformed" for i in sorted_round[:4])
    assert not any(kinds[i] == "explicit" for i in sorted_round)  # solved, so served after the rest


def test_rounds_order_easy_to_hard_and_drop_mastered():
    t = tracker(replay=0.0)
    for i, d in enumerate([0.9, 0.5, 0.05, 0.3, 0.7, 0.6, 0.2, 0.8, 0.4, 0.0]):
        t.update(i, [1 - d])
    order = sampler(t).next_round()
    assert order == [6, 3, 8, 1, 5, 4, 7, 0]  # 2 (0.05) and 9 (0.0) mastered, the rest ascending


def test_learnability_serves_queries_nearest_half_first_and_replays_last():
    t = tracker(replay=0.5, order="learnability")
    for i, d in enumerate([0.9, 0.5, 0.05, 0.3, 0.7, 0.6, 0.2, 0.8, 0.4, 0.0]):
        t.update(i, [1 - d])
    order = sampler(t).next_round()
    # |d - 0.5|: 1 (0), then 5 and 8 (0.1), 3 and 4 (0.2), 6 and 7 (0.3), 0 (0.4); replays of 2 and 9 at the end
    assert order[:1] == [1] and set(order[1:3]) == {5, 8} and set(order[3:5]) == {3, 4} and order[7] == 0
    assert set(order[8:]) == {2, 9}


def test_an_unknown_order_is_refused():
    with pytest.raises(ValueError, match="use one of"):
        CurriculumSettings(order="hard_first")


def test_replay_readmits_some_mastered():
    t = tracker(replay=0.5)
    for i in range(10):
        t.update(i, [1.0 if i < 6 else 0.5])  # six mastered, four at 0.5
    order = sampler(t).next_round()
    assert len(order) == 4 + 2 and sum(i < 6 for i in order) == 2


def test_parking_and_revisit():
    t = tracker(park_after=2, park_epochs=1)
    t.update(3, [0.0, 0.0])
    assert not t.parked(3)
    t.update(3, [0.0])
    assert t.parked(3) and t.counts()["parked"] == 1
    assert 3 not in sampler(t).next_round()
    t.epoch += 1
    assert t.parked(3)  # the rest of this epoch and one more
    t.epoch += 1
    assert not t.parked(3)


def test_a_tied_group_is_stuck_unless_mastered():
    t = tracker(park_after=1, tau=0.1)
    t.update(1, [0.0, 0.0, 1.0, 0.0], tied=True)  # d = 0.75, but four equal total rewards: no gradient
    t.update(2, [0.0, 0.0, 1.0, 0.0], tied=False)  # same difficulty, rewards that differ: kept
    t.update(4, [1.0, 1.0, 1.0, 1.0], tied=True)  # tied because solved: mastered, not parked
    assert t.parked(1) and not t.parked(2) and not t.parked(4) and t.mastered(4)
    assert t.counts()["parked"] == 1 and t.counts()["mastered"] == 1
    t2 = tracker(park_after=2)
    t2.update(1, [0.5], tied=True)
    t2.update(1, [0.5], tied=False)  # a look with variance resets the count
    t2.update(1, [0.5], tied=True)
    assert not t2.parked(1)


def test_fallback_to_the_full_set():
    t = tracker(min_active=5)
    for i in range(8):
        t.update(i, [1.0])  # 8 of 10 mastered, 2 active < 5
    assert sorted(sampler(t).next_round()) == list(range(10))


def test_rounds_are_short_and_an_epoch_visits_each_query_once():
    t = tracker(n=10, round_size=4, replay=0.0)
    s = sampler(t)
    indices = list(s)  # one pass = len(RepeatSampler) = 5 chunks of 2
    # a probe of one explicit and one implicit query plus a batch; rounds of 4, then the last 2
    assert sorted(indices) == list(range(10)) and t.round == 3
    assert {t.kinds[i] for i in indices[:2]} == {"explicit", "implicit"}
    t.update(9, [0.0])  # implicit query 9 turns out hard; the others turn out easy
    for i in range(9):
        t.update(i, [0.5])
    assert t.visited == set(range(10))
    first = s.next_round()  # a new epoch, re-sorted by what was measured: the hard query waits
    assert t.epoch == 1 and len(first) == 4 and 9 not in first


def test_a_mastered_bucket_skips_its_unseen_queries():
    t = tracker(n=20, bucket_min_seen=3, replay=0.0)  # explicit 0-9, implicit 10-19
    for i in range(3):
        t.update(i, [1.0])  # three explicit/1 queries solved by every rollout
    t.update(10, [0.5])  # implicit is measured too, so the next round is sorted, not a probe
    assert all(t.bucket_mastered(i) for i in range(3, 10)) and not t.bucket_mastered(11)
    assert t.counts() == {"kept": 10, "mastered": 3, "bucket_mastered": 7, "parked": 0, "seen": 4, "epoch": 0}
    assert sorted(sampler(t).next_round()) == list(range(10, 20))
    t.update(3, [0.0])  # one explicit query fails after all: the bucket mean rises above tau
    assert not t.bucket_mastered(4)


def test_layout_and_length_match_repeat_sampler():
    t = tracker(n=7)
    sampler = CurriculumSampler(t, mini_repeat_count=2, batch_size=3, repeat_count=2, seed=0)
    ours = list(sampler)
    assert len(ours) == len(sampler) == len(RepeatSampler(range(7), 2, 3, 2))
    blocks = [ours[i : i + 12] for i in range(0, len(ours), 12)]
    for block in blocks:
        first = block[:6]
        assert block[6:] == first  # the chunk repeats repeat_count times
        assert all(first[j] == first[j + 1] for j in range(0, 6, 2))  # each index twice in a row
        assert len(set(first)) == 3


def test_state_round_trip():
    t = tracker()
    t.update(1, [0.0, 0.0])
    t.update(1, [0.0])
    t.round, t.epoch, t.visited = 4, 2, {1, 5}
    other = tracker()
    other.load_state_dict(t.state_dict())
    assert other.state_dict() == t.state_dict() and other.parked(1) == t.parked(1)
    assert Counter(other.histogram()) == Counter(t.histogram())
