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

from rerec.data.atomic import claim_folder
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
            values = [r["metrics"][kind].get(metric) for r in rs if kind in r["metrics"]]  # None: older eval
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
    lines += diagnostics(runs)
    lines.append("Models: " + "; ".join(f"{m}: `{rs[0]['settings'].get('model')}`" for m, rs in runs.items()))
    return "\n".join(lines) + "\n"


DIAGNOSTICS = {
    "zero-variance groups": "frac_reward_zero_std",
    "penalised tokens": "raae/penalized_token_share",
    "boxed, not grounded": "ground_fail_rate",
    "answer tokens": "completions/mean_length",
}


def training_log(model: str | None) -> list[dict]:
    """Per-step log of the run that trained `model` (`<output_dir>/final` -> `<output_dir>/metrics.jsonl`)."""
    if not model:
        return []
    path = Path(model).parent / "metrics.jsonl"
    if not path.is_file():
        return []
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in entries if e.get("reward") is not None]


def _run_mean(logs: list[list[dict]], read) -> float:
    """Mean over runs of the mean over a run's steps of `read(entry)`."""
    return statistics.fmean(statistics.fmean(read(e) for e in log) for log in logs)


def diagnostics(runs: dict[str, list[dict]]) -> list[str]:
    """Training budget and diagnostics per trained method (mean over its seeds): steps, wall time, the reward of
    the first and last four steps, and the means of the shares that explain a result."""
    rows = []
    for method, rs in runs.items():
        logs = [log for r in rs if (log := training_log(r["settings"].get("model")))]
        if not logs:
            continue
        steps = statistics.fmean(len(log) for log in logs)
        minutes = statistics.fmean(sum(float(e.get("step_time", 0.0)) for e in log) / 60 for log in logs)
        first = _run_mean([log[:4] for log in logs], lambda e: float(e["reward"]))
        last = _run_mean([log[-4:] for log in logs], lambda e: float(e["reward"]))
        cells = [
            f"{_run_mean(logs, lambda e, k=key: float(e.get(k) or 0.0)):.3f}" if key in logs[0][0] else "–"
            for key in DIAGNOSTICS.values()
        ]
        head = f"| {method} | {len(logs)} | {steps:.0f} | {minutes:.1f} | {first:.3f} → {last:.3f} | "
        rows.append(head + " | ".join(cells) + " |")
    if not rows:
        return []
    header = "| method | runs | steps | minutes | reward, first → last 4 steps | " + " | ".join(DIAGNOSTICS) + " |"
    return [
        "## training",
        "",
        "Means over each method's runs, read from the runs' `metrics.jsonl` (minutes: the sum of logged step times).",
        "",
        header,
        "|---" * (5 + len(DIAGNOSTICS)) + "|",
        *rows,
        "",
    ]


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


def write_report(folders: list[Path], out: Path, metrics: list[str], title: str, overwrite: bool = False) -> Path:
    """`report.md`, `report.json` and one plot per metric in `out`; an earlier report there is replaced only with
    `overwrite`, and any other existing folder is refused."""
    runs = load_runs(folders)
    claim_folder(out, "report", overwrite, inputs=folders)
    (out / "report.md").write_text(markdown(runs, metrics, title))
    summary = {
        metric: {m: {t: vars(c) for t, c in row.items()} for m, row in table(runs, metric)[1].items()}
        for metric in metrics
    }
    (out / "report.json").write_text(json.dumps({"title": title, "runs": runs, "summary": summary}, indent=2))
    for metric in metrics:
        plot(runs, metric, out / f"{metric.replace('@', '_at_')}.png")
    return out / "report.md"
