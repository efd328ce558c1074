"""Where a decoded token's time goes on this machine: one decoding step of `rerec.generation`, split into the
weights' matmuls, attention, the other tensor ops, and Python.

    python benchmarks/decode_profile.py --json

For each row count (`--rows`: 1 is a served answer, 16 a rollout or evaluation batch) the script decodes exactly
`--short` and then `--long` tokens (`min_new_tokens`) from held-out test prompts, under `torch.profiler`, and
divides the difference by the extra tokens, so the prefill drops out. *Python* is the wall time the profiler's
tensor ops do not account for (the profiler's own bookkeeping included, so it reads a little high). For scale it
also times the model's own linear layers applied to one row with nothing else around them (`weights_alone_ms`):
decoding one row has to stream every weight once per token, so that time, and the bandwidth it implies, bound what
any scheduling of `generate` can reach.

Model in bf16 where bf16 measures faster on this CPU (what `rerec serve` and evaluation use), fp32 otherwise.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter

import torch
from common import write_result
from transformers import GenerationConfig

from rerec.eval.generation import prompt_ids
from rerec.generation import generate
from rerec.models import load_model
from rerec.runtime import keep_freed_memory
from rerec.task.rows import load_split
from rerec.training.run import parse_train_args

GROUPS = {"matmuls": ("aten::mm", "aten::addmm", "aten::bmm"), "attention": ("scaled_dot_product",)}


def group(op: str) -> str:
    """The profile group of a tensor op: the weights' matmuls, attention, or the other ops."""
    for name, keys in GROUPS.items():
        if any(key in op for key in keys):
            return name
    return "other ops"


def profiled(model, prompts: list[list[int]], tokens: int, pad: int) -> tuple[float, Counter]:
    """Wall seconds of decoding exactly `tokens` tokens after `prompts`, and the ops' self time (s) by op name."""
    config = GenerationConfig.from_dict({
        **model.generation_config.to_dict(), "do_sample": False, "max_new_tokens": tokens,
        "min_new_tokens": tokens, "pad_token_id": pad,
    })  # fmt: skip
    generate(model, prompts, config, pad)  # warm-up: allocator, kernels' first-call set-up
    with torch.profiler.profile() as prof:
        began = time.perf_counter()
        generate(model, prompts, config, pad)
        wall = time.perf_counter() - began
    return wall, Counter({e.key: e.self_cpu_time_total / 1e6 for e in prof.key_averages()})


def per_token(model, prompts: list[list[int]], short: int, long: int, pad: int) -> dict:
    """ms per decoding step (all rows together) by group, from the difference of a long and a short run."""
    (wall_s, ops_s), (wall_l, ops_l) = (profiled(model, prompts, n, pad) for n in (short, long))
    extra = long - short
    split: Counter = Counter()
    top: Counter = Counter()
    for op in ops_l | ops_s:
        ms = (ops_l[op] - ops_s[op]) / extra * 1000
        split[group(op)] += ms
        top[op] = ms
    step = (wall_l - wall_s) / extra * 1000
    split["python"] = step - sum(split.values())
    return {
        "rows": len(prompts),
        "prompt_tokens_mean": round(sum(map(len, prompts)) / len(prompts)),
        "step_ms": round(step, 1),
        "split_ms": {name: round(ms, 1) for name, ms in split.items()},
        "top_ops_ms": {op: round(ms, 2) for op, ms in top.most_common(8)},
    }


def weights_alone(model, repeats: int = 5) -> tuple[float, float]:
    """(ms, GB/s) of applying every linear layer of `model` to one row, as a decoding step must."""
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    inputs = {n: torch.randn(1, n, dtype=model.dtype) for n in {m.in_features for m in linears}}

    def apply() -> None:
        for layer in linears:
            layer(inputs[layer.in_features])

    with torch.no_grad():
        apply()
        began = time.perf_counter()
        for _ in range(repeats):
            apply()
        seconds = (time.perf_counter() - began) / repeats
    size = sum(m.weight.numel() * m.weight.element_size() for m in linears)
    return seconds * 1000, size / seconds / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--model", default="runs/cpu-demo/final", help="A trained model (the demo's ReRec model).")
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--short", type=int, default=20, help="Tokens of the short run.")
    parser.add_argument("--long", type=int, default=60, help="Tokens of the long run.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.long <= args.short:
        parser.error("--long must be larger than --short")
    keep_freed_memory()  # as every `rerec` command does
    argv = ["--config", "cpu-demo", "--model_name_or_path", args.model, "--prepared", args.prepared]
    with tempfile.TemporaryDirectory() as tmp:
        data, _, prompt, model_args, _ = parse_train_args([*argv, "--dtype", "bfloat16", "--output_dir", tmp])
    model, tokenizer = load_model(model_args)  # falls back to fp32 where bf16 measures slower
    model.eval()
    test, _ = load_split(data, prompt, "candidates", split="test")
    prompts = prompt_ids(tokenizer, test.select(range(min(max(args.rows), len(test))))["prompt"])
    profiles = [per_token(model, prompts[:rows], args.short, args.long, tokenizer.pad_token_id) for rows in args.rows]
    alone_ms, bandwidth = weights_alone(model)
    result = {
        "model": args.model,
        "dtype": str(model.dtype).removeprefix("torch."),
        "threads": torch.get_num_threads(),
        "weights_mb": round(sum(p.numel() * p.element_size() for p in model.parameters()) / 1e6),
        "weights_alone_ms": round(alone_ms, 1),
        "weights_alone_gb_per_s": round(bandwidth, 1),
        "profiles": profiles,
    }
    groups = ["matmuls", "attention", "other ops", "python"]
    markdown = (
        f"`{args.model}`, {result['dtype']}, {result['threads']} threads; per decoding step (all rows), the "
        f"difference of {args.long}- and {args.short}-token runs.\n\n"
        f"| rows | prompt tokens | step ms | {' | '.join(groups)} |\n|---|---|---|{'---|' * len(groups)}\n"
        + "".join(
            f"| {p['rows']} | {p['prompt_tokens_mean']} | **{p['step_ms']}** | "
            + " | ".join(str(p["split_ms"].get(g, 0.0)) for g in groups)
            + " |\n"
            for p in profiles
        )
        + f"\nThe model's linear layers applied to one row alone: {result['weights_alone_ms']} ms "
        f"({result['weights_alone_gb_per_s']} GB/s of weights)."
    )
    result = write_result("decode_profile", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
