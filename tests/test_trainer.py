"""Two GRPO steps of a tiny random model (real SmolLM2 tokenizer) for each on/off combination of the four
ReRec components, on the real prepared benchmark."""

from __future__ import annotations

import itertools
import json

import pytest
import torch

pytest.importorskip("trl")

from conftest import tiny_model  # noqa: E402

from rerec.models import ModelArguments
from rerec.rewards.shaping import RewardConfig  # noqa: E402
from rerec.task.prompts import PromptConfig  # noqa: E402
from rerec.task.rows import TrainDataArguments
from rerec.training.config import ReRecConfig  # noqa: E402
from rerec.training.run import build_trainer  # noqa: E402


def length_reward(completions, **kwargs) -> list[float]:
    return [len(str(c)) / 100 for c in completions]


def make_trainer(prepared, tokenizer, tmp_path, qas=True, pas=True, raae=True, curriculum=True, **overrides):
    defaults = {"save_strategy": "no", "max_steps": 2, "learning_rate": 0.1, "per_device_train_batch_size": 3}
    config = ReRecConfig(
        output_dir=str(tmp_path / "out"), num_generations=3,
        max_completion_length=12, use_cpu=True, bf16=False, report_to="none", logging_steps=1, raae=raae,
        curriculum=curriculum, seed=0, **(defaults | overrides),
    )  # fmt: skip
    data = TrainDataArguments(prepared=str(prepared), max_queries=12)
    # A random model never writes a box, so every ReRec reward ties within a group; a length reward gives the
    # groups variance, hence a gradient, exactly as TRL's own trainer tests do.
    rewards = RewardConfig(qas=qas, pas=pas, extra_rewards=["test_trainer.length_reward"])
    prompt = PromptConfig(max_candidates=4, max_facts=8)
    return build_trainer(data, rewards, prompt, ModelArguments(), config, tiny_model(tokenizer), tokenizer)


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
    assert "groups/accuracy_tied" in logs  # a random model never boxes: every group ties on accuracy
    assert all(e["groups/accuracy_tied"] == 1.0 for e in trainer.state.log_history if "groups/accuracy_tied" in e)
    split = [entry for entry in trainer.state.log_history if "time/update_s" in entry]
    assert len(split) == 2 and all(e["time/generation_s"] > 0 and e["time/tokens_per_s"] > 0 for e in split)
    lines = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in lines if "reward" in e] == [1, 2]
    assert [e["samples"] for e in lines if "reward" in e] == [3, 6]  # completions (rollouts) consumed so far
    if curriculum:
        assert trainer.tracker.counts()["seen"] > 0
    rollouts = [json.loads(line) for line in (tmp_path / "out" / "rollouts.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rollouts] == [1, 1, 1, 2, 2, 2]  # 3 rollouts a step
    names = {"format_reward", "ndcg_reward", "length_reward"}
    names |= {name for name, on in (("qas_reward", qas), ("pas_reward", pas)) if on}
    assert all(set(r["rewards"]) == names and isinstance(r["completion"], str) for r in rollouts)
    assert all((r["penalised"] is None) != raae for r in rollouts)  # the steps RAAE penalised, when it runs


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
        data, PromptConfig(max_candidates=4, max_facts=8), ModelArguments(), config, model, tokenizer
    )
    trainer.train()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert "train_loss" in {k for entry in trainer.state.log_history for k in entry}


def test_report_to_auto_turns_on_the_installed_trackers(tmp_path, monkeypatch):
    import rerec.training.config as config_module

    def config():
        return ReRecConfig(
            output_dir=str(tmp_path), use_cpu=True, bf16=False, per_device_train_batch_size=2, num_generations=2
        )

    monkeypatch.setattr(config_module, "available_trackers", lambda: [])
    assert config().report_to == []
    monkeypatch.setattr(config_module, "available_trackers", lambda: ["tensorboard"])
    assert config().report_to == ["tensorboard"]
    assert (
        ReRecConfig(
            output_dir=str(tmp_path), use_cpu=True, report_to="none", num_generations=2, per_device_train_batch_size=2
        ).report_to
        == []
    )


def test_the_curriculum_parks_a_group_whose_total_rewards_tie(prepared, tokenizer, tmp_path):
    trainer = make_trainer(prepared, tokenizer, tmp_path)
    names = trainer.reward_func_names
    per_func = torch.zeros(6, len(names))
    per_func[[0, 3], names.index("ndcg_reward")] = 1.0  # each group: one of three rollouts right, d = 2/3
    rewards = torch.tensor([0.4, 0.4, 0.4, 1.0, 0.2, 0.3])  # group 0 ties on the total, group 1 does not
    accuracy = per_func[:, names.index("ndcg_reward")]
    trainer._update_curriculum([{"query_index": 5}] * 3 + [{"query_index": 7}] * 3, accuracy, rewards)
    tracker = trainer.tracker
    assert tracker.get(5) == tracker.get(7) == pytest.approx(2 / 3)
    assert tracker.parked(5) and not tracker.parked(7)


@pytest.mark.parametrize("norm", ["scalar", "advantage", "token"])
def test_raae_norms_on_a_group_with_one_wrong_answer(prepared, tokenizer, tmp_path, norm):
    trainer = make_trainer(prepared, tokenizer, tmp_path, raae_norm=norm, raae_verifier=False)
    row = trainer.train_dataset[0]
    right = next(c["title"] for c in row["candidates"] if c["item_id"] == row["positive_id"])
    wrong = next(c["title"] for c in row["candidates"] if c["item_id"] != row["positive_id"])
    texts = [f"Step 1: {wrong} fits.\n\\boxed{{{wrong}}}"] + [f"Step 1: {right} fits.\n\\boxed{{{right}}}"] * 2
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(map(len, ids))
    completion_ids = torch.tensor([r + [tokenizer.pad_token_id] * (width - len(r)) for r in ids])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in ids])
    rewards = torch.tensor([0.06, 1.07, 1.07])
    scalar = (rewards - rewards.mean()) / (rewards.std() + 1e-4)
    output = {"completion_ids": completion_ids, "completion_mask": mask, "advantages": scalar}
    adv, penalised = trainer._token_advantages([row] * 3, output, rewards)
    assert penalised == [[f"Step 1: {wrong} fits."], [], []]
    step = len(tokenizer(f"Step 1: {wrong} fits.", add_special_tokens=False)["input_ids"])
    first, box = adv[0, : step - 2], adv[0, step + 1 : len(ids[0])]  # inside the wrong step / the box
    if norm == "token":  # over the group's tokens: the penalised step is the lowest, and everything is bounded
        assert float(first.max()) < float(box.min()) < float(adv[1, 0]) and float(adv.abs().max()) <= 3.0
    else:
        shift = 0.3 if norm == "advantage" else 0.3 * 0.06 / max(float(rewards.std()) + 1e-4, 0.25)
        assert torch.allclose(first, torch.full_like(first, float(scalar[0]) - shift))
        assert torch.allclose(box, torch.full_like(box, float(scalar[0])))
        assert torch.allclose(adv[1:], scalar[1:].unsqueeze(1).expand_as(adv[1:]))  # right answers: GRPO's


def test_rollouts_decode_through_merged_lora_and_unmerge_after(tokenizer):
    from peft import LoraConfig, get_peft_model

    from rerec.generation import generate
    from rerec.training.rollouts import merged_lora

    model = get_peft_model(
        tiny_model(tokenizer), LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)
    )
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    config = model.generation_config
    config.update(max_new_tokens=6, do_sample=False)
    prompt = [tokenizer("Recommend a film.", add_special_tokens=False)["input_ids"]]
    plain = generate(model, prompt, config, tokenizer.pad_token_id)
    with merged_lora(model):
        assert model.base_model.model.model.layers[0].self_attn.q_proj.merged
        merged = generate(model, prompt, config, tokenizer.pad_token_id)
    assert torch.equal(plain, merged)  # the same greedy tokens
    assert not model.base_model.model.model.layers[0].self_attn.q_proj.merged
    after = model.state_dict()
    assert all(torch.allclose(before[k], after[k], atol=1e-5) for k in before)  # weights restored (to rounding)
    with merged_lora(tiny_model(tokenizer)):  # no adapters: nothing to do
        pass
