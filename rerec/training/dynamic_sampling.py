"""DAPO-style dynamic sampling (Yu et al., 2025): groups whose rollouts are all equally right give GRPO no
accuracy signal, so they are dropped and replaced by fresh prompts' groups that disagree, drawn and scored in up
to a fixed number of refill rounds. TRL has no such option (and its replay-buffer trainer is gone), so the pieces are
rerec's own: which groups tie, which prompts refill them, and one batch assembled from several scored ones.
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from accelerate.utils import gather_object
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


class DynamicSampling:
    """A `GRPOTrainer` mixin; needs the trainer's `_scored(inputs)` (TRL's generation and scoring plus ReRec's
    shaping), `_rewards_per_func` (the last scored batch's rewards) and `_accuracy_rewards`."""

    def _refill_tied_groups(self, inputs, output: dict) -> dict:
        """Replace this process's groups tied on accuracy by groups of fresh prompts that disagree, in up to
        `dynamic_sampling_rounds` rounds. Ties are judged on the accuracy reward, as DAPO filters all-right and
        all-wrong groups: the format reward varies within nearly every group, so the total reward almost never
        ties. Every process scores the same number of refill prompts per round (the largest need), since TRL
        gathers rewards across processes; groups still tied after the last round stay and are trained as GRPO
        would."""
        size, process = self.num_generations, self.accelerator.process_index
        slots = [g for g, tied in enumerate(self._local_ties(len(inputs))) if tied]
        groups = len(inputs) // size
        outputs, rows = [output], [(0, r) for r in range(len(inputs))]
        seen = {row["query_index"] for row in inputs}
        drawn = refilled = 0
        for round_ in range(self.args.dynamic_sampling_rounds):
            need = max(gather_object([len(slots)]))
            if need == 0:
                break
            seed = f"{self.args.seed}-{self.state.global_step}-{process}-{round_}"
            picks = refill_indices(len(self.train_dataset), need, seen, seed)
            seen.update(picks)
            extra = [self.train_dataset[i] for i in picks for _ in range(size)]
            outputs.append(self._scored(extra))
            drawn += need
            for g, tied in enumerate(self._local_ties(len(extra))):
                if not tied and slots:
                    slot = slots.pop(0)
                    rows[slot * size : (slot + 1) * size] = [(len(outputs) - 1, g * size + k) for k in range(size)]
                    refilled += 1
        metrics = self._metrics["train"]
        metrics["dynamic_sampling/refill_prompts"].append(float(drawn))
        metrics["dynamic_sampling/refilled_groups"].append(float(refilled))
        metrics["dynamic_sampling/tied_share"].append(len(slots) / max(1, groups))
        if len(outputs) == 1:  # nothing tied on any process
            return output
        merged = merge_rows(outputs, rows, self._tokenizer.pad_token_id)
        loss_mask = merged["completion_mask"] * merged.get("tool_mask", 1)
        merged["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
        return merged

    def _local_ties(self, rows: int) -> list[bool]:
        """Which of this process's groups in the last scored batch (`rows` rows per process) tie on accuracy."""
        process = self.accelerator.process_index
        accuracy = self._accuracy_rewards(self._rewards_per_func)[process * rows : (process + 1) * rows]
        return tied_groups(accuracy, self.num_generations)
