"""DAPO-style dynamic sampling (Yu et al., 2025): groups whose rollouts are all equally right give GRPO no
accuracy signal, so they are dropped and replaced by fresh prompts' groups that disagree, drawn and scored in up
to a fixed number of refill rounds. TRL has no such option (and its replay-buffer trainer is gone), so the pieces are
rerec's own: which groups tie, which prompts refill them, and one batch assembled from several scored ones.
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from trl.trainer.utils import nanstd

# keys of TRL's scored generation batch, by how their rows are padded; anything else (images) is not supported
LEFT_PADDED = ("prompt_ids", "prompt_mask")
RIGHT_PADDED = (
    "completion_ids", "completion_mask", "old_per_token_logps", "ref_per_token_logps",
    "sampling_per_token_logps", "tool_mask", "importance_sampling_ratio",
)  # fmt: skip
PER_ROW = ("advantages",)  # (B,) from TRL, or (B, T) after RAAE
RECOMPUTED = ("num_items_in_batch",)
PAD_ONE = ("importance_sampling_ratio",)  # padding must leave a ratio of 1


def tied_groups(rewards: torch.Tensor, size: int) -> list[bool]:
    """Per group of `size` consecutive rollouts: whether all its rewards are equal (TRL's zero-std test), or all
    unscored (NaN)."""
    spread = nanstd(rewards.view(-1, size), dim=1)
    return (torch.isclose(spread, torch.zeros_like(spread)) | torch.isnan(spread)).tolist()


def refill_indices(pool: int, count: int, exclude: set[int], seed: str) -> list[int]:
    """`count` training rows to roll out in place of tied groups: distinct rows outside `exclude` (this step's
    queries) while they last, then repeats. Seeded by a string (run seed, step, process, round), so a resumed run
    draws the same rows without saving any state."""
    rng = random.Random(seed)
    free = [i for i in range(pool) if i not in exclude] or list(range(pool))
    picks = rng.sample(free, min(count, len(free)))
    return picks + rng.choices(free, k=count - len(picks))


def merge_rows(outputs: list[dict], rows: list[tuple[int, int]], pad_token_id: int) -> dict:
    """One scored batch made of `rows` — (batch, row) pairs — of several of TRL's scored batches: prompts
    left-padded and completions right-padded to the widest, masks and log-probs padded with 0. The caller
    recomputes `num_items_in_batch`."""
    known = set(LEFT_PADDED + RIGHT_PADDED + PER_ROW + RECOMPUTED)
    unknown = {key for out in outputs for key in out} - known
    if unknown:
        raise ValueError(f"dynamic sampling supports text-only batches; cannot merge {sorted(unknown)}")
    merged = {}
    for key in outputs[0]:
        if key in RECOMPUTED or outputs[0][key] is None:
            continue
        parts = [out[key] for out in outputs]
        if parts[0].dim() == 2:
            width = max(p.size(1) for p in parts)
            fill = 1 if key in PAD_ONE else 0
            fill = pad_token_id if key.endswith("_ids") else fill
            parts = [
                F.pad(p, (width - p.size(1), 0) if key in LEFT_PADDED else (0, width - p.size(1)), value=fill)
                for p in parts
            ]
        merged[key] = torch.stack([parts[batch][row] for batch, row in rows])
    return merged
