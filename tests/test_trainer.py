"""Two GRPO steps of a tiny random model (real SmolLM2 tokenizer) for each on/off combination of the four
ReRec components, on the real prepared benchmark."""

from __future__ import annotations

import itertools

import pytest
import torch

pytest.importorskip("trl")

from trl import ModelConfig  # noqa: E402

from rerec.data.prompts import PromptConfig  # noqa: E402
from rerec.rewards.shaping import RewardConfig  # noqa: E402
from rerec.training.config import ReRecConfig, TrainDataArguments  # noqa: E402
from rerec.training.run import build_trainer  # noqa: E402


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    from rerec.assets import smollm2_gguf

    gguf = smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tok.padding_side = "left"
    return tok


def tiny_model(tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=8, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True,
    )  # fmt: skip
    return LlamaForCausalLM(config)


def length_reward(completions, **kwargs) -> list[float]:
    return [len(str(c)) / 100 for c in completions]


def make_trainer(prepared, tokenizer, tmp_path, qas=True, pas=True, raae=True, curriculum=True, **overrides):
    config = ReRecConfig(
        output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=3, num_generations=3,
        max_completion_length=12, learning_rate=0.1, use_cpu=True, bf16=False, report_to="none",
        save_strategy="no", logging_steps=1, raae=raae, curriculum=curriculum, seed=0, **overrides,
    )  # fmt: skip
    data = TrainDataArguments(prepared=str(prepared), max_queries=12)
    # A random model never writes a box, so every ReRec reward ties within a group; a length reward gives the
    # groups variance, hence a gradient, exactly as TRL's own trainer tests do.
    rewards = RewardConfig(qas=qas, pas=pas, extra_rewards=["test_trainer.length_reward"])
    prompt = PromptConfig(max_candidates=4, max_facts=8)
    return build_trainer(data, rewards, prompt, ModelConfig(), config, tiny_model(tokenizer), tokenizer)


@pytest.mark.parametrize(("qas", "pas", "raae", "curriculum"), list(itertools.product([False, True], repeat=4)))
def test_two_steps_for_every_combination(prepared, tokenizer, tmp_path, qas, pas, raae, curriculum):
    trainer = make_trainer(prepared, tokenizer, tmp_path, qas, pas, raae, curriculum)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    logs = {k for entry in trainer.state.log_history for k in entry}
    assert "train_loss" in logs
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters(), strict=True))
    assert {"rewards/format_reward/mean", "rewards/ndcg_reward/mean"} <= logs
    assert ("rewards/qas_reward/mean" in logs) == qas and ("rewards/pas_reward/mean" in logs) == pas
    assert ("raae/penalized_token_share" in logs) == raae
    assert ("curriculum/kept" in logs) == curriculum
    if curriculum:
        assert trainer.tracker.counts()["seen"] > 0


def test_sft_warm_start_two_steps(prepared, tokenizer, tmp_path):
    from trl import SFTConfig

    from rerec.training.sft import build_sft_trainer

    config = SFTConfig(
        output_dir=str(tmp_path / "sft"), max_steps=2, per_device_train_batch_size=2, learning_rate=0.1,
        use_cpu=True, bf16=False, report_to="none", save_strategy="no", logging_steps=1, max_length=512,
    )  # fmt: skip
    data = TrainDataArguments(prepared=str(prepared), max_queries=4)
    model = tiny_model(tokenizer)
    before = [p.detach().clone() for p in model.parameters()]
    trainer = build_sft_trainer(
        data, PromptConfig(max_candidates=4, max_facts=8), ModelConfig(), config, model, tokenizer
    )
    trainer.train()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert "train_loss" in {k for entry in trainer.state.log_history for k in entry}
