"""`ReRecTrainer`: TRL's `GRPOTrainer` plus RAAE token advantages and the online curriculum.

Touches TRL at five seams only: `_calculate_rewards` (keep the gathered rewards), `_generate_and_score_completions`
(call TRL's, then turn its scalar advantages into token-level ones, feed the difficulty tracker and, with dynamic
sampling, replace tied groups by scored groups of fresh prompts), `_get_train_sampler` (the curriculum),
`_generate_single_turn` (rollouts through `rerec.generation`, which encodes each prompt once for its G copies) and
`_get_per_token_logps_and_entropies` (with `shared_prefix_loss`, the same for the log-prob and loss forwards).
TRL's loss already accepts (B, T) advantages. Two timing wrappers (`_generate`, `training_step`) split each step's
time into generation / scoring / log-probs / update; the first also puts the whole generation in one autocast
region (see `_generation_autocast`). Checkpoint saving is Transformers' own, staged and renamed by
`AtomicCheckpoints`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import defaultdict
from pathlib import Path

import torch
from accelerate.utils import gather_object
from trl import GRPOTrainer
from trl.models.utils import unwrap_model_for_generation

from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.generation import generate, until_eos
from rerec.rewards.accuracy import truth_ids
from rerec.task.answer import AnswerReader
from rerec.task.rows import row_titles
from rerec.task.verifier import StepVerifier
from rerec.training.checkpoints import AtomicCheckpoints, last_complete_checkpoint
from rerec.training.curriculum import CurriculumSampler, CurriculumSettings, DifficultyTracker
from rerec.training.dynamic_sampling import merge_rows, refill_indices, tied_groups
from rerec.training.metrics_log import JsonlMetrics
from rerec.training.offsets import byte_level_offsets
from rerec.training.raae import (
    incorrect_segments,
    penalty_scales,
    penalty_shift,
    token_advantages,
    token_mask,
    token_normalised,
)
from rerec.training.shared_prefix import shared_prefix_logps

logger = logging.getLogger(__name__)


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


CURRICULUM_FILE = "curriculum.json"


class ReRecTrainer(AtomicCheckpoints, GRPOTrainer):
    """GRPO with ReRec's components; `reader`, `graph` and `catalog` are the ones the rewards use."""

    def __init__(self, *args, reader: AnswerReader, graph: KnowledgeGraph, catalog, facts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.reader, self.graph, self.catalog, self.facts = reader, graph, catalog, facts
        self._rewards_per_func: torch.Tensor | None = None
        self._phase_s: defaultdict[str, float] = defaultdict(float)  # seconds per phase in the current step
        self.add_callback(JsonlMetrics())
        self.tracker: DifficultyTracker | None = None
        if self.args.curriculum:
            a = self.args
            settings = CurriculumSettings(
                tau=a.curriculum_tau, replay=a.curriculum_replay, park_after=a.curriculum_park_after,
                park_epochs=a.curriculum_park_epochs, min_active=a.curriculum_min_active,
                round_size=a.curriculum_round_size, order=a.curriculum_order,
            )  # fmt: skip
            data = self.train_dataset
            self.tracker = DifficultyTracker(data["type"], data["num_conditions"], settings)

    # -- seams -----------------------------------------------------------------------------------------------
    def _get_train_sampler(self, dataset=None):
        if self.tracker is None:
            return super()._get_train_sampler(dataset)
        return CurriculumSampler(
            self.tracker,
            mini_repeat_count=self.num_generations,
            batch_size=self.args.generation_batch_size // self.num_generations,
            repeat_count=self.num_iterations * self.args.steps_per_generation,
            seed=self.args.seed,
        )

    def _generate(self, prompts: list):
        start = time.perf_counter()
        try:
            with self._generation_autocast():
                return super()._generate(prompts)
        finally:
            self._phase_s["generation"] += time.perf_counter() - start

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

    def _generation_autocast(self):
        """One autocast region around the whole generation under mixed precision. Accelerate autocasts each
        forward call on its own, and leaving the outermost region drops the cast cache, so every decoded token
        cast all fp32 weights to bf16 again; with one outer region they are cast once per generation
        (measured on 2 CPU cores, SmolLM2-135M, 16 sequences: 0.23 -> 0.15 s per token)."""
        dtype = torch.bfloat16 if self.args.bf16 else torch.float16 if self.args.fp16 else None
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.accelerator.device.type, dtype=dtype)

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        start = time.perf_counter()
        self._rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._phase_s["scoring"] += time.perf_counter() - start
        return self._rewards_per_func

    def _generate_and_score_completions(self, inputs):
        output = self._scored(inputs)
        if self.args.dynamic_sampling and self.model.training:
            output = self._refill_tied_groups(inputs, output)
        return output

    def _scored(self, inputs):
        """TRL's generation and scoring of `inputs`, then ReRec's reward shaping."""
        phase = self._phase_s
        start, inner = time.perf_counter(), phase["generation"] + phase["scoring"]
        output = super()._generate_and_score_completions(inputs)
        # what TRL did besides generating and scoring: tokenising and the old/reference policies' log-probs
        phase["logprobs"] += time.perf_counter() - start - (phase["generation"] + phase["scoring"] - inner)
        if not self.model.training or self._rewards_per_func is None:
            return output
        start = time.perf_counter()
        output = self._reward_shaping(inputs, output)
        self._phase_s["scoring"] += time.perf_counter() - start
        return output

    def training_step(self, model, inputs, num_items_in_batch):
        start, tokens = time.perf_counter(), self.state.num_input_tokens_seen
        output = super().training_step(model, inputs, num_items_in_batch)
        self._phase_s["total"] += time.perf_counter() - start
        self._phase_s["tokens"] += self.state.num_input_tokens_seen - tokens
        if self._step % self.current_gradient_accumulation_steps == 0:
            self._log_step_split()
        return output

    def _log_step_split(self) -> None:
        """`time/*`: seconds of the optimiser step in each phase (generation happens once per generation batch,
        so with `steps_per_generation > 1` it falls on the first step of each batch), and tokens per second."""
        phase, metrics = self._phase_s, self._metrics["train"]
        update = phase["total"] - phase["generation"] - phase["scoring"] - phase["logprobs"]
        for name in ("generation", "scoring", "logprobs"):
            metrics[f"time/{name}_s"].append(phase[name])
        metrics["time/update_s"].append(update)
        metrics["time/tokens_per_s"].append(phase["tokens"] / max(phase["total"], 1e-9))
        phase.clear()

    def _reward_shaping(self, inputs, output: dict) -> dict:
        """The curriculum's difficulty update and RAAE's token-level advantages, from the rewards TRL computed;
        `groups/accuracy_tied`: the share of groups whose rollouts are all equally right (NDCG), which gives no
        accuracy signal even where format or QAS/PAS make the total reward differ (TRL's `frac_reward_zero_std`)."""
        per_func = self._rewards_per_func
        rewards = self._total_rewards(per_func)
        if "ndcg_reward" in self.reward_func_names:
            tied = tied_groups(self._accuracy_rewards(per_func), self.num_generations)
            self._metrics["train"]["groups/accuracy_tied"].append(sum(tied) / len(tied))
        if self.tracker is not None:
            self._update_curriculum(inputs, per_func, rewards)
        if self.args.raae:
            output["advantages"] = self._token_advantages(inputs, output, rewards)
        return output

    def _total_rewards(self, per_func: torch.Tensor) -> torch.Tensor:
        """The weighted sum TRL normalises into advantages of per-function rewards (all processes); NaN where
        every reward function skipped a completion."""
        rewards = (per_func * self.reward_weights.to(per_func.device).unsqueeze(0)).nansum(dim=1)
        rewards[torch.isnan(per_func).all(dim=1)] = torch.nan
        return rewards

    def _accuracy_rewards(self, per_func: torch.Tensor) -> torch.Tensor:
        """The accuracy (NDCG) column of per-function rewards (all processes), or the total reward where no
        accuracy reward is trained."""
        if "ndcg_reward" not in self.reward_func_names:
            return self._total_rewards(per_func)
        return per_func[:, self.reward_func_names.index("ndcg_reward")]

    # -- dynamic sampling ------------------------------------------------------------------------------------
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

    # -- curriculum ------------------------------------------------------------------------------------------
    def _update_curriculum(self, inputs, per_func: torch.Tensor, rewards: torch.Tensor) -> None:
        signal = self._accuracy_rewards(per_func) if self.args.curriculum_signal == "accuracy" else rewards
        indices = gather_object([row["query_index"] for row in inputs])
        size = self.num_generations
        tied = tied_groups(rewards, size)  # TRL's zero-std test, on the same total rewards
        values = signal.tolist()
        for group, start in enumerate(range(0, len(indices), size)):
            self.tracker.update(int(indices[start]), values[start : start + size], tied=tied[group])
        metrics = self._metrics["train"]
        for name, count in self.tracker.counts().items():
            metrics[f"curriculum/{name}"].append(float(count))
        for i, count in enumerate(self.tracker.histogram()):
            metrics[f"curriculum/difficulty_bin{i}"].append(float(count))

    # -- RAAE ------------------------------------------------------------------------------------------------
    def _token_advantages(self, inputs, output: dict, rewards: torch.Tensor) -> torch.Tensor:
        args = self.args
        local = slice(self.accelerator.process_index * len(inputs), (self.accelerator.process_index + 1) * len(inputs))
        ids, mask, reward = output["completion_ids"], output["completion_mask"], rewards[local]
        texts = self.processing_class.batch_decode(ids, skip_special_tokens=True)
        hits: list[list[bool] | None] = []  # per local completion: its penalised tokens (None: none)
        bad_segments = all_segments = mismatched = 0
        verifiers: dict[int, StepVerifier] = {}  # a query's G rollouts share one
        for i, (row, text) in enumerate(zip(inputs, texts, strict=True)):
            hits.append(None)
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
            if not bad:
                continue
            offsets, complete = self._offsets(ids[i].tolist(), text)
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
        return advantages

    def _offsets(self, ids: list[int], text: str) -> tuple[list[tuple[int, int]], bool]:
        """`(spans, complete)`: each generated token's character span in `text`, from the tokens' own bytes when
        the tokenizer is byte-level BPE, else by re-tokenising `text` — then only up to the first differing id."""
        mapped = byte_level_offsets(self.processing_class, ids)
        if mapped is not None and mapped[0] == text:
            return mapped[1], True
        enc = self.processing_class(text, add_special_tokens=False, return_offsets_mapping=True)
        n = _common_prefix(enc["input_ids"], ids)
        return list(enc["offset_mapping"][:n]), n == len(enc["input_ids"])

    # -- checkpoints and resume ------------------------------------------------------------------------------
    def save_extra_state(self, folder: Path) -> None:
        """The difficulty tracker goes into each checkpoint, so `--resume` continues the same curriculum."""
        if self.tracker is not None:
            (folder / CURRICULUM_FILE).write_text(json.dumps(self.tracker.state_dict()))

    def train(self, resume_from_checkpoint=None, **kwargs):
        if resume_from_checkpoint is True:
            required = (CURRICULUM_FILE,) if self.tracker is not None else ()
            resume_from_checkpoint = last_complete_checkpoint(Path(self.args.output_dir), required)
        if resume_from_checkpoint and self.tracker is not None:
            path = Path(resume_from_checkpoint) / CURRICULUM_FILE
            if path.is_file():
                self.tracker.load_state_dict(json.loads(path.read_text()))
                logger.info("curriculum state restored from %s", path)
        return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
