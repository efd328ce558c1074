"""Typed knowledge-graph triples and their item–attribute bipartite view.

Every triple is stored item-first: `(item_id, relation, entity_id)`. Source graphs that also carry the
inverse edge (Freebase's `film.director.film` next to `film.film.directed_by`) are loaded one way only, so
each fact exists once. Named attributes of the item file (genres, decade, authors) become triples too, with
entity ids `"<relation>:<value>"` and readable names, so that query conditions, QAS and the step verifier all
look at one graph. Entities without a name (Freebase MIDs) are reachable only through the items they link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rerec.data.catalog import Catalog

_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, order=True)
class Triple:
    item_id: str
    relation: str
    entity_id: str


def named_entity_id(relation: str, value: str) -> str:
    """Entity id for a named attribute value, namespaced by relation so "Drama" the genre and a person
    called "Drama" never collide."""
    return f"{relation}:{value}"


def entity_kind(entity_id: str) -> str | None:
    """The kind an entity id names before its colon — `person` in `person:Steven Spielberg`, `genre` in
    `genre:Drama` — or `None` for ids without one (Freebase MIDs)."""
    kind, sep, _rest = entity_id.partition(":")
    return kind if sep else None


def decade_of(year: int) -> str:
    return f"{year // 10 * 10}s"


class KnowledgeGraph:
    """Item-to-entity triples with fast look-ups both ways.

    Args:
        triples (`Iterable[Triple]`): Facts whose head is a catalog item; duplicates are merged.
        entity_names (`Mapping[str, str]`): Readable names for the entities that have one.
    """

    def __init__(self, triples: Iterable[Triple], entity_names: Mapping[str, str] | None = None):
        self.entity_names: dict[str, str] = dict(entity_names or {})
        attrs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        items: dict[tuple[str, str], set[str]] = defaultdict(set)
        by_entity: dict[str, set[str]] = defaultdict(set)
        for t in triples:
            attrs[t.item_id][t.relation].add(t.entity_id)
            items[(t.relation, t.entity_id)].add(t.item_id)
            by_entity[t.entity_id].add(t.relation)
        # Frozen once here so look-ups hand out the stored sets instead of copying them on every call.
        self._attrs = {i: {r: frozenset(es) for r, es in rels.items()} for i, rels in attrs.items()}
        self._items = {key: frozenset(ids) for key, ids in items.items()}
        self._relations = sorted({rel for (rel, _ent) in self._items})
        self._relations_of = {ent: tuple(sorted(rels)) for ent, rels in by_entity.items()}
        self._kinds: dict[str, set[str | None]] = defaultdict(set)
        for rel, ent in self._items:
            self._kinds[rel].add(entity_kind(ent))
        self._entities_of: dict[str, list[str]] = {}
        for rel, ent in sorted(self._items):
            self._entities_of.setdefault(rel, []).append(ent)
        unnamed = {rel for (rel, ent) in self._items if ent not in self.entity_names}
        self._named_relations = set(self._relations) - unnamed

    @classmethod
    def from_catalog(
        cls, catalog: Catalog, extra: Iterable[Triple] = (), entity_names: Mapping[str, str] | None = None
    ) -> KnowledgeGraph:
        """Graph of the catalog's named attributes (plus `decade` from the year) and `extra` triples."""
        names = dict(entity_names or {})
        triples = list(extra)
        for item in catalog:
            values = dict(item.attributes)
            if item.year is not None:
                values["decade"] = (decade_of(item.year),)
            for relation, entities in values.items():
                for value in entities:
                    entity = named_entity_id(relation, value)
                    names[entity] = value
                    triples.append(Triple(item.item_id, relation, entity))
        return cls(triples, names)

    def __len__(self) -> int:
        return sum(len(ents) for rels in self._attrs.values() for ents in rels.values())

    def triples(self) -> list[Triple]:
        """All triples in a fixed order (sorted), so files written from them are byte-stable."""
        rows = sorted((i, r, e) for i, rels in self._attrs.items() for r, ents in rels.items() for e in ents)
        return [Triple(*row) for row in rows]

    @property
    def relations(self) -> list[str]:
        return list(self._relations)

    def entities(self, item_id: str, relation: str) -> frozenset[str]:
        """Entities linked to `item_id` by `relation` (empty when the item is outside the graph)."""
        return self._attrs.get(item_id, {}).get(relation, _EMPTY)

    def attributes(self, item_id: str) -> frozenset[tuple[str, str]]:
        """The item's side of the bipartite item–attribute graph: its `(relation, entity)` pairs."""
        rels = self._attrs.get(item_id, {})
        return frozenset((rel, ent) for rel, ents in rels.items() for ent in ents)

    def entities_of(self, relation: str) -> list[str]:
        """Every entity that some item has under `relation`, sorted."""
        return list(self._entities_of.get(relation, ()))

    def items_with(self, relation: str, entity_id: str) -> frozenset[str]:
        return self._items.get((relation, entity_id), _EMPTY)

    def relations_of(self, entity_id: str) -> tuple[str, ...]:
        """The relations under which some item has `entity_id` (a person: directed_by, starring ...)."""
        return self._relations_of.get(entity_id, ())

    def takes(self, relation: str, kind: str | None) -> bool:
        """Whether `relation` links entities of `kind` (`entity_kind`): a studio cannot direct a film."""
        return kind in self._kinds.get(relation, ())

    def has(self, item_id: str, relation: str, entity_id: str) -> bool:
        return entity_id in self._attrs.get(item_id, {}).get(relation, ())

    def satisfies(self, item_id: str, conditions: Iterable[tuple[str, str]]) -> bool:
        """True when the item has every `(relation, entity)` condition."""
        return all(self.has(item_id, rel, ent) for rel, ent in conditions)

    def name(self, entity_id: str) -> str | None:
        return self.entity_names.get(entity_id)

    def is_named(self, relation: str) -> bool:
        """A relation is nameable when all its entities have names; only those can be stated explicitly."""
        return relation in self._named_relations
