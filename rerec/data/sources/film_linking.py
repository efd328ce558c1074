"""Join catalog films to Wikidata films by title and year (the database has no Freebase or MovieLens id).

Each catalog film takes the first tier that finds a database film released within a year of it:

1. **exact**: the normalised title (`rerec.data.grounding`: case, accents, "Title, The", an alternative title
   in parentheses), or an entry of `ALIASES`;
2. **fuzzy**: rapidfuzz ratio >= 90 on the normalised titles, same numbers, same year ("Jungle2Jungle",
   "U.S. Marshalls", "Three Colors: Blue"; at 85 "Twisted" took "Twister");
3. **variant**: one side's looser form against the other side's exact keys (never loose against loose, which
   matched "Gilligan's Island: The Movie" to "Rudolph ...: The Movie"): "&" read as "and", a possessive
   prefix of two or more words that is not "The ..." dropped ("William Shakespeare's Romeo + Juliet", not
   "Jupiter's Wife" or "The Preacher's Wife"), a title split at its colon or " or:" ("Dr. Strangelove or:
   How I Learned ...", "Léon: The Professional"). It runs last: a part of a split title ("Blue") can be
   another film's whole title.

Several hits in one tier go to the film of the same year, then to the lowest database id (deterministic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from rerec.data.catalog import Item
from rerec.data.grounding import normalize, same_numbers, split_year, title_keys
from rerec.data.sources.wikidata_films import Film

# MovieLens titles Wikidata spells differently beyond what the rules catch, and (None) titles whose rule-made
# match is another film; checked one by one against the films' directors.
ALIASES: dict[tuple[str, int], str | None] = {
    ("Twelve Monkeys", 1995): "12 Monkeys",
    ("M*A*S*H", 1970): "MASH",
    ("Magnificent Seven, The", 1954): "Seven Samurai",  # MovieLens lists Kurosawa's film by its US title
    ("Boys, Les", 1997): None,  # Louis Saïa's Quebec comedy, not Stacy Cochran's "Boys" (1996)
    ("Fear, The", 1995): None,  # Vincent Robert's horror film, not James Foley's "Fear" (1996)
}
YEAR_TOLERANCE = 1
FUZZY_CUTOFF = 90
_POSSESSIVE = re.compile(r"^(?!(?:the|a|an)\s)[\w.\-]+(?:\s+[\w.\-]+)+'s\s+", re.IGNORECASE)
_SPLIT = re.compile(r"\s+or:\s+|:\s+|\s+[–-]\s+")
TIERS = ("exact", "fuzzy", "variant")


@dataclass(frozen=True)
class Link:
    """`item_id` is the database's `film`, found by `tier`."""

    item_id: str
    film: Film
    tier: str

    def record(self) -> dict:
        """The row `rerec prepare` writes to `kg_links.jsonl`, so every join can be checked by hand."""
        return {
            "item_id": self.item_id, "film_id": self.film.film_id, "imdb_id": self.film.imdb_id,
            "title": self.film.title, "year": self.film.year, "tier": self.tier,
        }  # fmt: skip


def variant_keys(title: str) -> set[str]:
    """Looser keys of a title, for the variant tier (see the module docstring); the exact keys are not repeated."""
    forms = {title.replace("&", "and"), _POSSESSIVE.sub("", title)}
    forms.update(part for part in _SPLIT.split(title) if part.strip())
    keys = {key for form in forms for key in title_keys(form)}
    return keys - title_keys(title)


class FilmLinker:
    """Index of the database's films by exact and variant keys; `link` matches catalog items against it."""

    def __init__(self, films: Sequence[Film]):
        self._exact: dict[str, list[Film]] = {}
        self._variant: dict[str, list[Film]] = {}
        for film in films:
            for key in title_keys(film.title):
                self._exact.setdefault(key, []).append(film)
            for key in variant_keys(film.title):
                self._variant.setdefault(key, []).append(film)
        self._choices = sorted(self._exact)

    def link(self, items: Iterable[Item]) -> list[Link]:
        """One `Link` per item that some tier matches (items without a year never match)."""
        links = []
        for item in items:
            if item.year is None:
                continue
            title = split_year(item.title)[0]
            alias = ALIASES.get((title, item.year), title)
            if alias is None:
                continue
            exact = title_keys(alias)
            for tier, films in zip(TIERS, self._tiers(title, exact), strict=True):
                film = _pick(films, item.year, 0 if tier == "fuzzy" else YEAR_TOLERANCE)
                if film is not None:
                    links.append(Link(item.item_id, film, tier))
                    break
        return links

    def _tiers(self, title: str, exact: set[str]) -> Iterable[list[Film]]:
        """Candidate films per tier, produced lazily so the fuzzy search runs only when needed."""
        yield [f for key in sorted(exact) for f in self._exact.get(key, ())]
        key = normalize(title)
        found = process.extract(key, self._choices, scorer=fuzz.ratio, limit=5, score_cutoff=FUZZY_CUTOFF)
        yield [f for choice, _score, _ in found if same_numbers(key, choice) for f in self._exact[choice]]
        loose = [f for key in sorted(variant_keys(title)) for f in self._exact.get(key, ())]
        yield loose + [f for key in sorted(exact) for f in self._variant.get(key, ())]


def _pick(films: Sequence[Film], year: int, tolerance: int) -> Film | None:
    close = [f for f in films if abs(f.year - year) <= tolerance]
    if not close:
        return None
    return min(close, key=lambda f: (f.year != year, int(f.film_id) if f.film_id.isdigit() else 0, f.film_id))
