"""MovieLens-100k as RecBole's atomic files ship it, with a knowledge graph of people and studios.

Files: `ml-100k.item` (title, year, genres), `.user` (age, gender, occupation), `.inter` (ratings), `.kg`
(Freebase triples between MIDs) and `.link` (item id -> film MID). Two graphs can join the genres and decades:

- `wikidata` (default): named directors, writers, cast, studios, languages and countries from the Wikidata
  films database (`rerec.data.sources.wikidata_films`), linked by title and year;
- `freebase`: RecBole's own triples, kept for comparison with RecBole/KB4Rec work. Freebase MIDs carry no
  names, so people and companies can only be referred to through the films they worked on, and the links are
  wrong for famous films (RecBole's "director" of Jaws also directs only Eraser and The Sum of Us).
"""

from __future__ import annotations

import re
from pathlib import Path

from rerec.config import ML100K_GRAPHS
from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.interactions import Interaction, Interactions, User, users_by_id
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.data.sources import film_linking, wikidata_films
from rerec.data.validation import DataError, DropCounter, iter_delimited, parse_float, parse_int

# Forward (film-first) Freebase relations and rerec's names for them; inverse duplicates are not loaded.
FREEBASE_RELATIONS = {
    "film.film.directed_by": "directed_by",
    "film.film.actor": "starring",
    "film.film.written_by": "written_by",
    "film.film.produced_by": "produced_by",
    "film.film.cinematography": "cinematography",
    "film.film.production_companies": "production_company",
    "film.film.genre": "freebase_genre",
    "film.film.language": "language",
    "film.film.country": "country",
    "film.film.rating": "content_rating",
    "film.film.subjects": "subject",
    "film.film.award_nomination": "award_nomination",
    "film.film.award_won": "award_won",
    "film.film.sequel": "sequel",
    "film.film.prequel": "prequel",
}
_YEAR_IN_TITLE = re.compile(r"^(?P<title>.+?)\s*\((?P<year>\d{4})\)$")
# RecBole's row 267 is a placeholder, not a film: recommending it would be nonsense.
PLACEHOLDER_TITLES = ("unkonwn", "unknown")
FREEBASE_HOP_RELATIONS = (
    "directed_by", "starring", "written_by", "produced_by", "cinematography", "production_company",
)  # fmt: skip


def load_ml100k(
    folder: Path | None = None,
    positive_threshold: float | None = None,
    kg: str = "wikidata",
    movies_db: Path | None = None,
) -> RecDataset:
    """Load ml-100k from RecBole atomic files (default: the copy inside the `recbole` wheel) with the `kg`
    graph; `movies_db` overrides the embedded Wikidata database (tests)."""
    if kg not in ML100K_GRAPHS:
        raise ValueError(f"kg={kg!r} is unknown; use one of {ML100K_GRAPHS}")
    if folder is None:
        from rerec.assets import recbole_dataset_dir

        folder = recbole_dataset_dir("ml-100k")
    folder = Path(folder)
    drops = DropCounter("ml-100k")
    catalog, placeholders = _load_items(folder / "ml-100k.item", drops)
    users = _load_users(folder / "ml-100k.user")
    threshold = 4.0 if positive_threshold is None else positive_threshold
    interactions = _load_ratings(folder / "ml-100k.inter", catalog, users, threshold, drops)
    if kg == "freebase":
        extra, names, links = _load_kg(folder, catalog, placeholders, drops), {}, []
        hops = FREEBASE_HOP_RELATIONS
    else:
        extra, names, links = _wikidata(catalog, movies_db, drops)
        hops = wikidata_films.HOP_RELATIONS
    graph = KnowledgeGraph.from_catalog(catalog, extra=extra, entity_names=names)
    return RecDataset(
        "ml-100k", catalog, graph, interactions, users, hops, drops.report(), [link.record() for link in links]
    )


def _wikidata(
    catalog: Catalog, movies_db: Path | None, drops: DropCounter
) -> tuple[list[Triple], dict[str, str], list[film_linking.Link]]:
    """Triples and entity names of the catalog's films in the Wikidata database, and how each was joined."""
    if movies_db is None:
        from rerec.assets import movies_db as embedded

        movies_db = embedded()
    links = film_linking.FilmLinker(wikidata_films.read_films(movies_db)).link(catalog)
    for _ in range(len(catalog) - len(links)):
        drops.drop("film not found in the Wikidata films database (keeps its genres and decade)")
    triples, names = wikidata_films.film_triples((link.item_id, link.film) for link in links)
    return triples, names, links


def _load_items(path: Path, drops: DropCounter) -> tuple[Catalog, set[str]]:
    """The catalog, and the ids of placeholder rows left out of it (their links are expected, not errors)."""
    cols = ("item_id:token", "movie_title:token_seq", "release_year:token", "class:token_seq")
    items, seen, placeholders = [], set(), set()
    for line, row in iter_delimited(path, "\t", cols):
        item_id = row["item_id:token"]
        if item_id in seen:
            raise DataError(path, f"duplicate item id {item_id!r}", line=line, field_name="item_id")
        seen.add(item_id)
        if row["movie_title:token_seq"].strip() in PLACEHOLDER_TITLES:
            drops.drop("placeholder item without title, year or genre (its ratings go too)")
            placeholders.add(item_id)
            continue
        title, year = _title_and_year(row["movie_title:token_seq"].strip(), row["release_year:token"].strip(), drops)
        # "unknown" is ml-100k's flag for a film without genre, not a genre a user could ask for.
        genres = tuple(g for g in row["class:token_seq"].split() if g != "unknown")
        items.append(Item(item_id, title, year, {"genre": genres} if genres else {}))
    return Catalog(items, noun="movie"), placeholders


def _title_and_year(title: str, year_text: str, drops: DropCounter) -> tuple[str, int | None]:
    """RecBole's ml-100k has a few damaged rows: undated films, and one title that swallowed
    its year ("Land Before Time III: ... (1995)" with year "V"). Those are repaired and counted, not fatal."""
    if year_text.isdigit():
        return title, int(year_text)
    drops.drop("missing or damaged year (repaired from the title when it carries one)")
    match = _YEAR_IN_TITLE.match(title)
    if match:
        return match["title"], int(match["year"])
    return title, None


def _load_users(path: Path) -> dict[str, User]:
    cols = ("user_id:token", "age:token", "gender:token", "occupation:token")
    users = []
    for line, row in iter_delimited(path, "\t", cols):
        age = parse_int(row["age:token"], path, line, "age")
        users.append(User(row["user_id:token"], age, row["gender:token"], row["occupation:token"]))
    try:
        return dict(users_by_id(users))
    except ValueError as err:
        raise DataError(path, str(err)) from None


def _load_ratings(
    path: Path, catalog: Catalog, users: dict[str, User], threshold: float, drops: DropCounter
) -> Interactions:
    cols = ("user_id:token", "item_id:token", "rating:float", "timestamp:float")
    rows = []
    for line, row in iter_delimited(path, "\t", cols):
        item_id, user_id = row["item_id:token"], row["user_id:token"]
        rating = parse_float(row["rating:float"], path, line, "rating")
        stamp = parse_float(row["timestamp:float"], path, line, "timestamp")
        if item_id not in catalog:
            drops.drop("rating of an unknown item")
            continue
        if users and user_id not in users:
            drops.drop("rating by an unknown user")
            continue
        rows.append(Interaction(user_id, item_id, rating, stamp))
    return Interactions(rows, threshold)


def _load_kg(folder: Path, catalog: Catalog, placeholders: set[str], drops: DropCounter) -> list[Triple]:
    link_path, kg_path = folder / "ml-100k.link", folder / "ml-100k.kg"
    film_to_item: dict[str, str] = {}
    for line, row in iter_delimited(link_path, "\t", ("item_id:token", "entity_id:token")):
        if row["item_id:token"] in placeholders:
            continue
        if row["item_id:token"] not in catalog:
            raise DataError(link_path, f"links unknown item {row['item_id:token']!r}", line=line, field_name="item_id")
        film_to_item[row["entity_id:token"]] = row["item_id:token"]
    triples = []
    for _line, row in iter_delimited(kg_path, "\t", ("head_id:token", "relation_id:token", "tail_id:token")):
        relation = FREEBASE_RELATIONS.get(row["relation_id:token"])
        if relation is None:
            drops.drop("inverse or unused Freebase relation")
            continue
        item_id = film_to_item.get(row["head_id:token"])
        if item_id is None:
            drops.drop("triple about a film outside the catalog")
            continue
        triples.append(Triple(item_id, relation, row["tail_id:token"]))
    return triples
