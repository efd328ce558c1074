"""Shared-prefix log-probs: the same numbers and gradients as TRL's row-by-row forward, on shuffled groups of a
tiny random model with left-padded prompts of different lengths."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("trl")

from test_trainer import make_trainer  # noqa: E402

from rerec.generation import distinct_rows  # noqa: E402
from rerec.training.config import ReRecConfig  # noqa: E402


def test_distinct_rows_in_order_of_first_appearance():
    firsts, rows = distinct_rows(torch.tensor([[1, 2], [3, 4], [1, 2], [3, 4], [5, 6]]))
    assert firsts.tolist() == [0, 1, 4] and rows.tolist() == [0, 1, 0, 1, 2]


def grouped_batch(tokenizer, copies: int = 3) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Two prompts of different lengths (left-padded) × `copies` completions of different lengths (right-padded),
    rows shuffled as TRL shuffles a generation batch."""
    g = torch.Generator().manual_seed(0)
    pad = tokenizer.pad_token_id
    prompts = [tokenizer("Recommend a film like Jaws, please.")["input_ids"], tokenizer("A comedy?")["input_ids"]]
    width = max(map(len, prompts))
    rows, masks = [], []
    for prompt in prompts:
        for _ in range(copies):
            n = int(torch.randint(2, 7, (1,), generator=g))
            completion = torch.randint(100, 5000, (n,), generator=g).tolist()
            left, right = width - len(prompt), 6 - n
            rows.append([pad] * left + prompt + completion + [pad] * right)
            masks.append([0] * left + [1] * (len(prompt) + n) + [0] * right)
    order = torch.randperm(len(rows), generator=g)
    return torch.tensor(rows)[order], torch.tensor(masks)[order], 6


@pytest.mark.parametrize("batch_size", [6, 4])
def test_shared_prefix_matches_trl_values_and_gradients(prepared, tokenizer, tmp_path, batch_size):
    trainer = make_trainer(prepared, tokenizer, tmp_path, shared_prefix_loss=True, gradient_checkpointing=False)
    model = trainer.model
    model.train()
    ids, mask, keep = grouped_batch(tokenizer)
    results = []
    for shared in (False, True):
        trainer.args.shared_prefix_loss = shared
        model.zero_grad()
        logps, entropies, _ = trainer._get_per_token_logps_and_entropies(
            model, ids, mask, keep, batch_size=batch_size, compute_entropy=True
        )
        (logps * mask[:, -keep:]).sum().backward()
        results.append((logps.detach(), entropies.detach(), [p.grad.clone() for p in model.parameters()]))
    (plain, plain_h, plain_g), (shared, shared_h, shared_g) = results
    completion = mask[:, -keep:].bool()
    assert torch.allclose(plain[completion], shared[completion], atol=1e-5)
    assert torch.allclose(plain_h[completion], shared_h[completion], atol=1e-5)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(plain_g, shared_g, strict=True))
    assert float(sum(g.abs().sum() for g in shared_g)) > 0


def test_two_training_steps_with_shared_prefix(prepared, tokenizer, tmp_path):
    trainer = make_trainer(prepared, tokenizer, tmp_path, shared_prefix_loss=True, gradient_checkpointing=False)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters(), strict=True))


def test_shared_prefix_refuses_gradient_checkpointing(tmp_path):
    with pytest.raises(ValueError, match="gradient_checkpointing=False"):
        ReRecConfig(
            output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none", per_device_train_batch_size=2,
            num_generations=2, shared_prefix_loss=True, gradient_checkpointing=True,
        )  # fmt: skip
