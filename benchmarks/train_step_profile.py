"""Where a real ReRec training step's time and memory go: the `cpu-demo` preset, run for `--steps` steps.

    python benchmarks/train_step_profile.py --steps 50 --json
    python benchmarks/train_step_profile.py --steps 20 --gradient_checkpointing false   # any `rerec train` flag
    python benchmarks/train_step_profile.py --config my-run.yaml --steps 4 --name my_step_profile   # another regime

Not a microbenchmark: the same trainer, prompts, rewards, RAAE and curriculum as `rerec train --config cpu-demo`
(warm start `--model`, data `--prepared`), only without checkpoints. Per step it records the phases the trainer
logs (generation, log-probs, scoring = rewards + RAAE + curriculum, forward + backward) plus the optimizer step,
the step's wall time, the process's current and peak RSS and its minor page faults (each a fresh 4 KiB page the
kernel had to zero: the cost of an allocator that hands big blocks back to the OS). It prints:

- `update_peak_share`: 6 x parameters x the step's tokens (prompt + completion, padding excluded) per second of
  forward + backward + optimizer, over the best matmul peak measured in this process (fp32 or bf16, whichever is
  faster here: an AVX2-only CPU emulates bf16 at under 1% of its fp32 speed);
- `drift`: mean step time of the last 10 steps / the first 10 (the first step, warm-up, left out), and
  `drift_per_token`, the same for seconds per token, since what the policy writes changes the work per step;
- `peak_rss_gb`, `step_s_median`, and the phase medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import write_result
from transformers import TrainerCallback

from rerec.machine import matmul_peak
from rerec.runtime import keep_freed_memory
from rerec.training.run import build_trainer, parse_train_args

PHASES = ("generation", "logprobs", "scoring", "update")


def rss_gb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in GB, from /proc (VmRSS, VmHWM)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1e6, int(fields["VmHWM"].split()[0]) / 1e6)


class StepProfile(TrainerCallback):
    """One row per optimizer step: wall time, optimizer time, RSS, then the phases and token count TRL logs."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self._began = self._optimizer_began = 0.0
        self._optimizer_s = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._began = time.perf_counter()
        self._faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        self._optimizer_began = time.perf_counter()

    def on_optimizer_step(self, args, state, control, **kwargs):
        self._optimizer_s = time.perf_counter() - self._optimizer_began

    def on_step_end(self, args, state, control, **kwargs):
        current, peak = rss_gb()
        self.rows.append({
            "step": state.global_step, "step_s": time.perf_counter() - self._began, "optimizer_s": self._optimizer_s,
            "rss_gb": current, "peak_rss_gb": peak,
            "page_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - self._faults,
        })  # fmt: skip

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.rows or not logs or "num_tokens" not in logs:
            return
        row = self.rows[-1]
        row.update({p: float(logs[f"time/{p}_s"]) for p in PHASES if f"time/{p}_s" in logs})
        row["num_tokens"] = float(logs["num_tokens"])
        print(
            f"step {row['step']}: {row['step_s']:.1f} s (generation {row.get('generation', 0):.1f}, update "
            f"{row.get('update', 0):.1f}, optimizer {row['optimizer_s']:.2f}), RSS {row['rss_gb']:.2f} GB, "
            f"{row['page_faults']:,} page faults",
            file=sys.stderr,
            flush=True,
        )


def summarise(rows: list[dict], params: int, peak: float) -> dict:
    previous = 0.0
    for row in rows:
        row["tokens"], previous = row["num_tokens"] - previous, row["num_tokens"]
        row["update_s"] = row["update"] + row["optimizer_s"]
    timed = rows[1:]  # the first step pays one-time costs (kernel choice, allocator growth)
    window = max(1, min(10, len(timed) // 2))
    first, last = timed[:window], timed[-window:]

    def ratio(key) -> float:
        return statistics.fmean(map(key, last)) / statistics.fmean(map(key, first))

    shares = [6 * params * r["tokens"] / r["update_s"] / peak for r in timed]
    return {
        "update_peak_share": round(statistics.median(shares), 3),
        "drift": round(ratio(lambda r: r["step_s"]), 3),
        "drift_per_token": round(ratio(lambda r: r["step_s"] / r["tokens"]), 3),
        "drift_window": window,
        "peak_rss_gb": round(max(r["peak_rss_gb"] for r in rows), 2),
        "step_s_median": round(statistics.median(r["step_s"] for r in timed), 2),
        "phase_s_median": {
            p: round(statistics.median(r.get(p, 0.0) for r in timed), 2) for p in (*PHASES, "optimizer_s")
        },
        "tokens_per_step_median": round(statistics.median(r["tokens"] for r in timed)),
        "page_faults_per_step_median": round(statistics.median(r["page_faults"] for r in timed)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--config", default="cpu-demo", help="The `rerec train` preset or YAML file profiled.")
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--model", default="runs/cpu-sft/final", help="The warm start (`rerec sft --config cpu-sft`).")
    parser.add_argument("--name", default="train_step_profile", help="Result file name (to keep a variant apart).")
    parser.add_argument("--json", action="store_true")
    args, train_flags = parser.parse_known_args()
    keep_freed_memory()  # as every `rerec` command does
    if args.steps < 3:
        parser.error("--steps must be at least 3 (the first is warm-up)")
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            "--config", args.config, "--model_name_or_path", args.model, "--prepared", args.prepared,
            "--output_dir", tmp, "--max_steps", str(args.steps), "--save_strategy", "no", "--report_to", "none",
            *train_flags,
        ]  # fmt: skip
        data, rewards, prompt, model_args, config = parse_train_args(argv)
        trainer = build_trainer(data, rewards, prompt, model_args, config)
        profile = StepProfile()
        trainer.add_callback(profile)
        dtype = torch.bfloat16 if config.bf16 else torch.float32
        peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
        trainer.train()
    params = sum(p.numel() for p in trainer.model.parameters())
    best = max(peaks.values())
    result = {
        "steps": args.steps,
        "config": args.config,
        "train_flags": train_flags,
        "dtype": str(dtype).removeprefix("torch."),
        "threads": torch.get_num_threads(),
        "params": params,
        "peak_matmul_gflops": {k: round(v / 1e9, 1) for k, v in peaks.items()},
        **summarise(profile.rows, params, best),
        "per_step": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in profile.rows],
    }
    phases = result["phase_s_median"]
    markdown = (
        f"`{args.config}` ({args.model}), {args.steps} steps, {result['dtype']}, {result['threads']} threads"
        f"{' ' + ' '.join(train_flags) if train_flags else ''}.\n\n"
        "| update share of peak | drift (step s) | drift (s/token) | peak RSS GB | step s (median) | generation | "
        "log-probs | scoring | forward+backward | optimizer | tokens/step |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        f"| {result['update_peak_share']:.1%} | {result['drift']} | {result['drift_per_token']} | "
        f"{result['peak_rss_gb']} | {result['step_s_median']} | {phases['generation']} | {phases['logprobs']} | "
        f"{phases['scoring']} | {phases['update']} | {phases['optimizer_s']} | "
        f"{result['tokens_per_step_median']} |\n\n"
        f"Matmul peak measured here: fp32 {result['peak_matmul_gflops']['fp32']} GFLOP/s, "
        f"bf16 {result['peak_matmul_gflops']['bf16']} GFLOP/s; the share is of the higher one. Drift compares the "
        f"mean of the last {result['drift_window']} steps with the first {result['drift_window']} after warm-up."
    )
    result = write_result(args.name, result, markdown)
    print(json.dumps({k: v for k, v in result.items() if k != "per_step"}, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
