"""Dual-graph reward shaping: `r = w_fmt·F + NDCG@K + w_qas·QAS + w_pas·PAS` (method.md §3), plus, as a switch
of rerec's (off by default), `w_steps·` the step-truth score (`rewards.steps`).

The components stay separate TRL reward functions, combined by `GRPOConfig.reward_weights`, so each one is
logged under its own name (`rewards/qas_reward/mean`, ...). Defaults are the paper code's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rerec.data.dataset import RecDataset
from rerec.data.grounding import TitleIndex
from rerec.data.lightgcn import EMBEDDINGS_FILE, Embeddings
from rerec.rewards.accuracy import NDCGReward, StepsFormatReward, format_reward
from rerec.rewards.pas import PASReward
from rerec.rewards.qas import QASReward
from rerec.rewards.steps import StepTruthReward
from rerec.task.answer import AnswerReader


@dataclass
class RewardConfig:
    """Which reward components run, and their weights."""

    mode: str = field(
        default="candidates", metadata={"help": "'candidates' (pick among 20) or 'open' (whole catalog)."}
    )
    ndcg_k: int | None = field(
        default=None, metadata={"help": "NDCG cut-off; unset: 1 in candidates mode, 10 in open mode."}
    )
    format_weight: float = field(default=0.1, metadata={"help": "w_fmt, weight of the ±0.5 format term."})
    format_min_steps: int = field(
        default=0,
        metadata={"help": "Reasoning lines the format term asks for before the box (0: box only, the paper code)."},
    )
    qas: bool = field(default=True, metadata={"help": "Add the Query Alignment Score (item–attribute graph)."})
    qas_weight: float = field(default=0.01, metadata={"help": "w_qas."})
    pas: bool = field(default=True, metadata={"help": "Add the Preference Alignment Score (LightGCN)."})
    pas_weight: float = field(default=0.01, metadata={"help": "w_pas."})
    step_truth_weight: float = field(
        default=0.0,
        metadata={"help": "Weight of a term 1 - the answer's false-step share on the graph (rewards.steps); 0: off."},
    )
    ungrounded_as_no_answer: bool = field(
        default=True,
        metadata={
            "help": "Score a box none of whose entries grounds (not a candidate / not in the catalog) as no answer "
            "(-0.5) instead of a wrong one (0, the paper code)."
        },
    )
    grounding_threshold: float = field(default=0.85, metadata={"help": "rapidfuzz ratio for a fuzzy title match."})
    extra_rewards: list[str] = field(
        default_factory=list,
        metadata={"help": "More TRL reward functions by dotted path (`package.module.function`), weight 1 each."},
    )

    def __post_init__(self) -> None:
        if self.mode not in ("candidates", "open"):
            raise ValueError(f"mode={self.mode!r}: use 'candidates' or 'open'")
        if self.ndcg_k is None:
            self.ndcg_k = 1 if self.mode == "candidates" else 10
        if self.ndcg_k < 1:
            raise ValueError("ndcg_k must be >= 1")
        if self.format_min_steps < 0:
            raise ValueError("format_min_steps must be >= 0")
        if self.step_truth_weight < 0:
            raise ValueError("step_truth_weight must be >= 0")
        if not 0 < self.grounding_threshold <= 1:
            raise ValueError("grounding_threshold must be in (0, 1]")


def build_rewards(
    folder: Path, cfg: RewardConfig | None = None, ds: RecDataset | None = None, reader: AnswerReader | None = None
) -> tuple[list[Callable], list[float]]:
    """Reward functions and their `reward_weights` for a prepared folder (`rerec prepare` output). Pass the
    loaded dataset and reader when the caller already has them (the trainer shares the reader with RAAE)."""
    cfg = cfg or RewardConfig()
    ds = ds or RecDataset.load_train(folder)
    reader = reader or AnswerReader(TitleIndex(ds.catalog, cfg.grounding_threshold), cfg.mode)
    fmt = StepsFormatReward(cfg.format_min_steps) if cfg.format_min_steps else format_reward
    funcs: list[Callable] = [fmt, NDCGReward(reader, cfg.ndcg_k, cfg.ungrounded_as_no_answer)]
    weights = [cfg.format_weight, 1.0]
    if cfg.qas:
        funcs.append(QASReward(reader, ds.graph, cfg.ndcg_k))
        weights.append(cfg.qas_weight)
    if cfg.pas:
        path = Path(folder) / EMBEDDINGS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run `rerec prepare` with LightGCN on, or pass --pas false")
        funcs.append(PASReward(reader, Embeddings.load(path), cfg.ndcg_k))
        weights.append(cfg.pas_weight)
    if cfg.step_truth_weight:
        funcs.append(StepTruthReward(ds.graph, ds.catalog))
        weights.append(cfg.step_truth_weight)
    for dotted in cfg.extra_rewards:
        funcs.append(import_reward(dotted))
        weights.append(1.0)
    return funcs, weights


def import_reward(dotted: str) -> Callable:
    """`"package.module.function"` -> the function, with an error that says what was not found."""
    module_name, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(f"extra reward {dotted!r} cannot be imported: {err}") from None


def weighted_rewards(per_func: torch.Tensor, weights: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """The reward GRPO normalises into advantages, from an (N, functions) table of component rewards: their
    weighted sum, a NaN (a function that abstains) skipped as TRL's `nansum` skips it, and NaN where every function
    abstained. The trainer reads it on TRL's gathered rewards, evaluation on held-out completions."""
    weights = torch.as_tensor(weights, dtype=per_func.dtype, device=per_func.device)
    rewards = (per_func * weights.unsqueeze(0)).nansum(dim=1)
    rewards[torch.isnan(per_func).all(dim=1)] = torch.nan
    return rewards
