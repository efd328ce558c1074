"""Character spans of generated tokens, read from the tokens themselves.

Re-tokenising a decoded completion does not give back the sampled ids when sampling produced a split the
tokenizer would not write ("esc" + "ape" for "escape"), and every token after that point would lose its span.
For byte-level BPE tokenizers (GPT-2, SmolLM2, Qwen, Llama 3) each token *is* a byte string, so the spans come
from the vocabulary's own bytes; other tokenizers fall back to re-tokenisation (`None` here).
"""

from __future__ import annotations

import functools

from tokenizers import decoders
from transformers.convert_slow_tokenizer import bytes_to_unicode


@functools.lru_cache(maxsize=1)
def _byte_of() -> dict[str, int]:
    return {char: byte for byte, char in bytes_to_unicode().items()}


def byte_level_offsets(tokenizer, ids: list[int]) -> tuple[str, list[tuple[int, int]]] | None:
    """`(text, spans)`: the completion without special tokens, as `decode(skip_special_tokens=True)` gives it,
    and each token's `(start, end)` character span in it (empty for special tokens)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or not isinstance(backend.decoder, decoders.ByteLevel):
        return None
    byte_of, special = _byte_of(), set(tokenizer.all_special_ids)
    pieces = [
        b"" if tid in special else bytes(byte_of[c] for c in token if c in byte_of)
        for tid, token in zip(ids, tokenizer.convert_ids_to_tokens(ids), strict=True)
    ]
    data = b"".join(pieces)
    text = data.decode("utf-8", errors="replace")
    spans, position = [], 0
    for piece in pieces:
        start = len(data[:position].decode("utf-8", errors="ignore"))
        position += len(piece)
        spans.append((start, len(data[:position].decode("utf-8", errors="ignore"))))
    return text, spans


def completion_offsets(tokenizer, ids: list[int], text: str) -> tuple[list[tuple[int, int]], bool]:
    """`(spans, complete)`: each generated token's character span in `text` (its decoding), from the tokens' own
    bytes when the tokenizer is byte-level BPE, else by re-tokenising `text` — then only up to the first id that
    differs from `ids` (`complete` is False)."""
    mapped = byte_level_offsets(tokenizer, ids)
    if mapped is not None and mapped[0] == text:
        return mapped[1], True
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    n = 0
    for x, y in zip(enc["input_ids"], ids, strict=False):
        if x != y:
            break
        n += 1
    return list(enc["offset_mapping"][:n]), n == len(enc["input_ids"])
