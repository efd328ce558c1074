"""MovieLens-1M `::` files: movies.dat (title with year, genres), users.dat (coded demographics), ratings.dat.

The files are Latin-1. RecBench+'s movie queries use this catalog; its copy ships movies.dat and users.dat
but not ratings.dat, so `require_ratings=False` loads a catalog without interactions for that case.
"""

from __future__ import annotations

import re
from pathlib import Path

from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.interactions import Interaction, Interactions, User
from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.data.validation import DataError, DropCounter, iter_delimited, parse_float, parse_int

ENCODING = "latin-1"
OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
)  # fmt: skip
_TITLE_YEAR = re.compile(r"^(?P<title>.*\S)\s*\((?P<year>\d{4})\)\s*$")


def load_ml1m(folder: Path, positive_threshold: float | None = None, require_ratings: bool = True) -> RecDataset:
    folder = Path(folder)
    drops = DropCounter("ml-1m")
    catalog = load_movies(folder / "movies.dat")
    users = _load_users(folder / "users.dat")
    ratings_path = folder / "ratings.dat"
    rows: list[Interaction] = []
    if ratings_path.exists() or require_ratings:
        rows = _load_ratings(ratings_path, catalog, users, drops)
    interactions = Interactions(rows, 4.0 if positive_threshold is None else positive_threshold)
    graph = KnowledgeGraph.from_catalog(catalog)
    return RecDataset("ml-1m", catalog, graph, interactions, users, (), drops.report())


def text_encoding(path: Path) -> str:
    """UTF-8 when the file decodes as UTF-8 (RecBench+ re-saved MovieLens' files that way: read as latin-1, 50
    titles came out garbled), else MovieLens' own latin-1. A missing file is reported by the reader."""
    try:
        path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return ENCODING
    return "utf-8"


def load_movies(path: Path) -> Catalog:
    """movies.dat: `MovieID::Title (Year)::Genre|Genre`."""
    items, seen = [], set()
    for line, row in iter_delimited(path, "::", ("item_id", "title", "genres"), text_encoding(path), header=False):
        if row["item_id"] in seen:
            raise DataError(path, f"duplicate movie id {row['item_id']!r}", line=line, field_name="MovieID")
        seen.add(row["item_id"])
        match = _TITLE_YEAR.match(row["title"])
        title, year = (match["title"], int(match["year"])) if match else (row["title"].strip(), None)
        genres = tuple(g for g in row["genres"].split("|") if g)
        items.append(Item(row["item_id"], title, year, {"genre": genres} if genres else {}))
    return Catalog(items, noun="movie")


def _load_users(path: Path) -> dict[str, User]:
    users: dict[str, User] = {}
    cols = ("user_id", "gender", "age", "occupation", "zip")
    for line, row in iter_delimited(path, "::", cols, ENCODING, header=False):
        code = parse_int(row["occupation"], path, line, "Occupation")
        if not 0 <= code < len(OCCUPATIONS):
            raise DataError(path, f"occupation code {code} is not in 0-20", line=line, field_name="Occupation")
        if row["user_id"] in users:
            raise DataError(path, f"duplicate user id {row['user_id']!r}", line=line, field_name="UserID")
        # ML-1M stores the lower bound of the age bucket (1, 18, 25, ...), which age_bucket maps back.
        age = parse_int(row["age"], path, line, "Age")
        users[row["user_id"]] = User(row["user_id"], age, row["gender"], OCCUPATIONS[code])
    return users


def _load_ratings(path: Path, catalog: Catalog, users: dict[str, User], drops: DropCounter) -> list[Interaction]:
    rows = []
    cols = ("user_id", "item_id", "rating", "timestamp")
    for line, row in iter_delimited(path, "::", cols, ENCODING, header=False):
        rating = parse_float(row["rating"], path, line, "Rating")
        stamp = parse_float(row["timestamp"], path, line, "Timestamp")
        if row["item_id"] not in catalog:
            drops.drop("rating of an unknown movie")
            continue
        if users and row["user_id"] not in users:
            drops.drop("rating by an unknown user")
            continue
        rows.append(Interaction(row["user_id"], row["item_id"], rating, stamp))
    return rows
