"""`rollouts.jsonl`: every rollout a training run generates, with its query, text, each reward, TRL's advantage and
the steps RAAE penalised. `metrics.jsonl` says how many tokens RAAE moved and how many groups tied at each step;
this file says which steps, on which queries (`benchmarks/rollout_digest.py` reads it)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from accelerate.utils import gather_object

from rerec.training.metrics_log import ROLLOUTS_FILE


class RolloutLog:
    """A `GRPOTrainer` mixin, on with `log_rollouts`. With dynamic sampling, groups that a refill replaced are
    logged too: the file holds what was generated, not only what was trained."""

    def _log_rollouts(self, inputs, output: dict, per_func: torch.Tensor, penalised: list[list[str]] | None) -> None:
        """Append this batch's rollouts; `per_func` are the rewards of all processes (function by column),
        `penalised` the text of each local completion's penalised steps (None: RAAE off)."""
        if not self.args.log_rollouts:
            return
        local = slice(self.accelerator.process_index * len(inputs), (self.accelerator.process_index + 1) * len(inputs))
        texts = self.processing_class.batch_decode(output["completion_ids"], skip_special_tokens=True)
        rewards = per_func[local].tolist()
        advantages = output["advantages"].tolist()  # TRL's, one per completion, before RAAE's token shifts
        names = self.reward_func_names
        records = [
            {
                "step": self.state.global_step + 1,  # the step these rollouts train, as `metrics.jsonl` counts
                "query": row["id"],
                "type": row["type"],
                "completion": text,
                "rewards": {n: None if math.isnan(r) else r for n, r in zip(names, row_rewards, strict=True)},
                "advantage": advantages[i],
                "penalised": None if penalised is None else penalised[i],
            }
            for i, (row, text, row_rewards) in enumerate(zip(inputs, texts, rewards, strict=True))
        ]
        records = gather_object(records)
        if self.accelerator.is_main_process:
            path = Path(self.args.output_dir) / ROLLOUTS_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a") as handle:
                handle.writelines(json.dumps(record) + "\n" for record in records)
