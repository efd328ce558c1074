"""Training curves of one or more `rerec train` runs: shaped reward, batch Hit@1, zero-variance share and the
step-time split, raw (faint) and as a moving average.

    python benchmarks/plot_training.py runs/cpu-demo --out docs/cpu-demo-curves.png
    python benchmarks/plot_training.py runs/cpu-demo runs/cpu-demo-grpo --labels ReRec GRPO --out docs/cmp.png

Reads `metrics.jsonl` (every logged step), else the newest checkpoint's `trainer_state.json`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PHASES = ["generation", "scoring", "logprobs", "update"]


def logged_steps(run: Path) -> list[dict]:
    """The run's per-step log entries that carry a reward."""
    metrics = run / "metrics.jsonl"
    if metrics.is_file():
        entries = [json.loads(line) for line in metrics.read_text().splitlines()]
    else:
        states = sorted(run.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
        if not states:
            raise SystemExit(f"no metrics.jsonl or checkpoint trainer_state.json under {run}")
        entries = json.loads(states[-1].read_text())["log_history"]
    return [e for e in entries if e.get("reward") is not None]


def hit_at_1(entry: dict) -> float:
    # logged by ndcg_reward since the hit@1 metric exists; older runs: mean NDCG@1 plus the 0.5 each unboxed
    # answer took off
    if "hit@1" in entry:
        return float(entry["hit@1"])
    return float(entry["rewards/ndcg_reward/mean"]) + 0.5 * float(entry["parse_fail_rate"])


def moving_average(values: list[float], window: int) -> list[float]:
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--labels", nargs="+", help="one per run (default: folder names)")
    parser.add_argument("--window", type=int, default=5, help="moving-average window in steps")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    labels = args.labels or [run.name for run in args.runs]
    if len(labels) != len(args.runs):
        parser.error("give one label per run")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = {
        "shaped reward": lambda e: float(e["reward"]),
        "Hit@1 of the batch": hit_at_1,
        "zero-variance groups": lambda e: float(e["frac_reward_zero_std"]),
    }
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.4))
    for run, label in zip(args.runs, labels, strict=True):
        logs = logged_steps(run)
        steps = [e["step"] for e in logs]
        for ax, (name, read) in zip(axes, panels.items(), strict=False):
            values = [read(e) for e in logs]
            line = ax.plot(steps, values, alpha=0.25)[0]
            ax.plot(steps, moving_average(values, args.window), color=line.get_color(), label=label)
            ax.set_title(f"{name} ({args.window}-step mean)")
        split = [e for e in logs if "time/update_s" in e]
        if split:
            means = [sum(float(e[f"time/{p}_s"]) for e in split) / len(split) for p in PHASES]
            axes[3].barh([label] * len(PHASES), means, left=[sum(means[:i]) for i in range(len(PHASES))],
                         color=[f"C{i}" for i in range(len(PHASES))])  # fmt: skip
    for ax in axes[:3]:
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[3].set_title("mean step time split (s)")
    axes[3].legend(
        handles=[plt.Rectangle((0, 0), 1, 1, color=f"C{i}") for i in range(len(PHASES))], labels=PHASES, fontsize=8
    )
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
