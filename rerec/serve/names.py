"""People and studios a free-form request names: "with Tom Hanks", "something by Spielberg", "a Speilberg film".

Three ways in, each cheap: a whole name of two to five words anywhere in the request (case-insensitive); a
capitalised word that is a one-word name ("Pixar") or a surname; and, for capitalised words of five letters or
more, a fuzzy surname (rapidfuzz ratio >= 85) that forgives a typo. One-word names and surnames must be
capitalised so that "a film about a prince" does not name Prince. A surname several people share goes to the
one with the most catalog items ("Lee" -> the most prolific Lee), the likeliest meaning of a bare surname.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from rapidfuzz import fuzz, process

from rerec.data.knowledge_graph import KnowledgeGraph, entity_kind

PERSON_KINDS = ("person", "author")
MAX_NAME_WORDS = 5
FUZZY_CUTOFF = 85
MIN_FUZZY_CHARS = 5
# Capitalised only because they open a sentence: never read as a surname there.
REQUEST_WORDS = frozenset(
    "any anything best can could find films give good i i'm looking movies please recommend show some something "
    "suggest tell what which who would".split()
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’\-]*")
_POSSESSIVE = re.compile(r"['’]s?$")


def fold_words(text: str) -> list[str]:
    """Case-folded words: "Sci-Fi" -> ["sci", "fi"], for whole-word look-ups."""
    return re.findall(r"\w+", text.casefold())


class NameFinder:
    """Entity ids of the people and companies (`relations`' named entities) a request mentions.

    Args:
        graph (`KnowledgeGraph`): Names and how many items each entity has.
        relations (`Sequence[str]`): Relations whose entities are looked for (people, studios, authors).
    """

    def __init__(self, graph: KnowledgeGraph, relations: Sequence[str]):
        size: dict[str, int] = {}
        for relation in relations:
            for entity in graph.entities_of(relation):
                if graph.name(entity):
                    size[entity] = size.get(entity, 0) + len(graph.items_with(relation, entity))
        self.full: dict[tuple[str, ...], str] = {}
        self.surnames: dict[str, str] = {}
        # Most items first, so that a shared name or surname keeps its most prolific owner.
        for entity in sorted(size, key=lambda e: (-size[e], e)):
            words = tuple(fold_words(graph.name(entity) or ""))
            if not words or len(words) > MAX_NAME_WORDS:
                continue
            self.full.setdefault(words, entity)
            if entity_kind(entity) in PERSON_KINDS and len(words) > 1 and len(words[-1]) > 2:
                self.surnames.setdefault(words[-1], entity)
        self._surname_keys = sorted(self.surnames)

    def find(self, query: str, ignore: Collection[str] = ()) -> list[str]:
        """Entities named in `query`, in order of mention; words in `ignore` (titles the request names) never
        count as a surname."""
        words = fold_words(query)
        found: list[str] = []
        used: set[int] = set()
        for start in range(len(words)):
            for length in range(min(MAX_NAME_WORDS, len(words) - start), 1, -1):
                entity = self.full.get(tuple(words[start : start + length]))
                if entity and not used & set(range(start, start + length)):
                    found.append(entity)
                    used.update(range(start, start + length))
                    break
        taken = {w for i, w in enumerate(words) if i in used} | {w.casefold() for w in ignore}
        for match in _CAPITALISED.finditer(query):
            word = _POSSESSIVE.sub("", match[0].casefold())
            opens_sentence = match.start() == 0 or query[: match.start()].rstrip().endswith((".", "!", "?"))
            if word in taken or (opens_sentence and word in REQUEST_WORDS):
                continue
            entity = self.full.get((word,)) or self.surnames.get(word) or self._fuzzy(word)
            if entity and entity not in found:
                found.append(entity)
        return found

    def _fuzzy(self, word: str) -> str | None:
        if len(word) < MIN_FUZZY_CHARS:
            return None
        best = process.extractOne(word, self._surname_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return self.surnames[best[0]] if best else None
