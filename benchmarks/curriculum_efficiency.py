"""Share of rollout groups with zero reward variance (wasted rollouts), curriculum on vs off.

    python benchmarks/curriculum_efficiency.py --prepared runs/ml100k --model runs/cpu-sft/final --json

Two runs of `--steps` ReRec steps from the same model, seed and data, differing only in `--curriculum`, with
cpu-demo's prompt and rollout settings (5 candidates, 15 facts, 4 queries x 4 rollouts, completions up to 128
tokens, lr 1e-5). `zero_std_share` is the mean of TRL's `frac_reward_zero_std` over the steps. The query pool
is small (`--queries`) so that the run covers several curriculum rounds: the tracker can only drop mastered and
park stuck queries it has seen. The first pass (`--queries` / 4 steps) is blind by construction, so the
result also gives both shares over the steps after it. Start from a warm-started model: the untrained SmolLM2
never writes a box, so every group ties whatever the order.
"""

from __future__ import annotations

import argparse
import json
import tempfile

from common import write_result
from train_common import inputs, mean, run_config

from rerec.training.run import build_trainer

QUERIES_PER_STEP = 4


def zero_std_shares(curriculum: bool, args: argparse.Namespace, tmp: str) -> list[float]:
    """TRL's `frac_reward_zero_std` of each step."""
    data, rewards, prompt, model_args = inputs(args.prepared, args.queries)
    model_args.model_name_or_path = args.model
    prompt.max_candidates, prompt.max_facts = 5, 15
    config = run_config(
        f"{tmp}/{curriculum}", args.steps, args.completion, curriculum=curriculum, generation_kwargs=None,
        per_device_train_batch_size=4 * QUERIES_PER_STEP, learning_rate=1e-5,
    )  # fmt: skip
    trainer = build_trainer(data, rewards, prompt, model_args, config)
    trainer.train()
    return [float(e["frac_reward_zero_std"]) for e in trainer.state.log_history if "frac_reward_zero_std" in e]


def shares(on: list[float], off: list[float]) -> tuple[float | None, float | None, float | None]:
    """Mean share on, off and their ratio; None where there are no steps or nothing to divide by."""
    if not on or not off:
        return None, None, None
    m_on, m_off = mean(on), mean(off)
    return round(m_on, 3), round(m_off, 3), round(m_on / m_off, 3) if m_off else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--model", default="runs/cpu-sft/final")
    parser.add_argument("--steps", type=int, default=12, help="12 steps over 16 queries = 3 passes")
    parser.add_argument("--queries", type=int, default=16, help="pool size: 16 queries = 4 steps per epoch")
    parser.add_argument("--completion", type=int, default=128)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        per_step = {"on": zero_std_shares(True, args, tmp), "off": zero_std_shares(False, args, tmp)}
    first_pass = args.queries // QUERIES_PER_STEP
    on, off, whole = shares(per_step["on"], per_step["off"])
    later_on, later_off, later = shares(per_step["on"][first_pass:], per_step["off"][first_pass:])
    result = {
        "model": args.model,
        "steps": args.steps,
        "queries": args.queries,
        "groups_per_arm": args.steps * QUERIES_PER_STEP,
        "zero_std_share_on": on,
        "zero_std_share_off": off,
        "ratio": whole,
        "first_pass_steps": first_pass,
        "after_first_pass_on": later_on,
        "after_first_pass_off": later_off,
        "after_first_pass_ratio": later,
        "per_step": per_step,
    }
    markdown = (
        f"{args.steps} steps from `{args.model}` over {args.queries} queries, {QUERIES_PER_STEP} queries x 4 "
        f"rollouts a step: zero-variance groups {on:.1%} with the curriculum vs {off:.1%} without (ratio {whole})."
    )
    if later is not None:
        markdown += (
            f" After the first pass ({first_pass} steps, blind by construction): {later_on:.1%} vs {later_off:.1%}"
            f" (ratio {later})."
        )
    result = write_result("curriculum_efficiency", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
