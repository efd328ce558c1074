"""Helpers shared by the benchmark scripts: machine description and result files (JSON + Markdown)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from rerec.machine import machine

# `run_all.py --quick` points this at results/quick/, so its small-settings numbers never replace the full ones
# that the README quotes.
RESULTS = Path(os.environ.get("REREC_BENCH_RESULTS") or Path(__file__).parent / "results")


def write_result(name: str, result: dict, markdown: str) -> dict:
    """Stamp `result` with date and machine, write `results/<name>.json` and `.md`, and return it."""
    result = {"benchmark": name, "date": date.today().isoformat(), "machine": machine(), **result}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(f"# {name}\n\n{result['date']}, {result['machine']}\n\n{markdown}\n")
    return result


def write_pair(out: Path, stem: str, result: dict | list, markdown: str) -> Path:
    """Write `out/<stem>.json` and `out/<stem>.md` (a report folder of its own, unlike `write_result`'s
    `results/`) and return the Markdown file's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / f"{stem}.md").write_text(markdown)
    return out / f"{stem}.md"


def paired_interval(before: list[float], after: list[float]) -> list[float]:
    """95% bootstrap interval of mean(after - before) over the same queries (`rerec.eval.stats`), rounded."""
    from rerec.eval.stats import paired_difference

    d = paired_difference(after, before)
    return [round(d.low, 4), round(d.high, 4)]


def demoted_order(picked: list[str], shown: list[str], refuted: Iterable[str]) -> list[str]:
    """Serving's order on a fixed candidate list with `demote_refuted`: the model's picks its steps do not refute,
    then the candidates it did not name, then the refuted picks."""
    refuted = sorted(refuted)
    return [i for i in picked if i not in refuted] + [i for i in shown if i not in picked] + refuted
