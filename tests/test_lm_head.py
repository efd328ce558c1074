"""TRL's fused LM head on a CPU projects only the labelled positions, with the same log-probs and entropies."""

from __future__ import annotations

import torch
import trl.trainer.utils as trl_utils
from conftest import tiny_model
from trl.trainer.utils import add_fused_lm_head

from rerec.training.lm_head import compact_fused_head_on_cpu


def test_only_labelled_positions_are_projected_and_the_numbers_stay(tokenizer, monkeypatch):
    model = tiny_model(tokenizer).eval()
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    ids = torch.randint(10, 1000, (2, 12))
    labels = ids.clone()
    labels[:, :8] = -100  # the prompt: no label
    rows = []
    kernel = trl_utils._ChunkedLogProbFunction

    class Spy:
        @staticmethod
        def apply(hidden, *args):
            rows.append(hidden.shape[0])
            return kernel.apply(hidden, *args)

    monkeypatch.setattr(trl_utils, "_ChunkedLogProbFunction", Spy)
    choose = trl_utils._use_triton
    monkeypatch.setattr(trl_utils, "_use_triton", getattr(choose, "wrapped", choose))  # TRL's own choice
    with torch.no_grad():
        every = model(input_ids=ids, labels=labels, fused_lm_head=True)
        compact_fused_head_on_cpu()
        compact_fused_head_on_cpu()  # idempotent
        only = model(input_ids=ids, labels=labels, fused_lm_head=True)
    assert rows == [2 * 11, 2 * 4]  # every shifted position, then the 4 labelled ones per row
    torch.testing.assert_close(only.log_probs, every.log_probs)
    torch.testing.assert_close(only.entropy, every.entropy)
    assert trl_utils._use_triton.wrapped is getattr(choose, "wrapped", choose)
