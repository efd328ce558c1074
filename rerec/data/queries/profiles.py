"""User-profile queries: interest (a user's next liked items) and demographic (what a group stands out for)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rerec.data.interactions import Interactions, User

# Occupations that describe no group a person would name ("I work as other").
VAGUE_OCCUPATIONS = {"other", "none", "", None}


@dataclass(frozen=True)
class Group:
    """A demographic group: the fields that define it and its members."""

    age_group: str | None
    gender: str | None
    occupation: str | None
    members: tuple[str, ...]

    @property
    def key(self) -> str:
        return "|".join(f"{k}={v}" for k, v in self.profile.items() if v is not None)

    @property
    def profile(self) -> dict[str, str | None]:
        return {"age_group": self.age_group, "gender": self.gender, "occupation": self.occupation}


def interest_split(positives: Sequence[str], num_truth: int, history_size: int) -> tuple[list[str], list[str]]:
    """Leave-last-out on a time-ordered list: `(history, ground_truth)` — the latest `num_truth` positives are
    the truth, the `history_size` before them the context."""
    truth = list(positives[-num_truth:])
    history = list(positives[:-num_truth][-history_size:])
    return history, truth


def demographic_groups(users: Mapping[str, User], min_users: int) -> list[Group]:
    """Every group defined by 1-3 of (age group, gender, occupation) with at least `min_users` members."""
    fields = ("age_group", "gender", "occupation")
    groups = []
    for size in (1, 2, 3):
        for combo in itertools.combinations(fields, size):
            members: dict[tuple, list[str]] = {}
            for user in users.values():
                values = {f: getattr(user, f) for f in combo}
                if any(v is None for v in values.values()) or values.get("occupation", "x") in VAGUE_OCCUPATIONS:
                    continue
                members.setdefault(tuple(values[f] for f in combo), []).append(user.user_id)
            for values, ids in sorted(members.items()):
                if len(ids) >= min_users:
                    spec = dict(zip(combo, values, strict=True))
                    groups.append(
                        Group(spec.get("age_group"), spec.get("gender"), spec.get("occupation"), tuple(sorted(ids)))
                    )
    return groups


def distinctive_items(
    group: Group, interactions: Interactions, population: Counter, num_users: int, top_k: int, min_support: float
) -> list[str]:
    """Items that distinguish a group, ranked by lift over the population.

    `support_g(i)` = share of the group's users who liked i, `support(i)` = the same over all users,
    `lift(i) = support_g(i) / support(i)`. Items liked by fewer than `min_support` of the group (or fewer than
    3 members) are ignored so that a single fan cannot define a group. Ties break by support, then id.
    """
    liked = Counter(i for u in group.members for i in set(interactions.positives(u)))
    size = len(group.members)
    floor = max(3, min_support * size)
    scored = [
        (-(count / size) / (population[item] / num_users), -count, item)
        for item, count in liked.items()
        if count >= floor
    ]
    return [item for _lift, _count, item in sorted(scored)[:top_k]]
