"""Step-time overhead of ReRec's components over plain TRL GRPO, same model, data, seed, batch and lengths.

    python benchmarks/train_overhead.py --prepared runs/ml100k --json

Runs, in one process, plain `GRPOTrainer` with the NDCG reward and `ReRecTrainer` with every component on
(format + NDCG + QAS + PAS rewards, RAAE, curriculum), each for `--steps` steps of 2 queries x 4 fixed-length
rollouts, and prints `step_time_ratio` = ReRec / plain (the first step of each is warm-up and not counted).
ReRec's own work (all four rewards, RAAE, the curriculum update) is also given directly: `rerec_scoring_s`, its
logged scoring time per step. ReRecTrainer also generates inside one autocast region (see its `_generate`),
which plain TRL does not, so under bf16 the ratio can fall below 1.
"""

from __future__ import annotations

import argparse
import json
import tempfile

from common import write_result
from train_common import inputs, mean, run_config, run_kwargs, step_times
from trl import GRPOConfig, GRPOTrainer

from rerec.data.grounding import TitleIndex
from rerec.models import load_model
from rerec.rewards.accuracy import NDCGReward
from rerec.task.answer import AnswerReader
from rerec.task.rows import load_split
from rerec.training.run import build_trainer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--completion", type=int, default=48)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data, rewards, prompt, model_args = inputs(args.prepared, 64)
    model_args.model_name_or_path = args.model
    with tempfile.TemporaryDirectory() as tmp:
        rerec_cfg = run_config(f"{tmp}/rerec", args.steps, args.completion)
        rerec = build_trainer(data, rewards, prompt, model_args, rerec_cfg)
        rerec.train()
        rerec_times = step_times(rerec.state.log_history)
        scoring = [float(e["time/scoring_s"]) for e in rerec.state.log_history if "time/scoring_s" in e][1:]

        train_ds, ds = load_split(data, prompt, "candidates")
        model, tokenizer = load_model(model_args)
        reader = AnswerReader(TitleIndex(ds.catalog), "candidates")
        plain_cfg = GRPOConfig(**run_kwargs(f"{tmp}/plain", args.steps, args.completion))
        plain = GRPOTrainer(
            model=model, reward_funcs=[NDCGReward(reader)], args=plain_cfg, train_dataset=train_ds,
            processing_class=tokenizer,
        )  # fmt: skip
        plain.train()
        plain_times = step_times(plain.state.log_history)
    result = {
        "steps_timed": len(rerec_times),
        "rerec_step_s": round(mean(rerec_times), 2),
        "plain_step_s": round(mean(plain_times), 2),
        "step_time_ratio": round(mean(rerec_times) / mean(plain_times), 3),
        "rerec_scoring_s": round(mean(scoring), 3),
        "setup": f"SmolLM2-135M ({args.model}), 2 queries x 4 rollouts, {args.completion}-token completions, bf16",
    }
    markdown = (
        f"{result['setup']}: ReRec {result['rerec_step_s']} s/step vs plain TRL GRPO {result['plain_step_s']} s/step, "
        f"ratio **{result['step_time_ratio']}** over {result['steps_timed']} timed steps each; ReRec's rewards, RAAE "
        f"and curriculum took {result['rerec_scoring_s']} s of each step."
    )
    result = write_result("train_overhead", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
