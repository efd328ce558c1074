"""Share of rollout groups with zero reward variance (wasted rollouts), curriculum on vs off.

    python benchmarks/curriculum_efficiency.py --prepared runs/ml100k --model runs/cpu-sft/final --json

Two runs of `--steps` ReRec steps from the same model, seed and data, differing only in `--curriculum`.
`zero_std_share` is the mean of TRL's `frac_reward_zero_std` over the steps. Start from a warm-started model:
the untrained SmolLM2 never writes a box, so every group ties whatever the order.
"""

from __future__ import annotations

import argparse
import json
import tempfile

from common import write_result
from train_common import inputs, mean, run_config

from rerec.training.run import build_trainer


def zero_std_share(curriculum: bool, args: argparse.Namespace, tmp: str) -> float:
    data, rewards, prompt, model_args = inputs(args.prepared, args.queries)
    model_args.model_name_or_path = args.model
    trainer = build_trainer(
        data,
        rewards,
        prompt,
        model_args,
        run_config(f"{tmp}/{curriculum}", args.steps, args.completion, curriculum=curriculum),
    )
    trainer.train()
    return mean([float(e["frac_reward_zero_std"]) for e in trainer.state.log_history if "frac_reward_zero_std" in e])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--model", default="runs/cpu-sft/final")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--completion", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        on, off = zero_std_share(True, args, tmp), zero_std_share(False, args, tmp)
    result = {
        "model": args.model,
        "steps": args.steps,
        "zero_std_share_on": round(on, 3),
        "zero_std_share_off": round(off, 3),
        "ratio": round(on / off, 3) if off else None,
    }
    markdown = (
        f"{args.steps} steps from `{args.model}`, 2 queries x 4 rollouts: zero-variance groups "
        f"{on:.1%} with the curriculum vs {off:.1%} without (ratio {result['ratio']})."
    )
    result = write_result("curriculum_efficiency", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
