"""Online curriculum (method.md §5): difficulty from live rollouts, easy-to-hard rounds, never degenerate.

`DifficultyTracker` turns each query's group rewards into `d = mean(1 - r)` (r clipped to [0, 1]); unseen queries take
the mean difficulty of seen queries of the same type and condition count (their *bucket*), else of the same type.
Nothing is guessed: while some type has no query served, the round is a *probe* that serves every such type before any
sorting (`probe_round`), so the order starts from what this model measurably solves. A fixed per-type guess served a
warm start's solved type first (docs/study.md, 2026-12-04). An *epoch* visits every query at most once, as the paper's
does, but in short *rounds* of `round_size` queries: each round takes the easiest active queries not yet visited this
epoch, from the latest difficulties, plus a replay share of mastered ones. So the order reacts within minutes rather
than after a pass over thousands of queries. Active means: not mastered (`d < tau`), not parked, and not in a mastered
bucket (unseen, but the bucket's seen queries average below `tau`: the model already solves that kind). A query is
*stuck* on a look that teaches nothing: d = 1 (no rollout right), or a group whose rollouts all scored the same (zero
reward variance, so GRPO's advantages are all 0) while not mastered. With shaped rewards the second case is the common
one: four copies of one wrong answer get the same partial QAS/PAS credit, d < 1, and no gradient. Queries stuck for
`park_after` consecutive looks sit out the rest of the epoch and `park_epochs` more, then come back. When fewer than
`min_active` queries are active, an epoch takes the whole set. The index layout is TRL's `RepeatSampler`'s, which
`GRPOTrainer` relies on to form groups.

`order="learnability"` (rerec) replaces easy-to-hard with closest-to-half first: a round takes, and serves first,
the queries whose difficulty is nearest 0.5, where a group's rollouts are most likely to disagree and GRPO has a
gradient. Easy-first picks the groups most likely to be all right (tied, no gradient) once a warm start solves
the easy types, and sorts the mastered replays (d ~ 0) to the front of every round; by learnability replays and
all-wrong queries (|d - 0.5| = 0.5) go last.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from torch.utils.data import Sampler

CURRICULUM_ORDERS = ("easy_first", "learnability")
UNMEASURED = 0.5  # the difficulty of a type no rollout has scored yet: only a probe round sorts by it


@dataclass
class CurriculumSettings:
    tau: float = 0.1
    replay: float = 0.1
    park_after: int = 1  # a wrong park costs one query one epoch; a kept stuck query costs G rollouts per look
    park_epochs: int = 1
    min_active: int = 8
    round_size: int = 64
    bucket_min_seen: int = 4  # seen queries before a bucket's mean may mark its unseen queries mastered
    order: str = "easy_first"  # or "learnability": difficulty closest to 0.5 first

    def __post_init__(self) -> None:
        if self.order not in CURRICULUM_ORDERS:
            raise ValueError(f"curriculum order {self.order!r}: use one of {CURRICULUM_ORDERS}")


class DifficultyTracker:
    """Per-query difficulty, shared by the sampler and the trainer; its state goes into checkpoints."""

    def __init__(self, kinds: Sequence[str], num_conditions: Sequence[int], settings: CurriculumSettings):
        self.kinds = list(kinds)
        self.buckets = [f"{k}/{n}" for k, n in zip(kinds, num_conditions, strict=True)]
        self.settings = settings
        self.difficulty: dict[int, float] = {}
        self.stuck: dict[int, int] = {}
        self.parked_until: dict[int, int] = {}
        self.visited: set[int] = set()  # this epoch
        self.round = 0
        self.epoch = 0
        self._stats: dict[str, tuple[float, int]] | None = None  # bucket or type -> (mean d, seen), after a change

    def __len__(self) -> int:
        return len(self.buckets)

    def update(self, index: int, rewards: Sequence[float], tied: bool = False) -> None:
        """One look at a query: `rewards` is the difficulty signal of its G rollouts, `tied` whether the group's
        total rewards were all equal (TRL's zero-std group)."""
        clipped = [min(1.0, max(0.0, r)) for r in rewards if r == r]  # NaN-free
        if not clipped:
            return
        d = sum(1.0 - r for r in clipped) / len(clipped)
        self.difficulty[index] = d
        self._stats = None
        stuck = d >= 1.0 or (tied and d >= self.settings.tau)
        self.stuck[index] = self.stuck.get(index, 0) + 1 if stuck else 0
        if self.stuck[index] >= self.settings.park_after:
            self.parked_until[index] = self.epoch + 1 + self.settings.park_epochs
            self.stuck[index] = 0

    def group_stats(self) -> dict[str, tuple[float, int]]:
        """Mean difficulty and seen count per bucket ("implicit/2") and per type ("implicit"). Computed once per
        change, not per look-up: a round sorts every unseen query by its prior."""
        if self._stats is None:
            totals: dict[str, list[float]] = {}
            for i, d in self.difficulty.items():
                totals.setdefault(self.buckets[i], []).append(d)
                totals.setdefault(self.kinds[i], []).append(d)
            self._stats = {group: (sum(ds) / len(ds), len(ds)) for group, ds in totals.items()}
        return self._stats

    def prior(self, index: int) -> float:
        stats = self.group_stats()
        measured = stats.get(self.buckets[index]) or stats.get(self.kinds[index])
        return measured[0] if measured else UNMEASURED

    def get(self, index: int) -> float:
        return self.difficulty[index] if index in self.difficulty else self.prior(index)

    def mastered(self, index: int) -> bool:
        return index in self.difficulty and self.difficulty[index] < self.settings.tau

    def bucket_mastered(self, index: int) -> bool:
        if index in self.difficulty:
            return False
        stats = self.group_stats().get(self.buckets[index])
        return stats is not None and stats[1] >= self.settings.bucket_min_seen and stats[0] < self.settings.tau

    def skipped(self, index: int) -> bool:
        """Mastered, or unseen in a mastered bucket: left out of rounds but for the replay share."""
        return self.mastered(index) or self.bucket_mastered(index)

    def parked(self, index: int) -> bool:
        return self.parked_until.get(index, -1) > self.epoch

    def counts(self) -> dict[str, int]:
        n = len(self)
        mastered = sum(self.mastered(i) for i in range(n))
        bucket = sum(self.bucket_mastered(i) for i in range(n))
        parked = sum(self.parked(i) and not self.skipped(i) for i in range(n))
        return {
            "kept": n - mastered - bucket - parked, "mastered": mastered, "bucket_mastered": bucket,
            "parked": parked, "seen": len(self.difficulty), "epoch": self.epoch,
        }  # fmt: skip

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
            "visited": sorted(self.visited),
            "round": self.round,
            "epoch": self.epoch,
        }

    def load_state_dict(self, state: dict) -> None:
        self.difficulty = {int(k): float(v) for k, v in state["difficulty"].items()}
        self._stats = None
        self.stuck = {int(k): int(v) for k, v in state["stuck"].items()}
        self.parked_until = {int(k): int(v) for k, v in state["parked_until"].items()}
        self.visited = set(state["visited"])
        self.round, self.epoch = int(state["round"]), int(state["epoch"])


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

    def _active(self, pool: Sequence[int]) -> list[int]:
        t = self.tracker
        return [i for i in pool if not t.skipped(i) and not t.parked(i)]

    def probe_round(self, active: Sequence[int], rng: random.Random) -> list[int]:
        """Random active queries of the types never served (neither scored nor visited), one type after another,
        or [] when every type has been. One query of each such type, then one batch more: the trainer fetches
        the next batch before it scores the current one, so the round after the probe is sorted while the
        probe's last batch is unscored, and every type must be scored by then."""
        t = self.tracker
        served = {t.kinds[i] for i in (*t.difficulty, *t.visited)}
        shuffled = rng.sample(list(active), len(active))
        queues: dict[str, list[int]] = {}
        for i in shuffled:
            if t.kinds[i] not in served:
                queues.setdefault(t.kinds[i], []).append(i)
        if not queues:
            return []
        interleaved = [i for row in itertools.zip_longest(*queues.values()) for i in row if i is not None]
        size = math.ceil(len(queues) / self.batch_size) * self.batch_size + self.batch_size
        chosen = set(interleaved)
        return (interleaved + [i for i in shuffled if i not in chosen])[:size]

    def next_round(self) -> list[int]:
        """The indices of the next round: a probe while a type is unmeasured, else easy to hard (or by
        learnability); starts a new epoch when this one has too few left."""
        t, s = self.tracker, self.tracker.settings
        rng = random.Random(f"{self.seed}:{t.round}")
        t.round += 1
        everything = range(len(t))
        floor = max(s.min_active, self.batch_size)
        active = self._active([i for i in everything if i not in t.visited])
        if len(active) < floor and t.visited:
            t.visited.clear()
            t.epoch += 1
            active = self._active(everything)
        if len(active) < floor:  # too few left to learn from: the whole set, never a degenerate batch
            active = list(everything)
        probe = self.probe_round(active, rng)
        if probe:
            return probe
        ties = {i: rng.random() for i in everything}

        def key(i: int) -> tuple[float, float]:
            return (t.get(i) if s.order == "easy_first" else abs(t.get(i) - 0.5)), ties[i]

        window = sorted(active, key=key)[: max(s.round_size, self.batch_size)]
        chosen = set(window)
        skipped = [i for i in everything if t.skipped(i) and i not in chosen]
        window += rng.sample(skipped, min(len(skipped), math.ceil(s.replay * len(window))))
        return sorted(window, key=key)

    def __iter__(self) -> Iterator[int]:
        chunks_left = len(self.tracker) // self.batch_size
        while chunks_left > 0:
            order = self.next_round()
            for start in range(0, len(order) - self.batch_size + 1, self.batch_size):
                chunk = order[start : start + self.batch_size]
                self.tracker.visited.update(chunk)
                for _ in range(self.repeat_count):
                    for index in chunk:
                        yield from [index] * self.mini_repeat_count
                chunks_left -= 1
                if chunks_left == 0:
                    return
