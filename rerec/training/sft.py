"""`rerec sft`: a short supervised warm start on KG-path rationales (TRL `SFTTrainer`), before RL.

Optional and measured (see the README): it teaches a small model the answer format and checkable steps; the
paper warns that SFT alone costs general abilities, which the evaluation's retention suite tracks.
"""

from __future__ import annotations

import logging

from datasets import Dataset
from trl import SFTConfig, SFTTrainer, get_peft_config

from rerec.models import ModelArguments, load_model
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments, load_split, row_titles, write_query_ids
from rerec.training.checkpoints import AtomicCheckpoints
from rerec.training.lm_head import compact_fused_head_on_cpu
from rerec.training.metrics_log import JsonlMetrics
from rerec.training.rationales import rationale

logger = logging.getLogger(__name__)


class WarmStartTrainer(AtomicCheckpoints, SFTTrainer):
    """TRL's `SFTTrainer` with checkpoints that are whole or absent."""


def sft_dataset(data_args: TrainDataArguments, prompt: PromptConfig, output_dir: str | None = None) -> Dataset:
    """Prompt-completion rows (conversational): TRL then trains on the completion tokens only. A run records their
    query ids in its `output_dir`, so RL can train on others (`exclude_queries`)."""
    rows, _ds = load_split(data_args, prompt, "candidates")
    if output_dir is not None:
        write_query_ids(output_dir, rows)
    out = []
    for row in rows:
        answer = [{"role": "assistant", "content": rationale(row, row_titles(row))}]
        out.append({"prompt": row["prompt"], "completion": answer})
    return Dataset.from_list(out)


def build_sft_trainer(
    data_args: TrainDataArguments,
    prompt: PromptConfig,
    model_args: ModelArguments,
    config: SFTConfig,
    model=None,
    tokenizer=None,
) -> WarmStartTrainer:
    compact_fused_head_on_cpu()
    dataset = sft_dataset(data_args, prompt, config.output_dir)
    if model is None:
        model, tokenizer = load_model(model_args)
    logger.info("SFT warm start on %d rationales", len(dataset))
    peft = get_peft_config(model_args) if model_args.use_peft else None
    return WarmStartTrainer(
        model=model,
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft,
        callbacks=[JsonlMetrics()],
    )
