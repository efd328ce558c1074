"""DAPO-style dynamic sampling: which groups tie, which rows refill them, how scored batches merge, and two real
training steps where half the queries always tie."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("trl")

from test_trainer import make_trainer  # noqa: E402

from rerec.training.config import ReRecConfig  # noqa: E402
from rerec.training.dynamic_sampling import merge_rows, refill_indices, tied_groups  # noqa: E402


def odd_query_reward(completions, query_index, **kwargs) -> list[float]:
    """Varies within the groups of odd-indexed queries only: even ones tie (a random model's accuracy does)."""
    return [len(str(c)) / 100 if q % 2 else 0.0 for c, q in zip(completions, query_index, strict=True)]


def test_tied_groups_follow_trl_zero_std_test():
    nan = float("nan")
    rewards = torch.tensor([0.5, 0.5, 0.5, 0.0, 1.0, 0.0, nan, nan, nan, nan, 0.2, 0.2])
    assert tied_groups(rewards, 3) == [True, False, True, True]


def test_refill_indices_are_fresh_then_repeat_and_reproducible():
    picks = refill_indices(10, 4, {0, 1, 2}, "0-5-0-0")
    assert len(set(picks)) == 4 and not set(picks) & {0, 1, 2}
    assert picks == refill_indices(10, 4, {0, 1, 2}, "0-5-0-0")
    assert picks != refill_indices(10, 4, {0, 1, 2}, "0-6-0-0")
    more = refill_indices(3, 5, {0}, "x")
    assert len(more) == 5 and set(more) == {1, 2}


def test_merge_rows_pads_each_side_to_the_widest():
    a = {
        "prompt_ids": torch.tensor([[9, 1, 2], [3, 4, 5]]), "prompt_mask": torch.tensor([[0, 1, 1], [1, 1, 1]]),
        "completion_ids": torch.tensor([[6], [7]]), "completion_mask": torch.tensor([[1], [1]]),
        "advantages": torch.tensor([0.5, -0.5]), "num_items_in_batch": torch.tensor(2),
    }  # fmt: skip
    b = {
        "prompt_ids": torch.tensor([[8]]), "prompt_mask": torch.tensor([[1]]),
        "completion_ids": torch.tensor([[1, 2, 3]]), "completion_mask": torch.tensor([[1, 1, 1]]),
        "advantages": torch.tensor([1.0]), "num_items_in_batch": torch.tensor(3),
    }  # fmt: skip
    merged = merge_rows([a, b], [(1, 0), (0, 1)], pad_token_id=9)
    assert merged["prompt_ids"].tolist() == [[9, 9, 8], [3, 4, 5]]
    assert merged["prompt_mask"].tolist() == [[0, 0, 1], [1, 1, 1]]
    assert merged["completion_ids"].tolist() == [[1, 2, 3], [7, 9, 9]]
    assert merged["completion_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert merged["advantages"].tolist() == [1.0, -0.5] and "num_items_in_batch" not in merged
    with pytest.raises(ValueError, match="text-only"):
        merge_rows([a | {"pixel_values": torch.zeros(1)}], [(0, 0)], 9)


def test_dynamic_sampling_replaces_tied_groups_in_real_steps(prepared, tokenizer, tmp_path, monkeypatch):
    trainer = make_trainer(
        prepared, tokenizer, tmp_path, qas=False, pas=False, raae=False, curriculum=False,
        per_device_train_batch_size=6, dynamic_sampling=True, dynamic_sampling_rounds=8,
    )  # fmt: skip
    # the accuracy reward varies in odd queries' groups only, while the length reward varies in every group: ties
    # are judged on accuracy; 8 rounds, as the 12-query pool runs out of odd queries first
    trainer.reward_funcs[trainer.reward_func_names.index("ndcg_reward")] = odd_query_reward
    trained = []  # per batch handed to the loss: which rollouts carry an advantage
    original = trainer._compute_loss

    def spy(model, inputs):
        trained.append(inputs["advantages"].ne(0).tolist())
        return original(model, inputs)

    monkeypatch.setattr(trainer, "_compute_loss", spy)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    assert any(not torch.equal(x, y) for x, y in zip(before, trainer.model.parameters(), strict=True))
    steps = [e for e in trainer.state.log_history if "dynamic_sampling/refilled_groups" in e]
    assert len(steps) == 2 and sum(e["dynamic_sampling/refilled_groups"] for e in steps) > 0
    assert all(e["dynamic_sampling/tied_share"] == 0 for e in steps)
    assert len(trained) == 2 and all(all(batch) for batch in trained)  # no tied (even-query) group was trained


def test_dynamic_sampling_needs_whole_groups_per_process(tmp_path, monkeypatch):
    """Two processes with 3 rollouts each: TRL's global batch (6) holds whole groups of 2, each process's does not."""
    monkeypatch.setattr(ReRecConfig, "world_size", property(lambda self: 2))
    settings = {
        "output_dir": str(tmp_path), "use_cpu": True, "bf16": False, "report_to": "none",
        "per_device_train_batch_size": 3, "num_generations": 2,
    }  # fmt: skip
    assert not ReRecConfig(**settings).dynamic_sampling
    with pytest.raises(ValueError, match="whole groups"):
        ReRecConfig(**settings, dynamic_sampling=True)
