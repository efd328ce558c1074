"""Share of rollout groups with zero reward variance (wasted rollouts), curriculum on vs off.

    python benchmarks/curriculum_efficiency.py --prepared runs/ml100k --model runs/cpu-sft/final --json

Two runs of `--steps` ReRec steps from the same model, seed and data, differing only in `--curriculum`, with
cpu-demo's prompt and rollout settings (5 candidates, 15 facts, 4 queries x 4 rollouts, completions up to 128
tokens, lr 1e-5). `zero_std_share` is the mean of TRL's `frac_reward_zero_std` over the steps. The query pool
is small (`--queries`) so that the run covers several curriculum rounds: the tracker can only drop mastered and
park hopeless queries it has seen. Start from a warm-started model: the untrained SmolLM2 never writes a box,
so every group ties whatever the order.
"""

from __future__ import annotations

import argparse
import json
import tempfile

from common import write_result
from train_common import inputs, mean, run_config

from rerec.training.run import build_trainer

QUERIES_PER_STEP = 4


def zero_std_share(curriculum: bool, args: argparse.Namespace, tmp: str) -> float:
    data, rewards, prompt, model_args = inputs(args.prepared, args.queries)
    model_args.model_name_or_path = args.model
    prompt.max_candidates, prompt.max_facts = 5, 15
    config = run_config(
        f"{tmp}/{curriculum}", args.steps, args.completion, curriculum=curriculum, generation_kwargs=None,
        per_device_train_batch_size=4 * QUERIES_PER_STEP, learning_rate=1e-5,
    )  # fmt: skip
    trainer = build_trainer(data, rewards, prompt, model_args, config)
    trainer.train()
    return mean([float(e["frac_reward_zero_std"]) for e in trainer.state.log_history if "frac_reward_zero_std" in e])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--model", default="runs/cpu-sft/final")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--queries", type=int, default=16, help="pool size: 16 queries = 4 steps per epoch")
    parser.add_argument("--completion", type=int, default=128)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        on, off = zero_std_share(True, args, tmp), zero_std_share(False, args, tmp)
    result = {
        "model": args.model,
        "steps": args.steps,
        "queries": args.queries,
        "groups_per_arm": args.steps * QUERIES_PER_STEP,
        "zero_std_share_on": round(on, 3),
        "zero_std_share_off": round(off, 3),
        "ratio": round(on / off, 3) if off else None,
    }
    markdown = (
        f"{args.steps} steps from `{args.model}` over {args.queries} queries, {QUERIES_PER_STEP} queries x 4 "
        f"rollouts a step: zero-variance groups "
        f"{on:.1%} with the curriculum vs {off:.1%} without (ratio {result['ratio']})."
    )
    result = write_result("curriculum_efficiency", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
