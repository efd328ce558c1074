"""Ordering, filtering, replay, parking and RepeatSampler layout of the online curriculum."""

from collections import Counter

from trl.trainer.utils import RepeatSampler

from rerec.training.curriculum import CurriculumSampler, CurriculumSettings, DifficultyTracker, static_prior


def tracker(n=10, **settings) -> DifficultyTracker:
    kinds = ["explicit"] * (n // 2) + ["implicit"] * (n - n // 2)
    return DifficultyTracker(kinds, [1] * n, CurriculumSettings(**{"min_active": 2, **settings}))


def test_difficulty_and_bucket_priors():
    t = tracker()
    assert t.get(0) == static_prior("explicit", 1) == 0.5 and t.get(9) == 0.7
    t.update(0, [1.0, 0.0, -0.5])  # clipped to [1, 0, 0] -> d = 2/3
    assert t.get(0) == 2 / 3
    assert t.get(1) == 2 / 3  # unseen explicit/1 queries now take the seen bucket's mean
    assert static_prior("misinformed", 3) == 0.9


def test_rounds_order_easy_to_hard_and_drop_mastered():
    t = tracker(replay=0.0)
    for i, d in enumerate([0.9, 0.5, 0.05, 0.3, 0.7, 0.6, 0.2, 0.8, 0.4, 0.0]):
        t.update(i, [1 - d])
    order = CurriculumSampler(t, 1, 2, 1, seed=0).round_order()
    assert order == [6, 3, 8, 1, 5, 4, 7, 0]  # 2 (0.05) and 9 (0.0) mastered, the rest ascending


def test_replay_readmits_some_mastered():
    t = tracker(replay=0.5)
    for i in range(10):
        t.update(i, [1.0 if i < 6 else 0.5])  # six mastered, four at 0.5
    order = CurriculumSampler(t, 1, 2, 1, seed=0).round_order()
    assert len(order) == 4 + 2 and sum(i < 6 for i in order) == 2


def test_parking_and_revisit():
    t = tracker(park_after=2, park_rounds=2)
    t.update(3, [0.0, 0.0])
    assert not t.parked(3)
    t.update(3, [0.0])
    assert t.parked(3) and t.counts()["parked"] == 1
    assert 3 not in CurriculumSampler(t, 1, 2, 1, seed=0).round_order()
    t.round += 2
    assert not t.parked(3)


def test_fallback_to_the_full_set():
    t = tracker(min_active=5)
    for i in range(8):
        t.update(i, [1.0])  # 8 of 10 mastered, 2 active < 5
    assert sorted(CurriculumSampler(t, 1, 2, 1, seed=0).round_order()) == list(range(10))


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
    t.round = 4
    other = tracker()
    other.load_state_dict(t.state_dict())
    assert other.state_dict() == t.state_dict() and other.parked(1) == t.parked(1)
    assert Counter(other.histogram()) == Counter(t.histogram())
