"""rerec's generation path (`rerec.generation`) against plain `model.generate`, same model, prompts and run.

    python benchmarks/generation_speed.py --json

Two workloads, each timed `--repeats` times per path, the paths alternating:
- *rollouts*: a `cpu-demo` step's generation — `--queries` training prompts x `--rollouts` copies, sampled at
  temperature 1, every row made to write exactly `--new_tokens` tokens (`min_new_tokens`), so both paths do the
  same work; `speedup` = rerec's generated tokens/s / plain `generate`'s.
- *greedy*: the evaluation's generation — `--eval_prompts` held-out test prompts in one batch, greedy up to
  `--eval_tokens` tokens; `greedy_match_share` = share of prompts whose tokens are identical on both paths
  (the paths differ only in floating-point summation order, so a near-tie can flip a token), and
  `greedy_speedup`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time

import torch
from common import write_result
from transformers import GenerationConfig

from rerec.eval.generation import prompt_ids
from rerec.generation import generate, left_pad
from rerec.models import load_model
from rerec.runtime import keep_freed_memory
from rerec.task.rows import load_split
from rerec.training.run import parse_train_args


def plain(model, prompts: list[list[int]], config: GenerationConfig, pad: int) -> torch.Tensor:
    ids, mask = left_pad(prompts, pad)
    with torch.no_grad():  # as `generate` itself and TRL's rollouts run it
        out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
    return out[:, ids.shape[1] :]


def timed(paths: dict, repeats: int, seed: int) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
    """Median seconds of each path and its last output; paths alternate so drift hits both alike."""
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    outputs = {}
    for _ in range(repeats):
        for name, run in paths.items():
            torch.manual_seed(seed)
            began = time.perf_counter()
            outputs[name] = run()
            seconds[name].append(time.perf_counter() - began)
    return {name: statistics.median(s) for name, s in seconds.items()}, outputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--model", default="runs/cpu-sft/final", help="The warm start (`rerec sft --config cpu-sft`).")
    parser.add_argument("--queries", type=int, default=4)
    parser.add_argument("--rollouts", type=int, default=4)
    parser.add_argument("--new_tokens", type=int, default=96)
    parser.add_argument("--eval_prompts", type=int, default=16)
    parser.add_argument("--eval_tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    keep_freed_memory()  # as every `rerec` command does
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["--config", "cpu-demo", "--model_name_or_path", args.model, "--prepared", args.prepared]
        data, _rewards, prompt, model_args, config = parse_train_args([*argv, "--output_dir", tmp])
    model, tokenizer = load_model(model_args)
    model.eval()
    pad = tokenizer.pad_token_id
    train, _ = load_split(data, prompt, "candidates")
    test, _ = load_split(data, prompt, "candidates", split="test")
    rollout_prompts = [
        ids for ids in prompt_ids(tokenizer, train.select(range(args.queries))["prompt"]) for _ in range(args.rollouts)
    ]
    eval_prompts = prompt_ids(tokenizer, test.select(range(min(args.eval_prompts, len(test))))["prompt"])

    sampled = GenerationConfig.from_dict({
        **model.generation_config.to_dict(), "do_sample": True, "temperature": 1.0, "top_k": 0, "top_p": 1.0,
        "max_new_tokens": args.new_tokens, "min_new_tokens": args.new_tokens, "pad_token_id": pad,
    })  # fmt: skip
    greedy = GenerationConfig.from_dict(
        {
            **model.generation_config.to_dict(),
            "do_sample": False,
            "max_new_tokens": args.eval_tokens,
            "pad_token_id": pad,
        }
    )
    # Rollouts run in the trainer's precision: one bf16 autocast region where the preset's bf16 stands here.
    precision = torch.autocast("cpu", dtype=torch.bfloat16) if config.bf16 else contextlib.nullcontext()
    with precision:
        roll_s, _ = timed(
            {"plain": lambda: plain(model, rollout_prompts, sampled, pad),
             "rerec": lambda: generate(model, rollout_prompts, sampled, pad)}, args.repeats, seed=0,
        )  # fmt: skip
    eval_s, outputs = timed(
        {"plain": lambda: plain(model, eval_prompts, greedy, pad),
         "rerec": lambda: generate(model, eval_prompts, greedy, pad)}, args.repeats, seed=0,
    )  # fmt: skip
    rows = zip(outputs["plain"].tolist(), outputs["rerec"].tolist(), strict=True)
    matches = sum(a == b for a, b in rows)
    generated = len(rollout_prompts) * args.new_tokens
    result = {
        "model": args.model,
        "threads": torch.get_num_threads(),
        "rollout_precision": "bf16 autocast" if config.bf16 else "fp32",
        "rollouts": {
            "prompts": args.queries, "copies": args.rollouts, "new_tokens": args.new_tokens,
            "prompt_tokens_mean": round(statistics.fmean(map(len, rollout_prompts))),
            "plain_s": round(roll_s["plain"], 2), "rerec_s": round(roll_s["rerec"], 2),
            "plain_tokens_per_s": round(generated / roll_s["plain"], 1),
            "rerec_tokens_per_s": round(generated / roll_s["rerec"], 1),
        },
        "greedy": {
            "prompts": len(eval_prompts), "max_new_tokens": args.eval_tokens,
            "plain_s": round(eval_s["plain"], 2), "rerec_s": round(eval_s["rerec"], 2), "matching": matches,
        },
        "speedup": round(roll_s["plain"] / roll_s["rerec"], 2),
        "greedy_speedup": round(eval_s["plain"] / eval_s["rerec"], 2),
        "greedy_match_share": round(matches / len(eval_prompts), 3),
    }  # fmt: skip
    r, g = result["rollouts"], result["greedy"]
    markdown = (
        f"`{args.model}`, {result['threads']} threads, median of {args.repeats} runs per path.\n\n"
        "| workload | plain `generate` s | rerec s | speedup |\n|---|---|---|---|\n"
        f"| rollouts ({result['rollout_precision']}): {r['prompts']} prompts x {r['copies']} copies "
        f"(~{r['prompt_tokens_mean']} prompt tokens), "
        f"{r['new_tokens']} sampled tokens each | {r['plain_s']} | {r['rerec_s']} | **{result['speedup']}x** |\n"
        f"| greedy evaluation: {g['prompts']} held-out prompts, up to {g['max_new_tokens']} tokens | {g['plain_s']} | "
        f"{g['rerec_s']} | {result['greedy_speedup']}x |\n\n"
        f"Greedy answers identical on both paths: {g['matching']} of {g['prompts']} "
        f"({result['greedy_match_share']:.0%})."
    )
    result = write_result("generation_speed", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
