"""The one generation path of rollouts (training), evaluation and serving: `model.generate`, minus two costs that
plain `generate` pays on a CPU.

1. *Shared prefill.* GRPO samples G completions of each prompt, and plain `generate` encodes every copy: on
   2 CPU cores the prompts' forward pass was 11.4 of a 27.5 s rollout batch (4 prompts x 4 copies, ~330 prompt
   tokens). Here each distinct prompt is encoded once and its key/value cache is copied to its rows.
2. *No cache copying.* A dynamic cache grows by concatenation, copying every layer's keys and values at every
   token (60 of the 142 ms of a 16-row decoding step measured there); a static cache is allocated once for
   prompt + `max_new_tokens` and written in place.

Gradients are off with `no_grad`, not `inference_mode`: under mixed precision autocast caches its bf16 copy of
each fp32 weight for the whole region, but not inside inference mode, where every decoded token cast all the
weights again (GRPO rollouts of 16 on 2 AMD EPYC cores with AVX512-BF16: 21.7 -> 12.8 s per step, measured
together with `rerec.training.lm_head`'s change, which does not touch generation).

Decoding itself (sampling, logits processors, stopping) is still `generate`'s, handed the filled cache, so
greedy answers are the same as plain `generate`'s up to floating-point summation order.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from transformers import DynamicCache, GenerationConfig, StaticCache
from trl.trainer.utils import pad


def left_pad(rows: Sequence[Sequence[int]], pad_token_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`(input_ids, attention_mask)`, rows left-padded to the longest (TRL's `pad`, as its rollouts pad)."""
    tensors = [torch.tensor(list(row), dtype=torch.long) for row in rows]
    ids = pad(tensors, padding_value=pad_token_id, padding_side="left")
    mask = pad([torch.ones_like(t) for t in tensors], padding_value=0, padding_side="left")
    return ids, mask


def generate(
    model, prompts: Sequence[Sequence[int]], generation_config: GenerationConfig, pad_token_id: int
) -> torch.Tensor:
    """The new tokens `generate` writes after each prompt (token ids), as a (rows, new tokens) tensor padded with
    `pad_token_id` after a row's end; identical prompts are encoded once."""
    if not prompts or min(len(p) for p in prompts) == 0:
        raise ValueError("every prompt needs at least one token")
    device = model.device
    ids, mask = (t.to(device) for t in left_pad(prompts, pad_token_id))
    width, budget = ids.shape[1], generation_config.max_new_tokens
    if budget is None:
        raise ValueError("generation_config.max_new_tokens must be set (it sizes the cache)")
    firsts, rows = distinct_rows(torch.cat([ids, mask], dim=1))  # identical prompts pad identically
    cache = _prefilled_cache(model, ids[firsts], mask[firsts], rows, width + budget)
    config = copy.copy(generation_config)
    config.pad_token_id = pad_token_id
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, cache=cache, generation_config=config)
    return out[:, width:]


def distinct_rows(key: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`(firsts, rows)`: the first row of each distinct row of `key` (in order of first appearance), and for every
    row the index of its distinct row among `firsts`."""
    seen: dict[tuple[int, ...], int] = {}
    firsts, rows = [], []
    for i, row in enumerate(key.tolist()):
        rows.append(seen.setdefault(tuple(row), len(firsts)))
        if rows[-1] == len(firsts):
            firsts.append(i)
    device = key.device
    return torch.tensor(firsts, device=device), torch.tensor(rows, device=device)


def until_eos(row: Sequence[int], eos_token_ids: Sequence[int]) -> list[int]:
    """A generated row up to and including its first end-of-sequence token (what follows is padding)."""
    for i, token in enumerate(row):
        if token in eos_token_ids:
            return list(row[: i + 1])
    return list(row)


def _prefilled_cache(model, ids: torch.Tensor, mask: torch.Tensor, rows: torch.Tensor, length: int):
    """A cache holding all but the last token of each distinct prompt (`generate` feeds that one itself, to get
    the first logits), copied to every row that asks for it (`rows[i]`: the distinct prompt of row i). Positions
    are counted from each row's first real token, as `generate` counts them."""
    if ids.shape[1] == 1:  # nothing before the last token: `generate` encodes it all
        return None
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        shared = DynamicCache(config=model.config)
        model(
            input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=positions[:, :-1], cache=shared,
            use_cache=True, logits_to_keep=1,
        )  # fmt: skip
        if not getattr(model, "_can_compile_fullgraph", False):  # no static cache for this architecture
            shared.reorder_cache(rows)
            return shared
        cache = StaticCache(config=model.config, max_cache_len=length)
        for index, layer in enumerate(shared.layers):
            cache.update(layer.keys.index_select(0, rows), layer.values.index_select(0, rows), index)
    return cache
