"""Batched greedy generation for evaluation, with transformers or (on a GPU machine) vLLM: the same chat template
as training. Both yield one list of `Generated` per batch, so the harness writes each batch as it comes."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rerec.generation import generate, until_eos


@dataclass(frozen=True)
class Generated:
    """One completion with what it cost: its token count and its batch's seconds shared out per sequence."""

    text: str
    tokens: int
    seconds: float


def prompt_ids(tokenizer, prompts: Sequence[list[dict]]) -> list[list[int]]:
    """Token ids of chat prompts as the model reads them: its chat template with the generation prompt."""
    texts = [tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts]
    return [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]


def generate_batches(
    model, tokenizer, prompts: Sequence[list[dict]], batch_size: int, max_new_tokens: int
) -> Iterator[list[Generated]]:
    """Completions for `prompts` (chat messages), one list per batch of `batch_size`, greedy, through the
    generation path training and serving use (`rerec.generation`).

    Yielding per batch lets the caller write each batch to disk as it comes, so an interrupted evaluation keeps
    what it generated."""
    model.eval()
    config = copy.deepcopy(model.generation_config)
    config.update(max_new_tokens=max_new_tokens, do_sample=False)
    eos = config.eos_token_id
    eos = set(eos) if isinstance(eos, list) else {tokenizer.eos_token_id if eos is None else eos}
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start : start + batch_size]
        ids = prompt_ids(tokenizer, chunk)
        began = time.perf_counter()
        new = generate(model, ids, config, tokenizer.pad_token_id)
        seconds = (time.perf_counter() - began) / len(chunk)
        batch = []
        for row in new.tolist():
            row = until_eos(row, eos)
            row = [i for i in row if i not in eos and i != tokenizer.pad_token_id]
            batch.append(Generated(tokenizer.decode(row, skip_special_tokens=True), len(row), seconds))
        yield batch


def generate_batches_vllm(
    model_path: str, prompts: Sequence[list[dict]], batch_size: int, max_new_tokens: int, trust_remote_code: bool
) -> Iterator[list[Generated]]:
    """The same contract with vLLM's offline engine (`LLM.chat`, greedy), which applies the model's own chat
    template. Use a large `batch_size` (e.g. 256): vLLM schedules a batch's sequences itself. The repository's
    own Python runs only with `trust_remote_code`, as with the transformers backend."""
    try:
        from vllm import LLM, SamplingParams
    except ImportError:
        raise RuntimeError("--backend vllm needs vLLM, which is not installed: pip install vllm (CUDA)") from None
    llm = LLM(model=model_path, seed=0, trust_remote_code=trust_remote_code)
    params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens)
    for start in range(0, len(prompts), batch_size):
        chunk = list(prompts[start : start + batch_size])
        began = time.perf_counter()
        outputs = llm.chat(chunk, params, use_tqdm=False)
        seconds = (time.perf_counter() - began) / len(chunk)
        yield [Generated(out.outputs[0].text, len(out.outputs[0].token_ids), seconds) for out in outputs]
