"""GRPO's log-probs with each distinct prompt encoded once: the training-side twin of `rerec.generation`'s shared
prefill.

A GRPO batch holds G completions of each prompt, and TRL scores every row as prompt + completion, so the prompt's
forward and backward run G times. With the study's ~800-token prompts and ~100-token completions that is ~89% of
an update's tokens. Here a micro-batch's distinct prompts (all but their last token) run once, with gradients,
into a key/value cache; the cache is gathered to the rows (a differentiable index, so each prompt's gradient is
the sum over its rows, exactly what the repeated rows give); then each row's last prompt token and completion run
on top through TRL's fused LM head. Positions are those of TRL's own forward (counted from the padded row's
start), so the log-probs are the same numbers up to floating-point summation order (`tests/test_shared_prefix.py`).

Needs a model whose layers write the cache: gradient checkpointing drops the cache (a replayed layer would write
it twice), so the trainer uses this path only without it, in one process, on text-only batches.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import DynamicCache

from rerec.generation import distinct_rows


def shared_prefix_logps(
    model,
    config,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    logits_to_keep: int,
    batch_size: int,
    compute_entropy: bool,
    autocast: Callable,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs (and entropies) of the last `logits_to_keep` tokens of each row, as TRL's
    `_get_per_token_logps_and_entropies` returns them, in micro-batches of `batch_size` rows. `model` carries
    TRL's fused LM head; `config` is its (unwrapped) model config, for the cache."""
    prefix = input_ids.size(1) - logits_to_keep - 1  # the prompt but its last token
    logps, entropies = [], []
    for start in range(0, input_ids.size(0), batch_size):
        ids, mask = input_ids[start : start + batch_size], attention_mask[start : start + batch_size]
        firsts, rows = distinct_rows(torch.cat([ids[:, :prefix], mask[:, :prefix]], dim=1))
        cache = DynamicCache(config=config)
        with autocast():
            model(
                input_ids=ids[firsts, :prefix], attention_mask=mask[firsts, :prefix], cache=cache, use_cache=True,
                logits_to_keep=1,
            )  # fmt: skip
        cache.batch_select_indices(rows)
        suffix = ids[:, prefix:]
        labels = suffix.masked_fill(mask[:, prefix:] == 0, -100)
        labels[:, 0] = -100  # the prompt's last token: input only
        with autocast():
            out = model(input_ids=suffix, attention_mask=mask, cache=cache, labels=labels, fused_lm_head=True)
        logps.append(out.log_probs)
        if compute_entropy:
            entropies.append(out.entropy)
    return torch.cat(logps), torch.cat(entropies) if compute_entropy else None


class SharedPrefixLoss:
    """A `GRPOTrainer` mixin: with `shared_prefix_loss`, the log-prob and loss forwards go through
    `shared_prefix_logps`."""

    def _get_per_token_logps_and_entropies(
        self, model, input_ids, attention_mask, logits_to_keep, batch_size=None, compute_entropy=False,
        compute_aux_loss=False, **multimodal,
    ):  # fmt: skip
        """TRL's, or with `shared_prefix_loss` each distinct prompt of a micro-batch encoded once (text only)."""
        text_only = not compute_aux_loss and all(v is None for v in multimodal.values())
        if not (self.args.shared_prefix_loss and text_only and input_ids.size(1) - logits_to_keep >= 2):
            return super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy, compute_aux_loss,
                **multimodal,
            )  # fmt: skip
        config = self.accelerator.unwrap_model(model).config
        logps, entropies = shared_prefix_logps(
            model, config, input_ids, attention_mask, logits_to_keep, batch_size or input_ids.size(0),
            compute_entropy, self.accelerator.autocast,
        )  # fmt: skip
        return logps, entropies, None
