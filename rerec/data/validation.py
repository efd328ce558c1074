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
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(path, f"not valid {encoding} text (byte {err.start})", line=line) from err


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
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, escapechar=escapechar)
        rows: Iterator[tuple[int, list[str]]] = ((reader.line_num, row) for row in reader)
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
    try:
        for line, values in rows:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                raise DataError(path, f"expected {len(names)} fields, found {len(values)}", line=line)
            yield line, dict(zip(names, values, strict=True))
    except csv.Error as err:
        raise DataError(path, f"malformed CSV ({err})", line=reader.line_num) from None


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
