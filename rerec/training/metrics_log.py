"""Where training metrics go besides the console: a JSONL file in the run folder, and TensorBoard/trackio when
installed (`report_to: auto`)."""

from __future__ import annotations

import json
from pathlib import Path

from transformers import TrainerCallback
from transformers.integrations import is_tensorboard_available, is_trackio_available

METRICS_FILE = "metrics.jsonl"
ROLLOUTS_FILE = "rollouts.jsonl"  # `rerec.training.rollout_log`


def available_trackers() -> list[str]:
    """The experiment trackers `report_to: auto` turns on: those of TensorBoard and trackio that import."""
    found = {"tensorboard": is_tensorboard_available(), "trackio": is_trackio_available()}
    return [name for name, ok in found.items() if ok]


class JsonlMetrics(TrainerCallback):
    """One JSON object per logging step in `<output_dir>/metrics.jsonl` — greppable, plottable, and kept through
    a resume: lines past the checkpoint a run resumes from are dropped, here and in `rollouts.jsonl`, so neither
    file ever holds a step twice.
    Each line also says how many training rows the run has consumed (`samples`: GRPO's completions, i.e.
    rollouts; SFT's examples), the x-axis of learning curves."""

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        for path in (Path(args.output_dir) / METRICS_FILE, Path(args.output_dir) / ROLLOUTS_FILE):
            if path.is_file():
                lines = path.read_text().splitlines()
                kept = [line for line in lines if json.loads(line)["step"] <= state.global_step]
                path.write_text("".join(f"{line}\n" for line in kept))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        path = Path(args.output_dir) / METRICS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            samples = state.global_step * args.per_device_train_batch_size * args.gradient_accumulation_steps
            record = {"step": state.global_step, "samples": samples * args.world_size, **logs}
            handle.write(json.dumps(record) + "\n")
