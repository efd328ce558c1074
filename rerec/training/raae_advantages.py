"""`RAAEAdvantages`: a `GRPOTrainer` mixin that turns TRL's scalar advantages into RAAE's token-level ones, from the
rules in `rerec.training.raae`. TRL's loss accepts (B, T) advantages as they are."""

from __future__ import annotations

import torch
from accelerate.utils import gather_object

from rerec.task.rows import row_titles
from rerec.task.score import truth_ids
from rerec.task.verifier import StepVerifier
from rerec.training.offsets import completion_offsets
from rerec.training.raae import (
    incorrect_segments,
    penalty_scales,
    penalty_shift,
    token_advantages,
    token_mask,
    token_normalised,
)


class RAAEAdvantages:
    """Needs the trainer's `reader`, `graph`, `catalog` and `facts` (whether prompts show graph facts)."""

    def _token_advantages(self, inputs, output: dict, rewards: torch.Tensor) -> tuple[torch.Tensor, list[list[str]]]:
        """(B, T) advantages of this process's completions: TRL's per completion, shifted on the tokens of the
        incorrect steps of each answer; `rewards` are the total rewards of all processes. Also the text of each
        completion's penalised steps, for the rollout log."""
        args = self.args
        local = slice(self.accelerator.process_index * len(inputs), (self.accelerator.process_index + 1) * len(inputs))
        ids, mask, reward = output["completion_ids"], output["completion_mask"], rewards[local]
        texts = self.processing_class.batch_decode(ids, skip_special_tokens=True)
        hits: list[list[bool] | None] = []  # per local completion: its penalised tokens (None: none)
        penalised: list[list[str]] = []  # per local completion: its penalised steps
        bad_segments = all_segments = mismatched = 0
        verifiers: dict[int, StepVerifier] = {}  # a query's G rollouts share one
        for i, (row, text) in enumerate(zip(inputs, texts, strict=True)):
            hits.append(None)
            penalised.append([])
            if torch.isnan(reward[i]):
                continue
            titles = row_titles(row)
            verifier = None
            if self.facts and (args.raae_verifier or args.raae_target == "unverified"):
                if row["query_index"] not in verifiers:
                    verifiers[row["query_index"]] = StepVerifier(self.graph, self.catalog, titles)
                verifier = verifiers[row["query_index"]]
            answer = self.reader.read(text, row["candidates"])
            bad, total = incorrect_segments(
                text, answer, truth_ids(row["ground_truth"]), titles, verifier,
                false_steps=args.raae_verifier, spare_verified=args.raae_target == "unverified",
            )  # fmt: skip
            bad_segments, all_segments = bad_segments + len(bad), all_segments + total
            penalised[i] = [step.text for step in bad]
            if not bad:
                continue
            offsets, complete = completion_offsets(self.processing_class, ids[i].tolist(), text)
            mismatched += not complete  # tokens past the divergence count as unpenalised
            if offsets:
                hits[i] = token_mask(offsets, bad)
        advantages = output["advantages"].unsqueeze(1).expand_as(mask).clone().float()
        if args.raae_norm == "token":  # a group's mean and std span all its completions, on every process
            lengths = gather_object(mask.sum(dim=1).tolist())
            rows = token_normalised(rewards, lengths, gather_object(hits), self.num_generations, args.raae_penalty,
                                    args.raae_clip)[local]  # fmt: skip
        else:
            scales = penalty_scales(rewards, self.num_generations, self.scale_rewards, args.raae_scale_floor)[local]
            rows = [
                None if hit is None else token_advantages(
                    float(output["advantages"][i]),
                    penalty_shift(args.raae_norm, args.raae_penalty, float(reward[i]), float(scales[i])),
                    hit,
                )
                for i, hit in enumerate(hits)
            ]  # fmt: skip
        for i, row in enumerate(rows):
            if row is not None:
                advantages[i, : len(row)] = torch.tensor(row, device=advantages.device)
        metrics = self._metrics["train"]
        metrics["raae/penalized_segment_share"].append(bad_segments / max(1, all_segments))
        metrics["raae/penalized_token_share"].append(sum(sum(h) for h in hits if h) / max(1, int(mask.sum())))
        metrics["raae/offset_mismatch"].append(mismatched / max(1, len(inputs)))
        return advantages, penalised
