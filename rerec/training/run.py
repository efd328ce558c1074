"""Assemble a `ReRecTrainer` from the configs: data, rewards, prompt, model (`ModelArguments`) and training."""

from __future__ import annotations

import logging
from pathlib import Path

from trl import get_peft_config

from rerec.data.atomic import claim_folder
from rerec.data.grounding import TitleIndex
from rerec.machine import bf16_faster_on_cpu
from rerec.models import ModelArguments, ModelSettings, cuda, export, load_model
from rerec.presets import config_parser, resolve_presets
from rerec.rewards.shaping import RewardConfig, build_rewards
from rerec.task.answer import AnswerReader
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments, load_split, write_query_ids
from rerec.training.checkpoints import last_complete_checkpoint
from rerec.training.config import ReRecConfig
from rerec.training.lm_head import compact_fused_head_on_cpu
from rerec.training.trainer import ReRecTrainer

logger = logging.getLogger(__name__)


def cpu_precision(config) -> None:
    """A preset's `bf16: true` pays on CPUs with native bf16 (2.6x on an AVX512-BF16 Xeon) and costs ~25x on
    one without (AVX2 EPYC): where bf16 matmuls measure slower than fp32, training falls back to fp32, with a
    warning, instead of running for hours."""
    on_cpu = config.use_cpu or not cuda()
    if config.bf16 and on_cpu and not bf16_faster_on_cpu():
        logger.warning("bfloat16 matmuls measured slower than float32 on this CPU: training in fp32")
        config.bf16 = False
        config.mixed_precision = "no"  # what the Trainer hands to accelerate, set from bf16 when parsed


def build_trainer(
    data_args: TrainDataArguments,
    reward_cfg: RewardConfig,
    prompt_cfg: PromptConfig,
    model_args: ModelArguments,
    config: ReRecConfig,
    model=None,
    tokenizer=None,
) -> ReRecTrainer:
    """Everything `rerec train` runs; `model`/`tokenizer` may be passed in (tests use tiny ones)."""
    compact_fused_head_on_cpu()
    train_ds, ds = load_split(data_args, prompt_cfg, reward_cfg.mode)
    write_query_ids(config.output_dir, train_ds)
    reader = AnswerReader(TitleIndex(ds.catalog, reward_cfg.grounding_threshold), reward_cfg.mode)
    funcs, weights = build_rewards(Path(data_args.prepared), reward_cfg, ds, reader)
    if config.reward_weights is None:
        config.reward_weights = weights
    if model is None:
        model, tokenizer = load_model(model_args)
    names = [getattr(f, "__name__", f) for f in funcs]
    logger.info(
        "training on %d queries; rewards %s with weights %s; raae=%s curriculum=%s",
        len(train_ds), names, config.reward_weights, config.raae, config.curriculum,
    )  # fmt: skip
    return ReRecTrainer(
        model=model,
        reward_funcs=funcs,
        args=config,
        train_dataset=train_ds,
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args) if model_args.use_peft else None,
        reader=reader,
        graph=ds.graph,
        catalog=ds.catalog,
        facts=prompt_cfg.facts,
    )


def parse_train_args(argv: list[str]) -> tuple:
    """`rerec train`'s flags and `--config` YAML."""
    from trl import ModelConfig

    parser = config_parser((TrainDataArguments, RewardConfig, PromptConfig, ModelConfig, ReRecConfig), "train")
    data, rewards, prompt, model, config = parser.parse_args_and_config(args=resolve_presets(argv))
    cpu_precision(config)
    return data, rewards, prompt, _with_trust(model, config.trust_remote_code), config


def _with_trust(model, trust_remote_code: bool) -> ModelArguments:
    """TRL's `GRPOConfig` and `SFTConfig` own the `--trust_remote_code` flag (for the models TRL loads itself);
    the policy follows the same flag, so one switch covers every model of the run."""
    from dataclasses import fields

    values = {f.name: getattr(model, f.name) for f in fields(model) if f.init}
    return ModelArguments(**values, trust_remote_code=trust_remote_code)


def claim_run_folder(output_dir: str, kind: str, prepared: str, resume: bool, overwrite: bool) -> None:
    """The run folder must be new, empty, or this command's own (continued with `--resume`, restarted with
    `--overwrite`); checked before the model loads."""
    claim_folder(Path(output_dir), kind, overwrite, reuse=resume, inputs=[Path(prepared)])


def train_from_args(argv: list[str], resume: bool = False, overwrite: bool = False) -> Path:
    """`rerec train`: parse, train (resuming when asked), export; the final folder."""
    data, rewards, prompt, model, config = parse_train_args(argv)
    claim_run_folder(config.output_dir, "train", data.prepared, resume, overwrite)
    settings = run_settings(config.output_dir, prompt, data.prepared, rewards.mode, rewards.grounding_threshold)
    trainer = build_trainer(data, rewards, prompt, model, config)
    trainer.train(resume_from_checkpoint=True if resume else config.resume_from_checkpoint)
    return export(trainer.model, trainer.processing_class, Path(config.output_dir) / "final", settings)


def parse_sft_args(argv: list[str]) -> tuple:
    """`rerec sft`'s flags and `--config` YAML."""
    from trl import ModelConfig

    from rerec.training.config import WarmStartConfig

    parser = config_parser((TrainDataArguments, PromptConfig, ModelConfig, WarmStartConfig), "sft")
    data, prompt, model, config = parser.parse_args_and_config(args=resolve_presets(argv))
    cpu_precision(config)
    return data, prompt, _with_trust(model, config.trust_remote_code), config


def sft_from_args(argv: list[str], resume: bool = False, overwrite: bool = False) -> Path:
    """`rerec sft`: the same for the supervised warm start."""
    from rerec.training.sft import build_sft_trainer

    data, prompt, model, config = parse_sft_args(argv)
    claim_run_folder(config.output_dir, "sft", data.prepared, resume, overwrite)
    settings = run_settings(config.output_dir, prompt, data.prepared)
    trainer = build_sft_trainer(data, prompt, model, config)
    resume_from = last_complete_checkpoint(Path(config.output_dir)) if resume else None
    trainer.train(resume_from_checkpoint=resume_from or config.resume_from_checkpoint)
    return export(trainer.model, trainer.processing_class, Path(config.output_dir) / "final", settings)


def run_settings(output_dir: str, prompt: PromptConfig, prepared: str, *answers) -> ModelSettings:
    """The settings a run trains with (`answers`: mode and grounding threshold, else their defaults), written into
    its folder at once, so that its checkpoints carry them too (`rerec eval --checkpoints`)."""
    settings = ModelSettings(prompt, *answers, prepared=str(Path(prepared).resolve()))
    settings.write(Path(output_dir))
    return settings
