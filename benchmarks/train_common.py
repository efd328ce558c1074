"""Shared set-up of the training benchmarks: one small ReRec/GRPO run configuration on the embedded data."""

from __future__ import annotations

import statistics

from rerec.models import ModelArguments
from rerec.rewards.shaping import RewardConfig
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments
from rerec.training.config import ReRecConfig


def run_kwargs(output_dir: str, steps: int, completion: int) -> dict:
    """GRPO settings shared by compared runs; fixed-length completions (`min_new_tokens`) so each step does the
    same work whatever the model writes."""
    return {
        "output_dir": output_dir, "max_steps": steps, "per_device_train_batch_size": 8, "num_generations": 4,
        "max_completion_length": completion, "generation_kwargs": {"min_new_tokens": completion},
        "learning_rate": 1e-5, "use_cpu": True, "bf16": True, "report_to": "none", "save_strategy": "no",
        "logging_steps": 1, "seed": 0,
    }  # fmt: skip


def run_config(output_dir: str, steps: int, completion: int, **overrides) -> ReRecConfig:
    return ReRecConfig(**{**run_kwargs(output_dir, steps, completion), **overrides})


def inputs(prepared: str, max_queries: int) -> tuple[TrainDataArguments, RewardConfig, PromptConfig, ModelArguments]:
    data = TrainDataArguments(
        prepared=prepared, query_types=["explicit", "implicit", "misinformed"], max_queries=max_queries
    )
    return data, RewardConfig(), PromptConfig(max_candidates=10, max_facts=30), ModelArguments()


def step_times(log_history: list[dict]) -> list[float]:
    """Per-step wall times TRL logged, the first (warm-up) dropped."""
    return [float(e["step_time"]) for e in log_history if "step_time" in e][1:]


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")
