"""Online curriculum (method.md §5): difficulty from live rollouts, easy-to-hard rounds, never degenerate.

`DifficultyTracker` turns each query's group rewards into `d = mean(1 - r)` (r clipped to [0, 1]); unseen
queries take the mean difficulty of seen queries of the same type and condition count (a static prior until
one is seen). `CurriculumSampler` yields *rounds*: the active queries (not mastered, not parked) plus a replay
share of mastered ones, ordered easy to hard; each round is recomputed from the latest difficulties, so the
curriculum reacts within an epoch. Queries stuck at d = 1 for `park_after` consecutive looks are parked for
`park_rounds` rounds. When fewer than `min_active` remain, a round takes the whole set. The index layout is
TRL's `RepeatSampler`'s, which `GRPOTrainer` relies on to form groups.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from torch.utils.data import Sampler

# Before any rollout of a bucket: harder types and more conditions start harder.
TYPE_PRIOR = {"explicit": 0.5, "implicit": 0.7, "misinformed": 0.8, "interest": 0.85, "demographic": 0.85}
CONDITION_STEP = 0.05


def static_prior(kind: str, num_conditions: int) -> float:
    return min(1.0, TYPE_PRIOR.get(kind, 0.7) + CONDITION_STEP * max(0, num_conditions - 1))


@dataclass
class CurriculumSettings:
    tau: float = 0.1
    replay: float = 0.1
    park_after: int = 2
    park_rounds: int = 2
    min_active: int = 8


class DifficultyTracker:
    """Per-query difficulty, shared by the sampler and the trainer; its state goes into checkpoints."""

    def __init__(self, kinds: Sequence[str], num_conditions: Sequence[int], settings: CurriculumSettings):
        self.buckets = [f"{k}/{n}" for k, n in zip(kinds, num_conditions, strict=True)]
        self.static = [static_prior(k, n) for k, n in zip(kinds, num_conditions, strict=True)]
        self.settings = settings
        self.difficulty: dict[int, float] = {}
        self.stuck: dict[int, int] = {}
        self.parked_until: dict[int, int] = {}
        self.round = 0
        self._means: dict[str, float] | None = None  # per-bucket mean difficulty, rebuilt after a change

    def __len__(self) -> int:
        return len(self.buckets)

    def update(self, index: int, rewards: Sequence[float]) -> None:
        clipped = [min(1.0, max(0.0, r)) for r in rewards if r == r]  # NaN-free
        if not clipped:
            return
        d = sum(1.0 - r for r in clipped) / len(clipped)
        self.difficulty[index] = d
        self._means = None
        self.stuck[index] = self.stuck.get(index, 0) + 1 if d >= 1.0 else 0
        if self.stuck[index] >= self.settings.park_after:
            self.parked_until[index] = self.round + self.settings.park_rounds
            self.stuck[index] = 0

    def prior(self, index: int) -> float:
        # Computed once per change, not per look-up: a round sorts every unseen query by its prior.
        if self._means is None:
            totals: dict[str, list[float]] = {}
            for i, d in self.difficulty.items():
                totals.setdefault(self.buckets[i], []).append(d)
            self._means = {bucket: sum(ds) / len(ds) for bucket, ds in totals.items()}
        return self._means.get(self.buckets[index], self.static[index])

    def get(self, index: int) -> float:
        return self.difficulty[index] if index in self.difficulty else self.prior(index)

    def mastered(self, index: int) -> bool:
        return index in self.difficulty and self.difficulty[index] < self.settings.tau

    def parked(self, index: int) -> bool:
        return self.parked_until.get(index, -1) > self.round

    def counts(self) -> dict[str, int]:
        n = len(self)
        mastered = sum(self.mastered(i) for i in range(n))
        parked = sum(self.parked(i) for i in range(n))
        return {"kept": n - mastered - parked, "mastered": mastered, "parked": parked, "seen": len(self.difficulty)}

    def histogram(self, bins: int = 5) -> list[int]:
        out = [0] * bins
        for d in self.difficulty.values():
            out[min(bins - 1, int(d * bins))] += 1
        return out

    def state_dict(self) -> dict:
        return {
            "difficulty": {str(k): v for k, v in self.difficulty.items()},
            "stuck": {str(k): v for k, v in self.stuck.items()},
            "parked_until": {str(k): v for k, v in self.parked_until.items()},
            "round": self.round,
        }

    def load_state_dict(self, state: dict) -> None:
        self.difficulty = {int(k): float(v) for k, v in state["difficulty"].items()}
        self._means = None
        self.stuck = {int(k): int(v) for k, v in state["stuck"].items()}
        self.parked_until = {int(k): int(v) for k, v in state["parked_until"].items()}
        self.round = int(state["round"])


class CurriculumSampler(Sampler):
    """`RepeatSampler`'s layout (each index `mini_repeat_count` times in a row, each chunk of `batch_size`
    unique indices `repeat_count` times) over curriculum-ordered rounds; same length as `RepeatSampler`."""

    def __init__(
        self, tracker: DifficultyTracker, mini_repeat_count: int, batch_size: int, repeat_count: int, seed: int
    ):
        self.tracker = tracker
        self.mini_repeat_count, self.batch_size, self.repeat_count = mini_repeat_count, batch_size, repeat_count
        self.seed = seed

    def __len__(self) -> int:
        n = len(self.tracker)
        return (n // self.batch_size) * self.batch_size * self.mini_repeat_count * self.repeat_count

    def round_order(self) -> list[int]:
        """The indices of the next round, easy to hard."""
        t, s = self.tracker, self.tracker.settings
        rng = random.Random(f"{self.seed}:{t.round}")
        everything = list(range(len(t)))
        active = [i for i in everything if not t.mastered(i) and not t.parked(i)]
        mastered = [i for i in everything if t.mastered(i)]
        active += rng.sample(mastered, min(len(mastered), math.ceil(s.replay * len(active))))
        if len(active) < max(s.min_active, self.batch_size):
            active = everything
        ties = {i: rng.random() for i in active}
        return sorted(active, key=lambda i: (t.get(i), ties[i]))

    def __iter__(self) -> Iterator[int]:
        chunks_left = len(self.tracker) // self.batch_size
        while chunks_left > 0:
            order = self.round_order()
            self.tracker.round += 1
            for start in range(0, len(order) - self.batch_size + 1, self.batch_size):
                chunk = order[start : start + self.batch_size]
                for _ in range(self.repeat_count):
                    for index in chunk:
                        yield from [index] * self.mini_repeat_count
                chunks_left -= 1
                if chunks_left == 0:
                    return
