"""Training curves of a `rerec train` run from its `trainer_state.json`: reward, Hit@1 and zero-variance share.

python benchmarks/plot_training.py runs/cpu-demo --out docs/cpu-demo-curves.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def last_state(run: Path) -> dict:
    checkpoints = sorted(run.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    if not checkpoints:
        raise SystemExit(f"no checkpoint with trainer_state.json under {run}")
    return json.loads(checkpoints[-1].read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = [e for e in last_state(args.run)["log_history"] if "reward" in e]
    steps = [e["step"] for e in logs]
    series = {
        "shaped reward": [float(e["reward"]) for e in logs],
        # hit@1 is logged by ndcg_reward; older runs: mean NDCG@1 plus the 0.5 that each unboxed answer took off
        "Hit@1 of the batch": [
            float(e["hit@1"])
            if "hit@1" in e
            else float(e["rewards/ndcg_reward/mean"]) + 0.5 * float(e["parse_fail_rate"])
            for e in logs
        ],
        "zero-variance groups": [float(e["frac_reward_zero_std"]) for e in logs],
    }
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, (name, values) in zip(axes, series.items(), strict=True):
        ax.plot(steps, values, marker="o", markersize=3)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{args.run.name}: {len(steps)} logged steps")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
