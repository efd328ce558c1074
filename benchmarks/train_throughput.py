"""Training tokens/s (forward + backward + optimizer step over prompt + completion) of the embedded model.

    python benchmarks/train_throughput.py --prepared runs/ml100k --json

Sequences are real cpu-demo prompts followed by warm-start rationales, cut to `--length` tokens, 8 a batch
(the size of a cpu-demo step). Settings: fp32 and bf16 autocast, full fine-tuning and LoRA (r=16 on the
attention and MLP projections). The share of peak compares `6·N·tokens/s` (full) or `4·N·tokens/s` (LoRA: no
weight gradients for the frozen base) with the best measured matmul FLOP/s of the same dtype on this machine.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from common import write_result
from train_common import inputs

from rerec.machine import matmul_peak
from rerec.models import ModelArguments, load_model
from rerec.runtime import keep_freed_memory
from rerec.training.sft import sft_dataset


def batch(tokenizer, prepared: str, size: int, length: int) -> torch.Tensor:
    data, _rewards, prompt, _model = inputs(prepared, size)
    rows = sft_dataset(data, prompt)
    texts = [tokenizer.apply_chat_template(r["prompt"] + r["completion"], tokenize=False) for r in rows]
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    ids = [(x * (length // max(1, len(x)) + 1))[:length] for x in ids]  # repeat short ones: exact length
    return torch.tensor(ids)


def measure(model, ids: torch.Tensor, bf16: bool, steps: int) -> float:
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-6)
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step:  # the first step warms up kernels and allocator
            times.append(time.perf_counter() - start)
    return ids.numel() / (sum(times) / len(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    keep_freed_memory()  # as every `rerec` command does
    from peft import LoraConfig, get_peft_model

    base, tokenizer = load_model(ModelArguments())
    ids = batch(tokenizer, args.prepared, args.batch, args.length)
    n_params = sum(p.numel() for p in base.parameters())
    peaks = {False: matmul_peak(torch.float32), True: matmul_peak(torch.bfloat16)}
    rows, achieved = {}, {}
    for lora in (False, True):
        for bf16 in (False, True):
            model, _ = load_model(ModelArguments())
            if lora:
                targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
                model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=targets))
            tokens_per_s = measure(model, ids, bf16, args.steps)
            flops = (4 if lora else 6) * n_params * tokens_per_s
            name = f"{'lora' if lora else 'full'}_{'bf16' if bf16 else 'fp32'}"
            rows[name] = {"tokens_per_s": round(tokens_per_s, 1), "peak_share": round(flops / peaks[bf16], 3)}
            achieved[name] = flops
    result = {
        "sequences": args.batch,
        "tokens_per_sequence": args.length,
        "params": n_params,
        "peak_matmul_gflops": {"fp32": round(peaks[False] / 1e9, 1), "bf16": round(peaks[True] / 1e9, 1)},
        "settings": rows,
        # the fastest setting against the faster dtype's peak: bf16's counts only where this CPU runs it natively
        "best_peak_share": round(max(achieved.values()) / max(peaks.values()), 3),
    }
    table = "\n".join(f"| {k} | {v['tokens_per_s']} | {v['peak_share']:.1%} |" for k, v in rows.items())
    markdown = (
        f"{args.batch} sequences x {args.length} tokens, forward + backward + AdamW step, SmolLM2-135M.\n\n"
        f"| setting | tokens/s | share of matmul peak |\n|---|---|---|\n{table}\n\n"
        f"Matmul peak measured here: fp32 {result['peak_matmul_gflops']['fp32']} GFLOP/s, "
        f"bf16 {result['peak_matmul_gflops']['bf16']} GFLOP/s. Best setting against the faster dtype's peak: "
        f"**{result['best_peak_share']:.1%}**."
    )
    result = write_result("train_throughput", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
