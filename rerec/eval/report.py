"""`rerec report`: one table of methods × query types from `rerec eval` folders, as Markdown, JSON and a PNG.

A folder's method is its name without a trailing `-seed<N>` (`grpo-seed0`, `grpo-seed1` -> `grpo`), so seeds of
one method are pooled into a mean and a spread (sample standard deviation).
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rerec.eval.harness import SETTINGS
from rerec.machine import machine

SEED_SUFFIX = re.compile(r"-seed\d+$")


@dataclass(frozen=True)
class Cell:
    mean: float
    std: float
    seeds: int

    def text(self) -> str:
        return f"{self.mean:.3f} ± {self.std:.3f}" if self.seeds > 1 else f"{self.mean:.3f}"


def method_of(folder: Path) -> str:
    return SEED_SUFFIX.sub("", folder.name)


def load_runs(folders: list[Path]) -> dict[str, list[dict]]:
    """Metrics of each folder, grouped by method, in the order given."""
    runs: dict[str, list[dict]] = {}
    for folder in folders:
        path = folder / "metrics.json"
        if not path.is_file():
            raise ValueError(f"{folder} has no metrics.json; run `rerec eval --output_dir {folder}` first")
        settings = json.loads((folder / SETTINGS).read_text()) if (folder / SETTINGS).is_file() else {}
        runs.setdefault(method_of(folder), []).append({"metrics": json.loads(path.read_text()), "settings": settings})
    return runs


def table(runs: dict[str, list[dict]], metric: str) -> tuple[list[str], dict[str, dict[str, Cell]]]:
    """Query types (columns, "all" last) and per method the mean/spread of `metric` over its seeds."""
    types = sorted({t for rs in runs.values() for r in rs for t in r["metrics"]} - {"all"}) + ["all"]
    out: dict[str, dict[str, Cell]] = {}
    for method, rs in runs.items():
        out[method] = {}
        for kind in types:
            values = [r["metrics"][kind][metric] for r in rs if kind in r["metrics"]]
            values = [v for v in values if v is not None]
            if values:
                spread = statistics.stdev(values) if len(values) > 1 else 0.0
                out[method][kind] = Cell(statistics.fmean(values), spread, len(values))
    return types, out


def markdown(runs: dict[str, list[dict]], metrics: list[str], title: str) -> str:
    first = next(iter(runs.values()))[0]["settings"]
    lines = [
        f"# {title}",
        "",
        f"{date.today().isoformat()} · {machine()} · split `{first.get('split')}`, "
        f"mode `{first.get('mode')}`, facts in prompt: {first.get('facts')}, "
        f"{first.get('max_candidates') or 'all'} candidates, data `{first.get('prepared')}`",
        "",
    ]
    for metric in metrics:
        types, cells = table(runs, metric)
        header = "| method | seeds | " + " | ".join(types) + " |"
        lines += [f"## {metric}", "", header, "|---" * (len(types) + 2) + "|"]
        for method, row in cells.items():
            values = [row[t].text() if t in row else "–" for t in types]
            lines.append(f"| {method} | {len(runs[method])} | " + " | ".join(values) + " |")
        lines.append("")
    lines.append("Models: " + "; ".join(f"{m}: `{rs[0]['settings'].get('model')}`" for m, rs in runs.items()))
    return "\n".join(lines) + "\n"


def plot(runs: dict[str, list[dict]], metric: str, out: Path) -> None:
    """Grouped bars per query type, one colour per method, error bars = spread over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types, cells = table(runs, metric)
    width = 0.8 / max(1, len(cells))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(types) * max(1, len(cells)) ** 0.5), 3.6))
    for i, (method, row) in enumerate(cells.items()):
        xs = [t + i * width for t in range(len(types))]
        means = [row[t].mean if t in row else 0.0 for t in types]
        spreads = [row[t].std if t in row else 0.0 for t in types]
        ax.bar(xs, means, width, yerr=spreads, capsize=2, label=method)
    ax.set_xticks([t + 0.4 - width / 2 for t in range(len(types))], types)
    ax.set_ylabel(metric)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def write_report(folders: list[Path], out: Path, metrics: list[str], title: str) -> Path:
    runs = load_runs(folders)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(markdown(runs, metrics, title))
    summary = {
        metric: {m: {t: vars(c) for t, c in row.items()} for m, row in table(runs, metric)[1].items()}
        for metric in metrics
    }
    (out / "report.json").write_text(json.dumps({"title": title, "runs": runs, "summary": summary}, indent=2))
    for metric in metrics:
        plot(runs, metric, out / f"{metric.replace('@', '_at_')}.png")
    return out / "report.md"
