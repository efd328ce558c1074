"""Step verifier: which (item, relation, entity) claims a reasoning step makes, and whether the graph agrees.

It reads the claims the prompt format makes easy to state — "Jaws (1975) was directed by m.0bln8",
"Alien (1979) is a Sci-Fi film", "Heat (1995) is from the 1990s", "X has the same director as Y" — about the
items the query knows (candidates and hinted items). A claim is `true` when the graph has it, `false` when
the graph knows the item's entities under that relation and this one is not among them, and `unknown` when
the graph says nothing about the item under that relation (an incomplete graph is no evidence). Negated
sentences make no claim. RAAE penalises steps with a false claim; serving shows the verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rerec.data.catalog import Catalog
from rerec.data.grounding import normalize, split_year
from rerec.data.knowledge_graph import KnowledgeGraph

# Words that tie a relation to a claim. Genre and decade claims need none: their entity names say it.
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "directed_by": ("directed", "director", "directs"),
    "starring": ("stars", "starring", "starred", "actor", "actress", "features", "cast"),
    "written_by": ("written", "writer", "wrote", "screenplay"),
    "produced_by": ("produced", "producer"),
    "cinematography": ("shot", "cinematographer", "cinematography"),
    "production_company": ("studio", "company", "made"),
    "author": ("written", "author", "wrote", "by"),
    "publisher": ("published", "publisher"),
}
SELF_EVIDENT = ("genre", "decade")
# How rerec itself words a fact (warm-start rationales, tests); the verifier reads these and looser phrasings.
STATEMENTS: dict[str, str] = {
    "directed_by": "{title} was directed by {entity}.",
    "starring": "{title} stars {entity}.",
    "written_by": "{title} was written by {entity}.",
    "produced_by": "{title} was produced by {entity}.",
    "cinematography": "{title} was shot by {entity}.",
    "production_company": "{title} was made by the studio {entity}.",
    "author": "{title} was written by {entity}.",
    "publisher": "{title} was published by {entity}.",
    "genre": "{title} is a {entity} title.",
    "decade": "{title} is from the {entity}.",
}


def state(title: str, relation: str, entity: str) -> str | None:
    """One sentence asserting a fact, or `None` for a relation rerec has no wording for.

    >>> state("Jaws (1975)", "decade", "1970s")
    'Jaws (1975) is from the 1970s.'
    """
    template = STATEMENTS.get(relation)
    return template.format(title=title, entity=entity) if template else None


_NEGATION = re.compile(r"\b(not|n't|never|no)\b")
_SAME = re.compile(r"\b(same|shares?|also)\b")


@dataclass(frozen=True)
class Claim:
    """`item` `relation` `entity` is asserted; for a shared claim ("same director as Y") `entity` is None and
    `other_item` is Y. `verdict` is "true", "false" or "unknown"."""

    item: str
    relation: str
    entity: str | None
    verdict: str
    other_item: str | None = None


def title_key(title: str) -> str:
    """How a title is looked for inside a step: normalised, without its year, in `norm_text` form."""
    return norm_text(normalize(split_year(title)[0]))


def norm_text(text: str) -> str:
    """Case-folded words separated by single spaces, padded with a space each side for whole-word `in` tests."""
    return " " + " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split()) + " "


def _find_all(haystack: str, needle: str) -> list[int]:
    out, start = [], haystack.find(needle)
    while start >= 0:
        out.append(start)
        start = haystack.find(needle, start + 1)
    return out


def verdict_of(claims: Iterable[Claim]) -> str:
    """The whole step's word from its claims: "false" when any is false, "verified" when there are some and all
    hold, else "unchecked"."""
    verdicts = {c.verdict for c in claims}
    if "false" in verdicts:
        return "false"
    return "verified" if verdicts == {"true"} else "unchecked"


class StepVerifier:
    """Checks the claims of reasoning steps about a fixed set of items.

    Args:
        graph (`KnowledgeGraph`): The facts.
        catalog (`Catalog`): Titles of the items.
        items (`Iterable[str]`): The items a step may talk about (candidates, hinted items).
        labels (`Mapping[str, str]`, *optional*): Entity id -> how the prompt wrote it; default: the entity's
            name, else its id.
    """

    def __init__(
        self, graph: KnowledgeGraph, catalog: Catalog, items: Iterable[str], labels: Mapping[str, str] | None = None
    ):
        self.graph = graph
        self.items = [i for i in dict.fromkeys(items) if i in catalog]
        self._titles = {i: title_key(catalog[i].title) for i in self.items}
        # Named attributes (genres, decades) can be claimed of any item; other entities are reachable only
        # through the facts the prompt showed, i.e. the known items' own entities.
        entities = {e for i in self.items for r in RELATION_WORDS for e in graph.entities(i, r)}
        entities.update(e for r in SELF_EVIDENT for e in graph.entities_of(r))
        labels = dict(labels or {})
        self._entities = {e: norm_text(labels.get(e) or graph.name(e) or e) for e in entities}

    def claims(self, step: str) -> list[Claim]:
        text = norm_text(step)
        items = self._mentions(text, self._titles)
        if not items:
            return []
        spans = [(p, p + len(self._titles[i]) - 1, i) for i, p in items]
        out = []
        for entity, pos in self._mentions(text, self._entities):
            if any(start <= pos < end for start, end, _i in spans):
                continue  # a word inside a title ("Man of Mystery") is not a genre claim
            before = [(end, item) for _start, end, item in spans if end <= pos]
            if not before:
                continue
            end, subject = max(before)
            if _NEGATION.search(text[end:pos]):  # negations inside the title itself do not count
                continue
            for relation in self._relations_of(entity, text[end - 1 : pos + len(self._entities[entity])]):
                out.append(Claim(subject, relation, entity, self._verdict(subject, relation, entity)))
        out += self._shared(text, items)
        return list(dict.fromkeys(out))

    def verdict(self, step: str) -> str:
        """One word for a whole step, as shown to users: "false" when any claim contradicts the graph,
        "verified" when it makes checkable claims and all hold, else "unchecked"."""
        return verdict_of(self.claims(step))

    def _mentions(self, text: str, keys: Mapping[str, str]) -> list[tuple[str, int]]:
        """(key, position) of every non-overlapping mention; longer names win over names inside them."""
        found = sorted(((pos, -len(k), key) for key, k in keys.items() if k.strip() for pos in _find_all(text, k)))
        out, end = [], -1
        for pos, neg_len, key in found:
            if pos >= end:
                out.append((key, pos))
                end = pos - neg_len - 1
        return out

    def _relations_of(self, entity: str, span: str) -> list[str]:
        relation = entity.split(":", 1)[0]
        if relation in SELF_EVIDENT:
            return [relation]
        # An unnamed entity's relation comes from the words between the item and the entity.
        return [r for r, words in RELATION_WORDS.items() if any(f" {w} " in span for w in words)][:1]

    def _verdict(self, item: str, relation: str, entity: str) -> str:
        if self.graph.has(item, relation, entity):
            return "true"
        return "false" if self.graph.entities(item, relation) else "unknown"

    def _shared(self, text: str, items: list[tuple[str, int]]) -> list[Claim]:
        """ "X has the same director as Y": true iff X and Y share an entity under that relation."""
        out = []
        for (first, p1), (second, p2) in zip(items, items[1:], strict=False):
            if first == second:  # "Jaws has the same director as Jaws": true of anything, evidence of nothing
                continue
            between = text[p1 + len(self._titles[first]) - 1 : p2]
            if not _SAME.search(between) or _NEGATION.search(between):
                continue
            for relation, words in RELATION_WORDS.items():
                if any(f" {w} " in between for w in words):
                    a, b = self.graph.entities(first, relation), self.graph.entities(second, relation)
                    verdict = "true" if a & b else ("false" if a and b else "unknown")
                    out.append(Claim(first, relation, None, verdict, second))
                    break
        return out
