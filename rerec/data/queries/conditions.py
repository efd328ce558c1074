"""Condition-based queries (explicit, implicit, misinformed), following RecBench+.

A query is a set of 1-4 `(relation, entity)` conditions read off one item the source user liked; its ground
truth is every item in that user's positives that satisfies all conditions. Implicit conditions name no
entity: they point at it through other items ("the director of Jaws (1975)"), chosen so that the hint
identifies exactly one entity. A misinformed condition adds a false hint — an item that does *not* share the
entity, or the name of another entity ("..., James Cameron") — and records what the hint wrongly points to.

Only *fair* entities become conditions (`EntityRule`): one linked to at least `min_items` catalog items — a
person or studio with several films is one a user can ask about and a model can know, where a one-off credit
(a crew member in an alphabetical cast list) is trivia — and to at most `max_share` of the catalog, since a
condition nearly everything meets ("in English", "from the 1990s" in ml-100k) selects nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from rerec.data.knowledge_graph import KnowledgeGraph

MAX_VIA_TRIES = 40
MAX_HARD_FANOUT = 5000


@dataclass(frozen=True)
class EntityRule:
    """Which entities may be a condition (see the module docstring)."""

    min_items: int = 3
    max_share: float = 0.5


@dataclass(frozen=True, order=True)
class Condition:
    """One condition of a query.

    Args:
        relation (`str`): Graph relation, e.g. `"directed_by"`.
        entity (`str`): The entity the items must have under `relation` (the true one).
        via_items (`tuple[str, ...]`): Items whose shared `relation` entity is exactly `entity` (multi-hop
            hint); empty for a stated (explicit) condition.
        false_entity (`str` or `None`): For a misinformed hint, the entity the false hint points to.
        false_via_items (`tuple[str, ...]`): The items the false hint names.
    """

    relation: str
    entity: str
    via_items: tuple[str, ...] = ()
    false_entity: str | None = None
    false_via_items: tuple[str, ...] = ()

    @property
    def hops(self) -> int:
        return 2 if self.via_items else 1

    @property
    def pair(self) -> tuple[str, str]:
        return (self.relation, self.entity)

    def to_record(self, graph: KnowledgeGraph) -> dict:
        return {
            "relation": self.relation,
            "entity": self.entity,
            "entity_name": graph.name(self.entity),
            "hops": self.hops,
            "via_items": list(self.via_items),
            "false_entity": self.false_entity,
            "false_entity_name": graph.name(self.false_entity) if self.false_entity else None,
            "false_via_items": list(self.false_via_items),
        }


class ConditionSampler:
    """Draws condition sets for one dataset; holds the look-ups that every draw reuses."""

    def __init__(
        self,
        graph: KnowledgeGraph,
        catalog_ids: Sequence[str],
        hop_relations: Sequence[str],
        rule: EntityRule | None = None,
    ):
        self.graph = graph
        self.named = {r for r in graph.relations if graph.is_named(r)}
        self.hop_relations = set(hop_relations) & set(graph.relations)
        rule = rule or EntityRule()
        most = rule.max_share * len(catalog_ids)
        self.fair = {
            (r, e)
            for r in graph.relations
            for e in graph.entities_of(r)
            if rule.min_items <= len(graph.items_with(r, e)) <= most
        }
        # Items with exactly one entity under a relation can carry an unambiguous false hint.
        self.single_valued: dict[str, list[str]] = {
            r: [
                i
                for i in catalog_ids
                if len(graph.entities(i, r)) == 1 and (r, next(iter(graph.entities(i, r)))) in self.fair
            ]
            for r in sorted(self.hop_relations)
        }

    def _usable(self, anchor: str, relations: set[str]) -> list[tuple[str, str]]:
        return sorted(a for a in self.graph.attributes(anchor) if a[0] in relations and a in self.fair)

    def explicit(self, anchor: str, n: int, rng: random.Random) -> list[Condition] | None:
        attrs = self._usable(anchor, self.named)
        if len(attrs) < n:
            return None
        return sorted(Condition(r, e) for r, e in _spread(attrs, n, rng))

    def implicit(
        self, anchor: str, n: int, exclude: set[str], rng: random.Random, misinformed: bool = False
    ) -> list[Condition] | None:
        """`n` conditions, at least one of them a hop; with `misinformed`, exactly one hop gets a false hint."""
        hops = self._usable(anchor, self.hop_relations)
        if misinformed:
            hops = [a for a in hops if self.single_valued.get(a[0])]
        named = self._usable(anchor, self.named)
        if not hops:
            return None
        low, high = max(1, n - len(named)), min(n, len(hops))
        if low > high:
            return None
        num_hops = rng.randint(low, high)
        chosen = []
        for relation, entity in _spread(hops, num_hops, rng):
            via = self._via(relation, entity, exclude, rng)
            if via is None:
                return None
            chosen.append(Condition(relation, entity, via))
        if misinformed:
            target = rng.randrange(len(chosen))
            false = self._false_hint(chosen[target], exclude, rng)
            if false is None:
                return None
            chosen[target] = false
        # A relation can be both named and hop-able (a book's author): never state what a hint points to.
        named = [a for a in named if a not in {c.pair for c in chosen}]
        if len(named) < n - num_hops:
            return None
        chosen += [Condition(r, e) for r, e in rng.sample(named, n - num_hops)]
        return sorted(chosen)

    def _via(self, relation: str, entity: str, exclude: set[str], rng: random.Random) -> tuple[str, ...] | None:
        """One item whose only `relation` entity is `entity`, else two items that share only `entity`."""
        pool = sorted(self.graph.items_with(relation, entity) - exclude)
        rng.shuffle(pool)
        pool = pool[:MAX_VIA_TRIES]
        for item in pool:
            if self.graph.entities(item, relation) == {entity}:
                return (item,)
        for i, first in enumerate(pool):
            for second in pool[i + 1 :]:
                if self.graph.entities(first, relation) & self.graph.entities(second, relation) == {entity}:
                    return tuple(sorted((first, second)))
        return None

    def _false_hint(self, cond: Condition, exclude: set[str], rng: random.Random) -> Condition | None:
        """A wrong item, or — half the time, when entities have names — that item's entity named outright."""
        pool = self.single_valued[cond.relation]
        # Wrong for every hinted item, not only for the pair's shared entity.
        hinted = set().union(*(self.graph.entities(v, cond.relation) for v in cond.via_items))
        for _ in range(MAX_VIA_TRIES):
            item = pool[rng.randrange(len(pool))]
            (other,) = self.graph.entities(item, cond.relation)
            if other not in hinted and item not in exclude:
                named = self.graph.name(other) is not None and rng.random() < 0.5
                return Condition(cond.relation, cond.entity, cond.via_items, other, () if named else (item,))
        return None

    def ground_truth(self, positives: Sequence[str], conditions: Sequence[Condition]) -> list[str]:
        pairs = [c.pair for c in conditions]
        return [i for i in positives if self.graph.satisfies(i, pairs)]

    def satisfying(self, conditions: Sequence[Condition]) -> set[str]:
        """Every catalog item meeting all conditions: none of them may be a negative."""
        sets = sorted((self.graph.items_with(*c.pair) for c in conditions), key=len)
        if not sets:
            return set()
        return {i for i in sets[0] if all(i in s for s in sets[1:])}

    def partial(self, conditions: Sequence[Condition]) -> set[str]:
        """Items meeting at least one condition: the hard negatives once full matches are removed.

        A condition shared by a large part of the catalog (a decade in a 270k-book catalog) says little about
        closeness and would make every draw sort that many ids, so only the selective conditions feed the pool
        (the least common one when none is selective).
        """
        sets = sorted((self.graph.items_with(*c.pair) for c in conditions), key=len)
        selective = [s for s in sets if len(s) <= MAX_HARD_FANOUT] or sets[:1]
        return set().union(*selective)


def _spread(pairs: Sequence[tuple[str, str]], k: int, rng: random.Random) -> list[tuple[str, str]]:
    """Pick `k` pairs, drawing the relation uniformly first: a film has ~25 actors but one director, and
    sampling pairs directly would make nearly every hint an actor hint."""
    by_relation: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:
        by_relation.setdefault(pair[0], []).append(pair)
    picked: list[tuple[str, str]] = []
    while len(picked) < k:
        relation = rng.choice(sorted(r for r, left in by_relation.items() if left))
        options = by_relation[relation]
        picked.append(options.pop(rng.randrange(len(options))))
    return picked
