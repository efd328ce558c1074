"""The shared generation path: the same greedy tokens as plain `generate`, one prefill per distinct prompt."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_model
from transformers import GenerationConfig

from rerec.generation import generate, left_pad, until_eos
from rerec.runtime import keep_freed_memory

PROMPTS = [[5, 6, 7, 8, 9], [5, 6, 7, 8, 9], [11, 12], [11, 12], [13, 14, 15], [5, 6, 7, 8, 9]]


@pytest.fixture(scope="module")
def model(tokenizer):
    return tiny_model(tokenizer).eval()


def test_greedy_tokens_equal_plain_generate(model, tokenizer):
    config = GenerationConfig(max_new_tokens=12, do_sample=False)
    pad = tokenizer.pad_token_id
    ids, mask = left_pad(PROMPTS, pad)
    with torch.inference_mode():
        plain = model.generate(input_ids=ids, attention_mask=mask, generation_config=config, pad_token_id=pad)
    assert generate(model, PROMPTS, config, pad).tolist() == plain[:, ids.shape[1] :].tolist()


def test_each_distinct_prompt_is_encoded_once(model, tokenizer):
    batches = []
    hook = model.model.register_forward_pre_hook(
        lambda _m, _a, kw: batches.append(kw["input_ids"].shape), with_kwargs=True
    )
    try:
        generate(model, PROMPTS, GenerationConfig(max_new_tokens=3, do_sample=False), tokenizer.pad_token_id)
    finally:
        hook.remove()
    assert batches[0] == (3, 4)  # 3 distinct prompts, all but the last of 5 (padded) tokens
    assert all(shape == (len(PROMPTS), 1) for shape in batches[1:])  # then one token per row and step


def test_autocast_casts_the_weights_once_per_generation(model, tokenizer):
    """Under mixed precision the bf16 copy of each weight is made once, not once per decoded token."""
    head = list(model.lm_head.weight.shape)
    config = GenerationConfig(max_new_tokens=6, do_sample=False)
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.profiler.profile(record_shapes=True) as prof:
        generate(model, PROMPTS[:2], config, tokenizer.pad_token_id)
    casts = [e for e in prof.events() if e.name == "aten::_to_copy" and e.input_shapes and e.input_shapes[0] == head]
    assert len(casts) == 1


def test_copies_of_a_prompt_are_sampled_independently(model, tokenizer):
    torch.manual_seed(0)
    config = GenerationConfig(max_new_tokens=8, do_sample=True, temperature=1.0, top_k=0, top_p=1.0)
    out = generate(model, [[5, 6, 7]] * 4, config, tokenizer.pad_token_id).tolist()
    assert len({tuple(row) for row in out}) > 1


def test_a_prompt_needs_a_token(model, tokenizer):
    with pytest.raises(ValueError, match="at least one token"):
        generate(model, [[5], []], GenerationConfig(max_new_tokens=2), tokenizer.pad_token_id)


def test_a_row_ends_at_its_first_end_token():
    assert until_eos([4, 2, 9, 2], [2]) == [4, 2]
    assert until_eos([4, 5], [2]) == [4, 5]


def test_the_allocator_keeps_freed_memory_on_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert keep_freed_memory()
