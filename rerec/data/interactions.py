"""User–item interactions and user demographics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# MovieLens-1M's age buckets; RecBench+ phrases its demographic groups with them.
AGE_BUCKETS: tuple[tuple[int, str], ...] = (
    (18, "Under 18"),
    (25, "18-24"),
    (35, "25-34"),
    (45, "35-44"),
    (50, "45-49"),
    (56, "50-55"),
    (200, "56+"),
)


def age_bucket(age: int) -> str:
    """Map an age in years to its MovieLens bucket, e.g. `age_bucket(30) == "25-34"`."""
    for upper, label in AGE_BUCKETS:
        if age < upper:
            return label
    return AGE_BUCKETS[-1][1]


@dataclass(frozen=True, order=True)
class Interaction:
    user_id: str
    item_id: str
    rating: float
    timestamp: float


@dataclass(frozen=True)
class User:
    """Demographics of one user; any field may be unknown (`None`)."""

    user_id: str
    age: int | None = None
    gender: str | None = None
    occupation: str | None = None

    @property
    def age_group(self) -> str | None:
        return age_bucket(self.age) if self.age is not None else None


class Interactions:
    """Ratings, in time order per user.

    Args:
        rows (`Iterable[Interaction]`): The interactions; a (user, item) pair seen twice keeps the latest.
        positive_threshold (`float`, *optional*, defaults to `4.0`): A rating at or above it counts as a
            positive ("liked"); implicit-feedback data can use `0`.
    """

    def __init__(self, rows: Iterable[Interaction], positive_threshold: float = 4.0):
        self.positive_threshold = positive_threshold
        latest: dict[tuple[str, str], Interaction] = {}
        for row in rows:
            key = (row.user_id, row.item_id)
            if key not in latest or row.timestamp >= latest[key].timestamp:
                latest[key] = row
        by_user: dict[str, list[Interaction]] = defaultdict(list)
        for row in latest.values():
            by_user[row.user_id].append(row)
        # Ties in time are broken by item id so the order, and everything generated from it, is stable.
        self._by_user = {u: sorted(rs, key=lambda r: (r.timestamp, r.item_id)) for u, rs in sorted(by_user.items())}

    def __len__(self) -> int:
        return sum(len(rs) for rs in self._by_user.values())

    @property
    def users(self) -> list[str]:
        return list(self._by_user)

    def rows(self) -> list[Interaction]:
        return [r for rs in self._by_user.values() for r in rs]

    def history(self, user_id: str) -> list[Interaction]:
        """All interactions of a user, oldest first."""
        return list(self._by_user.get(user_id, ()))

    def positives(self, user_id: str) -> list[str]:
        """Item ids the user liked, oldest first."""
        return [r.item_id for r in self._by_user.get(user_id, ()) if r.rating >= self.positive_threshold]

    def popularity(self) -> dict[str, int]:
        """Number of users who interacted with each item."""
        counts: dict[str, int] = defaultdict(int)
        for rs in self._by_user.values():
            for r in rs:
                counts[r.item_id] += 1
        return dict(counts)

    def without(self, pairs: Iterable[tuple[str, str]]) -> Interactions:
        """A copy minus some (user, item) pairs: the training interactions once held-out truth is removed."""
        drop = set(pairs)
        kept = (r for r in self.rows() if (r.user_id, r.item_id) not in drop)
        return Interactions(kept, self.positive_threshold)


def users_by_id(users: Iterable[User]) -> Mapping[str, User]:
    table: dict[str, User] = {}
    for user in users:
        if user.user_id in table:
            raise ValueError(f"duplicate user id {user.user_id!r}")
        table[user.user_id] = user
    return table
