"""Wikidata films with names: directors, writers, cast, studios, languages and countries from `movies.db`.

The file is the CC0 SQLite database of `bokeh-sampledata==2026.1` (a Wikidata snapshot of 2026-10-18, 17,472
films from 1940-2014): table `omdb` holds comma-separated names per film, table `tomatoes` (joined on `ID`)
the studios (`Production`). Its caveats shape what rerec reads from it: `Cast` is alphabetical, not billing
order, and can include crew, so a person's credits are only as good as Wikidata's; voice casts are missing;
there is no film before 1940 and no Freebase id, so catalog items are joined by title and year
(`rerec.data.sources.film_linking`).

A person is one entity whatever the credit (`person:Steven Spielberg` directs Jaws and appears in its cast
list), as in Wikidata; the relation says the role. Two people who share a name share an entity: the
database keeps names only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rerec.data.knowledge_graph import Triple
from rerec.data.validation import DataError

# relation -> (column, entity kind): the kind prefixes the entity id. `Cast` is an SQL keyword, hence quoted.
COLUMNS: dict[str, tuple[str, str]] = {
    "directed_by": ('o."Director"', "person"),
    "written_by": ('o."Writer"', "person"),
    "starring": ('o."Cast"', "person"),
    "production_company": ('t."Production"', "company"),
    "language": ('o."Language"', "language"),
    "country": ('o."Country"', "country"),
}
HOP_RELATIONS = ("directed_by", "written_by", "starring", "production_company")
_QUERY = (
    f"SELECT o.ID, o.imdbID, o.Title, o.Year, {', '.join(column for column, _kind in COLUMNS.values())} "
    "FROM omdb AS o LEFT JOIN tomatoes AS t ON t.ID = o.ID ORDER BY o.ID"
)


@dataclass(frozen=True)
class Film:
    """One film of the database: its ids, title, year and the names credited under each relation."""

    film_id: str
    imdb_id: str | None
    title: str
    year: int
    credits: dict[str, tuple[str, ...]]


def read_films(path: Path) -> list[Film]:
    """Every dated film of `movies.db`, read-only; a damaged or foreign file is one `DataError` naming it."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute(_QUERY).fetchall()
    except sqlite3.Error as err:
        raise DataError(path, f"not the Wikidata films database bokeh-sampledata ships ({err})") from None
    films = []
    for film_id, imdb_id, title, year, *names in rows:
        if not title or not isinstance(year, int):
            continue
        credits = {rel: _names(text) for rel, text in zip(COLUMNS, names, strict=True)}
        films.append(Film(str(film_id), imdb_id or None, title, year, {r: v for r, v in credits.items() if v}))
    if not films:
        raise DataError(path, "holds no dated film")
    return films


def _names(text: str | None) -> tuple[str, ...]:
    """ "Carl Gottlieb, Peter Benchley" -> both names, trimmed, deduplicated, in the file's order."""
    return tuple(dict.fromkeys(n.strip() for n in (text or "").split(",") if n.strip()))


def entity_id(relation: str, name: str) -> str:
    """`person:Steven Spielberg`: people share one id across roles, so "same director as" and "the writer who
    also directed" are questions about one entity."""
    return f"{COLUMNS[relation][1]}:{name}"


def film_triples(links: Iterable[tuple[str, Film]]) -> tuple[list[Triple], dict[str, str]]:
    """Item-first triples of the linked films, and the readable name of every entity they use."""
    triples, names = [], {}
    for item_id, film in links:
        for relation, credited in film.credits.items():
            for name in credited:
                entity = entity_id(relation, name)
                names[entity] = name
                triples.append(Triple(item_id, relation, entity))
    return triples, names
