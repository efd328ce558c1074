"""`SharedPrefillRollouts`: a `GRPOTrainer` mixin whose transformers rollouts run through `rerec.generation` (each
prompt encoded once for its G copies) with LoRA adapters merged while they decode."""

from __future__ import annotations

import contextlib

import torch
from trl.models.utils import unwrap_model_for_generation

from rerec.generation import generate, until_eos


@contextlib.contextmanager
def merged_lora(model):
    """LoRA adapters merged into the weights while `model` generates, unmerged after (as TRL does before it syncs
    vLLM): each decoded token then runs one matmul per projection instead of three (base, A, B) plus the
    adapter's dropout copy. A model without adapters is left alone."""
    tuner = getattr(model, "base_model", None)
    if not hasattr(tuner, "merge_adapter"):
        yield
        return
    tuner.merge_adapter()
    try:
        yield
    finally:
        tuner.unmerge_adapter()


class SharedPrefillRollouts:
    """Overrides TRL's `_generate_single_turn` when `shared_prefill` is on."""

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        """TRL's transformers rollout, through `rerec.generation`: the same sampling, each prompt's prefill shared
        by its copies. vLLM, continuous batching and image inputs go to TRL's own path."""
        own = self.args.shared_prefill and not (self.use_vllm or self.use_transformers_continuous_batching)
        if not own or images is not None or multimodal_fields:
            return super()._generate_single_turn(
                prompt_ids, images, multimodal_fields, num_generations, has_tool_images=has_tool_images
            )
        with (
            unwrap_model_for_generation(
                self.model_wrapped, self.accelerator, gather_deepspeed3_params=self.args.ds3_gather_for_generation,
                generation_kwargs=self.generation_kwargs,
                gradient_checkpointing_kwargs=self.args.gradient_checkpointing_kwargs,
            ) as unwrapped,
            torch.no_grad(),
            self._dist.summon_full_params(self.model_wrapped, recurse=False),
        ):  # fmt: skip
            with merged_lora(unwrapped):
                new = generate(unwrapped, prompt_ids, self.generation_config, self._tokenizer.pad_token_id)
        return [until_eos(row, self.eos_token_ids) for row in new.tolist()], None
