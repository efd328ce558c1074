"""Candidate lists (one positive plus negatives) and the facts block of each query."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rerec.data.knowledge_graph import KnowledgeGraph

POPULAR_POOL = 200
# A named fact is listed only when the item has at most this many entities under its relation: a film's genres,
# director, writers, but not its 20-name cast list (the cast members that link items still appear).
MAX_LISTED = 6


@dataclass(frozen=True)
class NegativeMix:
    """Shares of hard, popular and random negatives; recorded in every summary."""

    hard: float = 0.5
    popular: float = 0.25
    random: float = 0.25

    def counts(self, n: int) -> tuple[int, int, int]:
        total = self.hard + self.popular + self.random
        hard = round(n * self.hard / total)
        popular = min(n - hard, round(n * self.popular / total))
        return hard, popular, n - hard - popular


class CandidateSampler:
    """Draws negatives from three pools, never from the `excluded` set (items that would be correct)."""

    def __init__(self, catalog_ids: Sequence[str], popularity: dict[str, int], mix: NegativeMix, size: int):
        self.catalog_ids = sorted(catalog_ids)
        self.popular = sorted(catalog_ids, key=lambda i: (-popularity.get(i, 0), i))[:POPULAR_POOL]
        self.mix, self.size = mix, size

    def draw(
        self, positive: str, excluded: Collection[str], hard_pool: Collection[str], rng: random.Random
    ) -> list[str] | None:
        """`[positive] + negatives`, shuffled; `None` when the catalog cannot supply enough valid negatives."""
        n_hard, n_popular, _ = self.mix.counts(self.size - 1)
        taken: set[str] = set(excluded) | {positive}
        chosen: list[str] = []
        for pool, want in ((sorted(hard_pool), n_hard), (self.popular, n_popular), (self.catalog_ids, self.size)):
            picks = _sample_unseen(pool, want, taken, rng, limit=self.size - 1 - len(chosen))
            chosen += picks
            taken.update(picks)
        if len(chosen) < self.size - 1:
            return None
        candidates = [positive] + chosen
        rng.shuffle(candidates)
        return candidates


def _sample_unseen(pool: Sequence[str], want: int, taken: set[str], rng: random.Random, limit: int) -> list[str]:
    want = min(want, limit)
    if want <= 0:
        return []
    if len(pool) <= 4 * want:  # small pool: shuffle a filtered copy
        free = [i for i in pool if i not in taken]
        rng.shuffle(free)
        return free[:want]
    picks: list[str] = []
    seen: set[str] = set()
    for _ in range(50 * want):  # large pool: rejection sampling, cheap and still seeded
        item = pool[rng.randrange(len(pool))]
        if item not in taken and item not in seen:
            picks.append(item)
            seen.add(item)
            if len(picks) == want:
                break
    return picks


def facts_block(
    graph: KnowledgeGraph,
    items: Sequence[str],
    relations: Collection[str],
    key_entities: Collection[str] = (),
) -> list[dict]:
    """The graph triples a reasoner needs for this query.

    Keeps, for the given items and relations, every triple whose entity is a key entity (a condition's true or
    false entity), is shared by at least two of the items, or is named in a short list (genre, decade, author,
    director: `MAX_LISTED`) — an unnamed entity that appears once links nothing and would only lengthen the
    prompt, as would a whole cast list.
    """
    rows = [(i, r, e) for i in dict.fromkeys(items) for r in sorted(relations) for e in sorted(graph.entities(i, r))]
    shared = Counter(e for _i, _r, e in rows)
    keys = set(key_entities)
    return [
        {"item_id": i, "relation": r, "entity_id": e, "entity_name": graph.name(e)}
        for i, r, e in rows
        if e in keys or shared[e] >= 2 or (graph.name(e) is not None and len(graph.entities(i, r)) <= MAX_LISTED)
    ]
