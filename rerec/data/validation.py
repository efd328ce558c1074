"""Readers for delimited source files that fail with one precise message.

Every loader reads through these helpers so that a malformed file always produces a `DataError` naming
the file, the line and the field, and so that rows dropped on purpose (e.g. ratings of unknown items) are
counted and logged instead of vanishing.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


class DataError(ValueError):
    """A source file is malformed. The message names file, line (1-based) and field where known."""

    def __init__(self, path: str | Path, message: str, line: int | None = None, field_name: str | None = None):
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if field_name is not None:
            where += f", field '{field_name}'"
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.field_name = str(path), line, field_name


@dataclass
class DropCounter:
    """Counts rows a loader skipped on purpose, per reason, and reports them once."""

    source: str
    counts: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1

    def report(self) -> dict[str, int]:
        for reason, n in sorted(self.counts.items()):
            logger.warning("%s: dropped %d rows (%s)", self.source, n, reason)
        return dict(self.counts)


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """Read a whole file, turning a decoding error into a `DataError` with the line number."""
    if not path.is_file():
        raise DataError(path, "file not found")
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(path, f"not valid {encoding} text (byte {err.start})", line=line) from err
    # Spreadsheet programs start UTF-8 exports with a byte-order mark; it is not part of the first column's name.
    return text.removeprefix("\ufeff") if encoding.replace("-", "").lower() == "utf8" else text


def iter_delimited(
    path: Path,
    delimiter: str,
    columns: Sequence[str] | None = None,
    encoding: str = "utf-8",
    header: bool = True,
    escapechar: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield `(line_number, row)` for a delimited text file.

    With `header=True` the first line names the columns and every name in `columns` must be present;
    with `header=False`, `columns` names the fields in order. Rows with the wrong number of fields raise.
    `,` and `;` files are parsed as quoted CSV (fields may hold the delimiter or newlines); tab- and
    `::`-separated sources (RecBole, MovieLens) never quote and their titles contain quote marks, so they are
    split as they are.
    """
    text = read_text(path, encoding)
    if delimiter in (",", ";"):
        rows: Iterator[tuple[int, list[str]]] = _csv_rows(path, text, delimiter, escapechar)
    else:
        rows = ((n, line.split(delimiter)) for n, line in enumerate(text.splitlines(), start=1) if line.strip())
    try:
        first = next(rows) if header else None
    except StopIteration:
        raise DataError(path, "file is empty") from None
    if header:
        names = first[1]
        missing = [c for c in (columns or []) if c not in names]
        if missing:
            raise DataError(path, f"missing column(s) {missing}; found {names}", line=1)
    elif columns is None:
        raise ValueError("columns are required when the file has no header")
    else:
        names = list(columns)
    for line, values in rows:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            raise DataError(path, f"expected {len(names)} fields, found {len(values)}", line=line)
        yield line, dict(zip(names, values, strict=True))


def _csv_rows(path: Path, text: str, delimiter: str, escapechar: str | None) -> Iterator[tuple[int, list[str]]]:
    """`(first line, fields)` of each CSV record. A record may span lines (a quoted newline); it is named by the
    line it starts on, which is where an unclosed quote is (the csv module only notices it at the end of the
    file)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, escapechar=escapechar, strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            hint = "; a quote opened on this line is never closed" if "end of data" in str(err) else ""
            raise DataError(path, f"malformed CSV ({err}{hint})", line=start) from None
        yield start, fields
        start = reader.line_num + 1


def parse_int(value: str, path: Path, line: int, field_name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DataError(path, f"expected an integer, found {value!r}", line=line, field_name=field_name) from None


def parse_float(value: str, path: Path, line: int, field_name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise DataError(path, f"expected a number, found {value!r}", line=line, field_name=field_name) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DataError(path, f"expected a finite number, found {value!r}", line=line, field_name=field_name)
    return number
