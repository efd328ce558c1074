"""Step verifier: which (item, relation, entity) claims a reasoning step makes, and whether the graph agrees.

It reads the claims the prompt format makes easy to state — "Jaws (1975) was directed by Steven Spielberg",
"Alien (1979) is a Sci-Fi film", "Heat (1995) is from the 1990s", "X has the same director as Y" — about the
items the query knows (candidates and hinted items). Any named entity of the graph can be claimed ("Jaws was
directed by James Cameron" is false even when no candidate involves Cameron); an unnamed one (a Freebase MID)
only through the facts the prompt showed. Genres and decades carry their relation in their id; for people and
companies the words between title and name say it ("directed", "stars"), among the relations that take that
kind of entity (a studio directs nothing). A claim is `true` when the graph has it, `false` when the graph
knows the item's entities under that relation and this one is not among them, and `unknown` when the graph
says nothing about the item under that relation (an incomplete graph is no evidence). Negated sentences make
no claim. RAAE penalises steps with a false claim; serving shows the verdicts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rerec.data.catalog import Catalog
from rerec.data.grounding import normalize, split_year
from rerec.data.knowledge_graph import KnowledgeGraph, entity_kind
from rerec.task.parsing import segments

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
    "language": ("language", "spoken", "in"),
    "country": ("country", "from", "made in", "produced in"),
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
    "language": "{title} is in {entity}.",
    "country": "{title} was made in {entity}.",
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


class PhraseIndex:
    """Phrases in `norm_text` form, indexed by their first word, so that finding which of ~15,000 names a step
    mentions costs one dictionary look-up per word of the step rather than one scan per name."""

    def __init__(self, phrases: Mapping[str, str]):
        self._by_first: dict[str, list[tuple[str, str]]] = {}
        for key, phrase in phrases.items():
            words = phrase.split()
            if words:
                self._by_first.setdefault(words[0], []).append((phrase, key))

    def hits(self, text: str) -> list[tuple[int, int, str]]:
        """`(position, -length, key)` of every occurrence in `text` (a `norm_text`), overlaps included."""
        out = []
        for word in re.finditer(r" (\S+)", text):
            for phrase, key in self._by_first.get(word[1], ()):
                if text.startswith(phrase, word.start()):
                    out.append((word.start(), -len(phrase), key))
        return out


def _non_overlapping(hits: Iterable[tuple[int, int, str]]) -> list[tuple[str, int, int]]:
    """(key, position, length) of each mention, first and then longest first: "Steven Spielberg" over
    "Steven"."""
    out, end = [], -1
    for pos, neg_len, key in sorted(hits):
        if pos >= end:
            out.append((key, pos, -neg_len))
            end = pos - neg_len - 1
    return out


@functools.lru_cache(maxsize=4)
def _named_entities(graph: KnowledgeGraph) -> tuple[dict[str, str], PhraseIndex]:
    """Every named entity a step may claim (people, studios, genres ...), built once per graph."""
    relations = set(RELATION_WORDS) | set(SELF_EVIDENT)
    texts = {
        e: norm_text(name)
        for r in graph.relations
        if r in relations
        for e in graph.entities_of(r)
        if (name := graph.name(e))
    }
    return texts, PhraseIndex(texts)


def mentioned_entities(graph: KnowledgeGraph, text: str) -> list[str]:
    """The graph's named entities `text` mentions (people, studios, genres, decades ...), in order, the longest
    name at each place: what a request states outright.

    >>> from rerec.data.knowledge_graph import KnowledgeGraph, Triple
    >>> g = KnowledgeGraph([Triple("1", "genre", "genre:Drama")], {"genre:Drama": "Drama"})
    >>> mentioned_entities(g, "A drama, please")
    ['genre:Drama']
    """
    return [key for key, _pos, _length in _non_overlapping(_named_entities(graph)[1].hits(norm_text(text)))]


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
    """

    def __init__(self, graph: KnowledgeGraph, catalog: Catalog, items: Iterable[str]):
        self.graph = graph
        self.items = [i for i in dict.fromkeys(items) if i in catalog]
        self._titles = {i: title_key(catalog[i].title) for i in self.items}
        self._title_index = PhraseIndex(self._titles)
        named, self._named_index = _named_entities(graph)
        # Unnamed entities (MIDs) are written by id, and only the known items' own ones appear in the prompt.
        unnamed = {
            e: norm_text(e) for i in self.items for r in RELATION_WORDS for e in graph.entities(i, r) if e not in named
        }
        self._unnamed_index = PhraseIndex(unnamed)

    def claims(self, step: str) -> list[Claim]:
        text = norm_text(step)
        items = _non_overlapping(self._title_index.hits(text))
        if not items:
            return []
        spans = [(p, p + length - 1, i) for i, p, length in items]
        out = []
        mentioned = _non_overlapping(self._named_index.hits(text) + self._unnamed_index.hits(text))
        for entity, pos, length in mentioned:
            if any(start <= pos < end for start, end, _i in spans):
                continue  # a word inside a title ("Man of Mystery") is not a genre claim
            before = [(end, item) for _start, end, item in spans if end <= pos]
            if not before:
                continue
            end, subject = max(before)
            if _NEGATION.search(text[end:pos]):  # negations inside the title itself do not count
                continue
            for relation in self._relations_of(entity, text[end - 1 : pos + length]):
                out.append(Claim(subject, relation, entity, self._verdict(subject, relation, entity)))
        out += self._shared(text, items)
        return list(dict.fromkeys(out))

    def verdict(self, step: str) -> str:
        """One word for a whole step, as shown to users: "false" when any claim contradicts the graph,
        "verified" when it makes checkable claims and all hold, else "unchecked"."""
        return verdict_of(self.claims(step))

    def _relations_of(self, entity: str, span: str) -> list[str]:
        kind = entity_kind(entity)
        if kind in SELF_EVIDENT:
            return [kind]
        # Otherwise the words between the item and the entity say the relation, among those taking its kind.
        return [
            r
            for r, words in RELATION_WORDS.items()
            if self.graph.takes(r, kind) and any(f" {w} " in span for w in words)
        ][:1]

    def _verdict(self, item: str, relation: str, entity: str) -> str:
        if self.graph.has(item, relation, entity):
            return "true"
        return "false" if self.graph.entities(item, relation) else "unknown"

    def _shared(self, text: str, items: list[tuple[str, int, int]]) -> list[Claim]:
        """ "X has the same director as Y": true iff X and Y share an entity under that relation."""
        out = []
        for (first, p1, length), (second, p2, _) in zip(items, items[1:], strict=False):
            if first == second:  # "Jaws has the same director as Jaws": true of anything, evidence of nothing
                continue
            between = text[p1 + length - 1 : p2]
            if not _SAME.search(between) or _NEGATION.search(between):
                continue
            for relation, words in RELATION_WORDS.items():
                if any(f" {w} " in between for w in words):
                    a, b = self.graph.entities(first, relation), self.graph.entities(second, relation)
                    verdict = "true" if a & b else ("false" if a and b else "unknown")
                    out.append(Claim(first, relation, None, verdict, second))
                    break
        return out


def step_claims(verifier: StepVerifier, text: str) -> list[list[Claim]]:
    """The claims the verifier reads in each reasoning step of `text`, step by step."""
    return [verifier.claims(s.text) for s in segments(text)]


def step_tally(per_step: list[list[Claim]]) -> dict[str, int]:
    """`checked_steps` (steps in which the verifier reads a claim) and `false_steps` (steps with a claim the graph
    refutes): the false-step share is their ratio, each summed over answers."""
    return {"checked_steps": sum(bool(step) for step in per_step),
            "false_steps": sum(any(c.verdict == "false" for c in step) for step in per_step)}  # fmt: skip
