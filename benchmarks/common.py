"""Helpers shared by the benchmark scripts: machine description and result files (JSON + Markdown)."""

from __future__ import annotations

import json
import os
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


def paired_interval(before: list[float], after: list[float], seed: int = 0, rounds: int = 10_000) -> list[float]:
    """95% percentile-bootstrap interval of mean(after - before) over the same queries."""
    import numpy as np

    diffs = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, len(diffs), size=(rounds, len(diffs)))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)]
