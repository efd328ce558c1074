"""Learning curves: every finished checkpoint of a training run, evaluated on one fixed slice, against the rollouts
it had consumed.

The training log's reward is on-policy: it is sampled at temperature 1, on whatever queries the curriculum chose,
so two methods' logs do not compare. A curve of greedy Hit@1 and reward on the same held-out slice does, and it
shows how many rollouts a method needs to reach a level (issue 19 asks ReRec to reach GRPO's final reward with at
most 60% of its rollouts). Each checkpoint's evaluation is an ordinary `rerec eval` folder, so an interrupted
curve resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rerec.eval.harness import EvalConfig
from rerec.training.checkpoints import complete_checkpoints
from rerec.training.metrics_log import METRICS_FILE

CURVE = "curve.json"
METRICS = ("hit@1", "reward", "format")


def rollouts_by_step(run: Path) -> dict[int, int]:
    """Training rows consumed by each logged step (`samples` in the run's `metrics.jsonl`; runs logged before it
    was recorded give none)."""
    path = run / METRICS_FILE
    if not path.is_file():
        return {}
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {r["step"]: r["samples"] for r in records if "samples" in r}


def evaluate_checkpoints(run: Path, cfg: EvalConfig, evaluate_one: Callable[[str, EvalConfig], dict]) -> list[dict]:
    """One point per finished checkpoint of `run` (oldest first): its step, the rollouts consumed by then, and the
    overall and per-type metrics that `evaluate_one(checkpoint folder, config)` returns for it, evaluated into
    `<cfg.output_dir>/checkpoint-<step>`. `curve.json` in `cfg.output_dir` holds the points."""
    folders = complete_checkpoints(run)
    if not folders:
        raise FileNotFoundError(f"{run} holds no finished checkpoint-N folder (set save_steps to keep some)")
    rollouts = rollouts_by_step(run)
    points = []
    for folder in folders:
        step = int(Path(folder).name.rsplit("-", 1)[1])
        metrics = evaluate_one(folder, replace(cfg, output_dir=str(Path(cfg.output_dir) / Path(folder).name)))
        point = {"step": step, "rollouts": rollouts.get(step), **{m: metrics["all"].get(m) for m in METRICS}}
        point["hit@1_by_type"] = {kind: row["hit@1"] for kind, row in metrics.items() if kind != "all"}
        points.append(point)
    out = Path(cfg.output_dir)
    (out / CURVE).write_text(json.dumps({"run": str(run), "points": points}, indent=2))
    plot_curves({run.name: points}, out / "curve.png")
    return points


def read_curve(folder: Path) -> list[dict]:
    """The points of a `rerec eval --checkpoints` folder."""
    path = folder / CURVE
    if not path.is_file():
        raise ValueError(f"{folder} has no {CURVE}; run `rerec eval --checkpoints --output_dir {folder}` first")
    return json.loads(path.read_text())["points"]


def mean_curve(curves: list[list[dict]]) -> list[dict]:
    """Seeds of one method as one curve: per checkpoint step, the mean rollouts and metrics over the runs that
    reached it (`runs`: how many)."""
    by_step: dict[int, list[dict]] = {}
    for points in curves:
        for point in points:
            by_step.setdefault(point["step"], []).append(point)
    out = []
    for step, points in sorted(by_step.items()):
        mean = {"step": step, "runs": len(points)}
        for key in ("rollouts", *METRICS):
            values = [p[key] for p in points if p.get(key) is not None]
            mean[key] = statistics.fmean(values) if values else None
        out.append(mean)
    return out


def rollouts_to_reach(points: list[dict], target: float, metric: str = "reward") -> float | None:
    """Rollouts consumed at the first checkpoint whose `metric` reaches `target`; None if none does."""
    return next((p["rollouts"] for p in points if p.get(metric) is not None and p[metric] >= target), None)


Band = tuple[list[float], list[float]]  # low and high at each x


def plot_panels(
    series: dict[str, tuple[list, list, list]],
    xlabel: str,
    ylabels: tuple[str, str],
    out: Path,
    bands: dict[str, tuple[Band | None, Band | None]] | None = None,
) -> None:
    """Two panels side by side, one line per name in each: `series[name]` is (x, left y, right y); `bands[name]`,
    where given, shades an interval around the left and the right line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    legend_rows = math.ceil(len(series) / 5)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4 + 0.2 * legend_rows), layout="constrained")
    for name, (xs, *ys) in series.items():
        shades = (bands or {}).get(name, (None, None))
        for ax, values, band in zip(axes, ys, shades, strict=True):
            (line,) = ax.plot(xs, values, marker="o" if len(xs) <= 12 else None, label=name)
            if band is not None:
                ax.fill_between(xs, *band, color=line.get_color(), alpha=0.15, linewidth=0)
    for ax, label in zip(axes, ylabels, strict=True):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    # below both panels: inside one, a legend of many runs hides the lines it names
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=max(1, min(5, len(series))), fontsize=7)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_curves(curves: dict[str, list[dict]], out: Path) -> None:
    """Held-out Hit@1 and reward against rollouts (against steps where a run did not record rollouts), one line
    per run or method, shaded by the points' intervals where every point has one (`report.with_intervals`)."""
    by_rollouts = all(p["rollouts"] is not None for points in curves.values() for p in points)
    x = "rollouts" if by_rollouts else "step"
    series = {
        name: ([p[x] for p in points], [p["hit@1"] for p in points], [p["reward"] for p in points])
        for name, points in curves.items()
    }

    def band(points: list[dict], metric: str) -> Band | None:
        if not all(f"{metric}_low" in p for p in points):
            return None
        return [p[f"{metric}_low"] for p in points], [p[f"{metric}_high"] for p in points]

    bands = {name: (band(points, "hit@1"), band(points, "reward")) for name, points in curves.items()}
    labels = ("held-out hit@1 (95% interval over queries)", "held-out reward (95% interval)")
    plot_panels(series, x, labels, out, bands)
