"""Grounding: map a title the model wrote to a catalog item id.

Normalisation (case, accents kept but case-folded, punctuation, "X, The" -> "The X", leading articles, a
trailing "(year)", an alternative title in parentheses) makes exact matching catch most answers; rapidfuzz's
ratio at or above `threshold` catches the rest. A year in the text picks among remakes. In candidates mode only
the prompt's candidates are eligible. The normalised index is built once per catalog.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from rerec.data.catalog import Catalog

_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an|les|la|le|l'|il|das|der|die|el)$")
_LEADING_ARTICLE = re.compile(r"^(the|a|an|les|la|le|l'|il|das|der|die|el)\s+")
_PAREN = re.compile(r"\s*\([^()]*\)")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d+")
MAX_TITLE_CHARS = 300


@functools.lru_cache(maxsize=65536)
def split_year(title: str) -> tuple[str, int | None]:
    """`"Jaws (1975)" -> ("Jaws", 1975)`; titles without a trailing year keep `None`."""
    match = _YEAR.search(title)
    return (title[: match.start()], int(match[1])) if match else (title, None)


@functools.lru_cache(maxsize=65536)
def normalize(title: str) -> str:
    """Canonical key of a title without its year: `"Usual Suspects, The" -> "usual suspects"`. Accents fold
    away (`"Amélie" -> "amelie"`): people and published benchmarks often type titles without them."""
    text = unicodedata.normalize("NFKD", title[:MAX_TITLE_CHARS]).casefold().strip()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _TRAILING_ARTICLE.sub("", text) if _TRAILING_ARTICLE.search(text) else _LEADING_ARTICLE.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def title_keys(title: str) -> set[str]:
    """Keys a catalog title answers to: itself, without its parenthesised alternative title, and that
    alternative alone ("My Life as a Dog (Mitt liv som hund)" answers to all three)."""
    keys = {normalize(title), normalize(_PAREN.sub("", title))}
    keys.update(normalize(alt.strip(" ()")) for alt in _PAREN.findall(title))
    return {k for k in keys if k}


def same_numbers(a: str, b: str) -> bool:
    """Fuzzy matches must agree on numbers: "toy story 3" is not "toy story", "alien 3" is not "alien"."""
    return _DIGITS.findall(a) == _DIGITS.findall(b)


class TitleIndex:
    """Normalised title -> item ids, for exact look-ups and fuzzy fallback.

    Args:
        catalog (`Catalog`): Items to ground to.
        threshold (`float`, *optional*, defaults to `0.85`): Minimum rapidfuzz ratio (0-1) for a fuzzy match.
    """

    def __init__(self, catalog: Catalog, threshold: float = 0.85):
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.years = {item.item_id: item.year for item in catalog}
        self._exact: dict[str, list[str]] = {}
        self._item_keys: dict[str, set[str]] = {}
        for item in catalog:
            title, _ = split_year(item.title)
            keys = title_keys(title)
            self._item_keys[item.item_id] = keys
            for key in keys:
                self._exact.setdefault(key, []).append(item.item_id)
        self._choices = sorted(self._exact)

    def ground(self, text: str, candidates: Sequence[str] | None = None) -> str | None:
        """Item id for `text`, or `None`. With `candidates`, only those ids can be returned."""
        if not isinstance(text, str) or not text.strip():
            return None
        title, year = split_year(text.strip())
        key = normalize(title)
        if not key:
            return None
        if candidates is not None:
            return self._ground_among(key, year, candidates)
        exact = self._exact.get(key)
        if exact:
            return self._pick(exact, year)
        matches = process.extract(key, self._choices, scorer=fuzz.ratio, score_cutoff=self.threshold * 100, limit=5)
        for choice, _score, _index in matches:
            if same_numbers(key, choice):
                return self._pick(self._exact[choice], year)
        return None

    def _ground_among(self, key: str, year: int | None, candidates: Sequence[str]) -> str | None:
        exact = [c for c in candidates if key in self._item_keys.get(c, ())]
        if exact:
            return self._pick(exact, year)
        best, best_score = [], self.threshold * 100
        for cand in candidates:
            keys = [k for k in self._item_keys.get(cand, ()) if same_numbers(key, k)]
            score = max((fuzz.ratio(key, k) for k in keys), default=0.0)
            if score > best_score:
                best, best_score = [cand], score
            elif score == best_score and best:
                best.append(cand)
        return self._pick(best, year) if best else None

    def _pick(self, ids: Sequence[str], year: int | None) -> str | None:
        """Among same-titled items, the one of the stated year (else the first in catalog order)."""
        if not ids:
            return None
        if year is not None:
            for item_id in ids:
                if self.years.get(item_id) == year:
                    return item_id
        return ids[0]

    def ground_all(self, titles: Sequence[str], candidates: Sequence[str] | None = None) -> list[str | None]:
        return [self.ground(t, candidates) for t in titles]

    def mentions(self, text: str, max_words: int = 10) -> list[str]:
        """Items whose title a free text names ("something like The Usual Suspects"), in order of mention.

        Word n-grams of the folded text are looked up exactly, longest first, without overlaps; a year right
        after a title picks among remakes. A one-word title counts only when written capitalised and not as
        the text's first word (unless a year follows or it is the whole text), so "a big heart" does not name *Big*
        but "like Heat (1995)" names *Heat*.
        """
        if not isinstance(text, str):
            return []
        folded = unicodedata.normalize("NFKD", text[: 20 * MAX_TITLE_CHARS])
        words = re.findall(r"\w+", "".join(ch for ch in folded if not unicodedata.combining(ch)))
        lower = [w.casefold() for w in words]
        taken = [False] * len(words)
        found: list[tuple[int, str]] = []
        for n in range(min(max_words, len(words)), 0, -1):
            for start in range(len(words) - n + 1):
                if any(taken[start : start + n]):
                    continue
                ids = self._exact.get(" ".join(lower[start : start + n]))
                after = words[start + n] if start + n < len(words) else ""
                dated = re.fullmatch(r"\d{4}", after) is not None
                if not ids or (n == 1 and not (words[start][0].isupper() and (start or dated or len(words) == 1))):
                    continue
                item = self._pick(ids, int(after) if dated else None)
                taken[start : start + n] = [True] * n
                found.append((start, item))
        return list(dict.fromkeys(item for _start, item in sorted(found)))
