"""`rerec report`: one table of methods × query types from `rerec eval` folders, as Markdown, JSON and a PNG.

A folder's method is its name without a trailing `-seed<N>` (`grpo-seed0`, `grpo-seed1` -> `grpo`), so seeds of
one method are pooled into a mean and a spread (sample standard deviation). Where the folders hold per-query
scores (`scores.jsonl`), every cell also carries a 95% interval over queries, and `paired` pairs of methods are
compared query by query (`rerec.eval.stats`): a gap is a finding only when its interval excludes 0 and the
paired test gives p < 0.05, and, where a method has several seeds, its interval over seeds and queries excludes 0
as well.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rerec.config import QUERY_TYPES
from rerec.data.atomic import claim_folder
from rerec.eval.curve import mean_curve, plot_curves, plot_panels, read_curve
from rerec.eval.harness import SCORES, SETTINGS, read_scores
from rerec.eval.stats import PairedDifference, mean_interval, paired_difference, seeds_and_queries
from rerec.machine import machine

SEED_SUFFIX = re.compile(r"-seed\d+$")
# Columns made of several query types: the multi-hop conditions, where the knowledge graph has to be walked.
GROUPS = {"multi-hop": ("implicit", "misinformed")}
# An evaluation folder's copy of its model's training log, for when the run's own folder is not at hand.
TRAINING_COPY = "training.jsonl"


@dataclass(frozen=True)
class Cell:
    """A method's value in one column: mean over its seeds, their spread, and (from per-query scores) the 95%
    interval over queries of the per-query mean over seeds."""

    mean: float
    std: float
    seeds: int
    low: float | None = None
    high: float | None = None

    def text(self) -> str:
        out = f"{self.mean:.3f}"
        if self.low is not None:
            out += f" [{self.low:.3f}, {self.high:.3f}]"
        return out + (f" ± {self.std:.3f}" if self.seeds > 1 else "")


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
        scores = read_scores(folder) if (folder / SCORES).is_file() else None  # None: evaluated before 2026-12-03
        runs.setdefault(method_of(folder), []).append(
            {"metrics": json.loads(path.read_text()), "settings": settings, "scores": scores, "folder": folder}
        )
    return runs


def columns(runs: dict[str, list[dict]]) -> list[str]:
    """Query types (the benchmark's order, then any others), then the groups whose types are all there, then
    "all"."""
    present = {t for rs in runs.values() for r in rs for t in r["metrics"]} - {"all"}
    types = [t for t in QUERY_TYPES if t in present] + sorted(present - set(QUERY_TYPES))
    return types + [name for name, members in GROUPS.items() if set(members) <= set(types)] + ["all"]


def seed_values(rs: list[dict], metric: str, column: str) -> dict[str, list[float]] | None:
    """Per query of `column` (a type, a group or "all"), `metric` of each of the method's seeds; only queries
    every seed scored. None when a seed has no per-query scores or none carries `metric`."""
    if any(r["scores"] is None for r in rs):
        return None
    members = GROUPS.get(column, (column,))
    per_seed = [
        {qid: rec.get(metric) for qid, rec in r["scores"].items() if column == "all" or rec["type"] in members}
        for r in rs
    ]
    shared = set.intersection(*(set(values) for values in per_seed))
    if not shared or any(values[q] is None for values in per_seed for q in shared):
        return None
    return {q: [values[q] for values in per_seed] for q in sorted(shared)}


def query_values(rs: list[dict], metric: str, column: str) -> dict[str, float] | None:
    """`seed_values` averaged over the seeds: one value per query."""
    values = seed_values(rs, metric, column)
    return None if values is None else {q: statistics.fmean(v) for q, v in values.items()}


def _cell(rs: list[dict], metric: str, column: str) -> Cell | None:
    members = GROUPS.get(column, (column,))
    seed_means = []
    for r in rs:
        if column in r["metrics"]:
            seed_means.append(r["metrics"][column].get(metric))  # None: an older eval without the metric
        elif all(kind in r["metrics"] for kind in members) and (values := query_values([r], metric, column)):
            seed_means.append(statistics.fmean(values.values()))  # a group: the seed's mean over its queries
    seed_means = [v for v in seed_means if v is not None]
    if not seed_means:
        return None
    spread = statistics.stdev(seed_means) if len(seed_means) > 1 else 0.0
    per_query = query_values(rs, metric, column)
    if per_query is None:
        return Cell(statistics.fmean(seed_means), spread, len(seed_means))
    interval = mean_interval(list(per_query.values()))
    return Cell(interval.mean, spread, len(seed_means), interval.low, interval.high)


def table(runs: dict[str, list[dict]], metric: str) -> tuple[list[str], dict[str, dict[str, Cell]]]:
    """Columns (query types, groups, "all") and per method the mean/spread/interval of `metric`."""
    cols = columns(runs)
    out: dict[str, dict[str, Cell]] = {}
    for method, rs in runs.items():
        out[method] = {col: cell for col in cols if (cell := _cell(rs, metric, col)) is not None}
    return cols, out


def paired(runs: dict[str, list[dict]], metric: str, first: str, second: str) -> dict[str, PairedDifference]:
    """`first - second` on `metric` per column, over the queries both methods scored (empty where they share no
    per-query scores of it); with several seeds of either method, also over its seeds (`seeds_and_queries`)."""
    for method in (first, second):
        if method not in runs:
            raise ValueError(f"--paired names {method!r}, which is none of the methods: {', '.join(runs)}")
    out = {}
    for col in columns(runs):
        a, b = seed_values(runs[first], metric, col), seed_values(runs[second], metric, col)
        if a is None or b is None:
            continue
        shared = sorted(set(a) & set(b))
        if not shared:
            continue
        d = paired_difference([statistics.fmean(a[q]) for q in shared], [statistics.fmean(b[q]) for q in shared])
        if max(len(runs[first]), len(runs[second])) > 1:
            by_seed = [list(zip(*(values[q] for q in shared), strict=True)) for values in (a, b)]  # transposed
            low, high = seeds_and_queries(*by_seed)  # seeds x queries, per method
            d = replace(d, seeds_low=low, seeds_high=high)
        out[col] = d
    return out


Tables = dict[str, tuple[list[str], dict[str, dict[str, Cell]]]]  # metric -> `table`
Comparisons = dict[str, dict[tuple[str, str], dict[str, PairedDifference]]]  # metric -> (A, B) -> `paired`


def markdown(runs: dict[str, list[dict]], title: str, tables: Tables, comparisons: Comparisons) -> str:
    first = next(iter(runs.values()))[0]["settings"]
    lines = [
        f"# {title}",
        "",
        f"{date.today().isoformat()} · {machine()} · split `{first.get('split')}`, "
        f"mode `{first.get('mode')}`, facts in prompt: {first.get('facts')}, "
        f"{first.get('max_candidates') or 'all'} candidates, data `{first.get('prepared')}`",
        "",
    ]
    if any(r["scores"] is not None for rs in runs.values() for r in rs):
        lines += [
            "Cells: mean [95% bootstrap interval over queries] ± spread over seeds (each query's score averaged "
            "over a method's seeds first).",
            "",
        ]
    for metric, (types, cells) in tables.items():
        header = "| method | seeds | " + " | ".join(types) + " |"
        lines += [f"## {metric}", "", header, "|---" * (len(types) + 2) + "|"]
        for method, row in cells.items():
            values = [row[t].text() if t in row else "–" for t in types]
            lines.append(f"| {method} | {len(runs[method])} | " + " | ".join(values) + " |")
        lines.append("")
        for (a, b), differences in comparisons[metric].items():
            lines += paired_lines(metric, a, b, differences)
    lines += diagnostics(runs)
    lines.append("Models: " + "; ".join(f"{m}: `{rs[0]['settings'].get('model')}`" for m, rs in runs.items()))
    return "\n".join(lines) + "\n"


def paired_lines(metric: str, first: str, second: str, differences: dict[str, PairedDifference]) -> list[str]:
    """Markdown of `first - second` per column: the queries, both means, the difference with its interval and
    p-value, and whether the interval excludes 0 (nothing where no per-query scores carry `metric`)."""
    if not differences:
        return []
    seeds = any(d.seeds_low is not None for d in differences.values())
    extra = " 95% interval over seeds and queries |" if seeds else ""
    lines = [
        f"### {metric}: {first} − {second}, paired over the same queries",
        "",
        f"| column | queries | differing | {first} | {second} | difference [95% interval] |{extra} p | finding |",
        "|---" * (8 + seeds) + "|",
    ]
    for col, d in differences.items():
        verdict = "yes" if d.finding else "level"
        over_seeds = f" [{d.seeds_low:+.3f}, {d.seeds_high:+.3f}] |" if d.seeds_low is not None else " – |"
        lines.append(
            f"| {col} | {d.n} | {d.differing} | {d.first_mean:.3f} | {d.second_mean:.3f} | "
            f"{d.diff:+.3f} [{d.low:+.3f}, {d.high:+.3f}] |{over_seeds if seeds else ''} {_p(d.p_value)} | {verdict} |"
        )
    return [*lines, ""]


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


DIAGNOSTICS = {
    "zero-variance groups": "frac_reward_zero_std",
    "tied after refill": "dynamic_sampling/tied_share",
    "tied on accuracy": "groups/accuracy_tied",
    "penalised tokens": "raae/penalized_token_share",
    "boxed, not grounded": "ground_fail_rate",
    "answer tokens": "completions/mean_length",
}


def training_log(run: dict) -> list[dict]:
    """Per-step log of the run that trained an evaluated model (`<output_dir>/final` ->
    `<output_dir>/metrics.jsonl`), or the copy an evaluation kept away from its run carries (`training.jsonl`,
    written by benchmarks/study_queue.py: the run's folder may be on a machine that is gone)."""
    model = run["settings"].get("model")
    candidates = [Path(model).parent / "metrics.jsonl"] if model else []
    candidates += [Path(run["folder"]) / TRAINING_COPY] if run.get("folder") else []
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return []
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in entries if e.get("reward") is not None]


def training_logs(runs: dict[str, list[dict]]) -> dict[str, list[list[dict]]]:
    """Each method's training logs (`training_log`), each trained model's under the first method that evaluated
    it only: a model's answers scored again (the graph check's `+graph` methods) are no second training run."""
    seen, out = set(), {}
    for method, rs in runs.items():
        fresh = [r for r in rs if r["settings"].get("model") not in seen]
        seen |= {model for r in rs if (model := r["settings"].get("model"))}
        if logs := [log for r in fresh if (log := training_log(r))]:
            out[method] = logs
    return out


def run_mean(logs: list[list[dict]], read) -> float:
    """Mean over runs of the mean over a run's steps of `read(entry)`."""
    return statistics.fmean(statistics.fmean(read(e) for e in log) for log in logs)


def diagnostics(runs: dict[str, list[dict]]) -> list[str]:
    """Training budget and diagnostics per trained method (mean over its seeds): steps, wall time, the reward of
    the first and last four steps, and the means of the shares that explain a result."""
    rows = []
    for method, logs in training_logs(runs).items():
        steps = statistics.fmean(len(log) for log in logs)
        minutes = statistics.fmean(sum(float(e.get("step_time", 0.0)) for e in log) / 60 for log in logs)
        first = run_mean([log[:4] for log in logs], lambda e: float(e["reward"]))
        last = run_mean([log[-4:] for log in logs], lambda e: float(e["reward"]))
        cells = [
            f"{run_mean(logs, lambda e, k=key: float(e.get(k) or 0.0)):.3f}" if key in logs[0][0] else "–"
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
        "Means over each method's runs, read from the runs' `metrics.jsonl` (minutes: the sum of logged step times). "
        "Course over the steps: `training.png`.",
        "",
        header,
        "|---" * (5 + len(DIAGNOSTICS)) + "|",
        *rows,
        "",
    ]


def plot_training(runs: dict[str, list[dict]], out: Path, window: int = 8) -> bool:
    """`training.png`: per trained method (its seeds' logs averaged step by step), the share of tied groups and
    the training reward against the step, each a moving mean over `window` steps. Whether the curriculum lowers
    the tied share is a question of its course, not only of its mean. Ties are read on accuracy where every run
    logs them (`groups/accuracy_tied`): QAS and PAS vary inside nearly every ReRec group, so its total reward
    (TRL's `frac_reward_zero_std`) almost never ties. Both count every scored group, a dynamic-sampling run's
    refills included. False (no file) when no run has a log."""
    logs = training_logs(runs)
    if not logs:
        return False
    accuracy = all("groups/accuracy_tied" in log[0] for method_logs in logs.values() for log in method_logs)
    tied = "groups/accuracy_tied" if accuracy else "frac_reward_zero_std"
    series = {}
    for method, method_logs in logs.items():
        steps = range(min(len(log) for log in method_logs))
        smooth = []
        for key in (tied, "reward"):
            per_step = [statistics.fmean(float(log[i].get(key) or 0.0) for log in method_logs) for i in steps]
            smooth.append([statistics.fmean(per_step[max(0, i - window + 1) : i + 1]) for i in steps])
        series[f"{method} ({len(method_logs)})"] = ([i + 1 for i in steps], *smooth)
    what = "groups tied on accuracy" if accuracy else "groups tied on reward"
    labels = (f"{what} (share, {window}-step mean)", f"training reward ({window}-step mean)")
    plot_panels(series, "step", labels, out)
    return True


def _error_bar(cell: Cell) -> tuple[float, float]:
    """Below and above the mean: the interval over queries where known, else the spread over seeds."""
    if cell.low is None:
        return cell.std, cell.std
    return max(0.0, cell.mean - cell.low), max(0.0, cell.high - cell.mean)  # rounding can cross the mean


def plot(metric: str, types: list[str], cells: dict[str, dict[str, Cell]], out: Path) -> None:
    """Grouped bars per column (`table`'s), one colour per method, error bars = the 95% interval over queries
    (the spread over seeds where no per-query scores exist)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = 0.8 / max(1, len(cells))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(types) * max(1, len(cells)) ** 0.5), 3.6))
    for i, (method, row) in enumerate(cells.items()):
        xs = [t + i * width for t in range(len(types))]
        means = [row[t].mean if t in row else 0.0 for t in types]
        errors = [_error_bar(row[t]) if t in row else (0.0, 0.0) for t in types]
        ax.bar(xs, means, width, yerr=list(zip(*errors, strict=True)), capsize=2, label=method)
    ax.set_xticks([t + 0.4 - width / 2 for t in range(len(types))], types)
    ax.set_ylabel(metric)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


BANDED = ("hit@1", "reward")  # the curves' plotted metrics, drawn with their 95% interval over the slice's queries


def with_intervals(points: list[dict], folders: list[Path]) -> list[dict]:
    """A method's mean curve with a 95% bootstrap interval over the slice's queries at each point
    (`<metric>_low`, `<metric>_high` for Hit@1 and reward), so that a wiggle of a few queries in 100 is not read as
    learning. Each query's score is averaged over the runs first (`query_values`, as for the tables' seeds). A
    point gets none where a run that reached it kept no per-query scores or the runs were read on different
    queries, and a metric none where a score lacks it."""
    out = []
    for point in points:
        paths = [folder / f"checkpoint-{point['step']}" for folder in folders]
        rs = [{"scores": read_scores(path)} for path in paths if (path / SCORES).is_file()]
        if len(rs) != point["runs"] or any(r["scores"].keys() != rs[0]["scores"].keys() for r in rs):
            out.append(point)
            continue
        bands = {}
        for metric in BANDED:
            if (values := query_values(rs, metric, "all")) is not None:
                interval = mean_interval(list(values.values()))
                bands |= {f"{metric}_low": interval.low, f"{metric}_high": interval.high}
        out.append(point | bands)
    return out


def load_curves(folders: list[Path]) -> dict[str, list[dict]]:
    """Learning curves (`rerec eval --checkpoints` folders), each method's seeds pooled into one mean curve with
    its intervals over queries."""
    runs: dict[str, list[Path]] = {}
    for folder in folders:
        runs.setdefault(method_of(folder), []).append(folder)
    return {
        method: with_intervals(mean_curve([read_curve(f) for f in seeds]), seeds) for method, seeds in runs.items()
    }


def curve_lines(curves: dict[str, list[dict]]) -> list[str]:
    """Markdown of the learning curves: per method and checkpoint, rollouts and held-out Hit@1 and reward."""
    lines = [
        "## learning curves",
        "",
        "Each finished checkpoint evaluated on one fixed validation slice, greedy; a method's seeds averaged "
        "(`runs`: how many reached the step), each query's score over them first; [95% interval over the slice's "
        "queries]. Plot: `learning_curve.png`.",
        "",
        "| method | step | runs | rollouts | hit@1 | reward |",
        "|---|---|---|---|---|---|",
    ]

    def cell(point: dict, metric: str) -> str:
        if f"{metric}_low" not in point:
            return f"{point[metric]:.3f}"
        return f"{point[metric]:.3f} [{point[f'{metric}_low']:.3f}, {point[f'{metric}_high']:.3f}]"

    for method, points in curves.items():
        for p in points:
            rollouts = "–" if p["rollouts"] is None else f"{p['rollouts']:.0f}"
            lines.append(
                f"| {method} | {p['step']} | {p['runs']} | {rollouts} | {cell(p, 'hit@1')} | {cell(p, 'reward')} |"
            )
    return [*lines, ""]


def write_report(
    folders: list[Path],
    out: Path,
    metrics: list[str],
    title: str,
    overwrite: bool = False,
    pairs: list[tuple[str, str]] = (),
    curve_folders: list[Path] = (),
) -> Path:
    """`report.md`, `report.json` and one plot per metric in `out`; `pairs` of methods are compared query by
    query; `curve_folders` (learning curves) add a section and `learning_curve.png`. An earlier report there is
    replaced only with `overwrite`, and any other existing folder is refused."""
    runs = load_runs(folders)
    curves = load_curves(list(curve_folders))
    tables: Tables = {metric: table(runs, metric) for metric in metrics}  # each bootstrap once per report
    comparisons: Comparisons = {metric: {} for metric in metrics}
    for a, b in pairs:
        for metric in metrics:
            comparisons[metric][(a, b)] = paired(runs, metric, a, b)
        if not any(comparisons[metric][(a, b)] for metric in metrics):  # fail before the folder is claimed
            raise ValueError(f"{a} and {b} share no per-query scores ({SCORES}) of {metrics}: re-run `rerec eval`")
    claim_folder(out, "report", overwrite, inputs=[*folders, *curve_folders])
    text = markdown(runs, title, tables, comparisons)
    if curves:
        text += "\n" + "\n".join(curve_lines(curves)) + "\n"
        plot_curves(curves, out / "learning_curve.png")
    (out / "report.md").write_text(text)
    summary = {
        metric: {m: {t: vars(c) for t, c in row.items()} for m, row in tables[metric][1].items()} for metric in metrics
    }
    paired_json = {
        metric: {
            f"{a} - {b}": {col: vars(d) | {"finding": d.finding} for col, d in diffs.items()}
            for (a, b), diffs in by_pair.items()
        }
        for metric, by_pair in comparisons.items()
    }
    settings = {m: [{"metrics": r["metrics"], "settings": r["settings"]} for r in rs] for m, rs in runs.items()}
    (out / "report.json").write_text(
        json.dumps(
            {"title": title, "runs": settings, "summary": summary, "paired": paired_json, "curves": curves}, indent=2
        )
    )
    for metric, (types, cells) in tables.items():
        plot(metric, types, cells, out / f"{metric.replace('@', '_at_')}.png")
    plot_training(runs, out / "training.png")
    return out / "report.md"
