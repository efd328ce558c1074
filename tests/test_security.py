"""Safe defaults: the server binds loopback unless told otherwise, model weights load only from safetensors, a
model repository's own Python runs only with `--trust_remote_code`, and the API takes no file paths."""

from __future__ import annotations

import json

import pytest
from conftest import tiny_model

from rerec.models import ModelArguments, load_model
from rerec.serve import commands
from rerec.serve.api import RecommendBody, ServeConfig


def test_server_binds_loopback_by_default():
    assert ServeConfig().host == "127.0.0.1"
    assert commands.parse("serve", [])[1].host == "127.0.0.1"


def test_pickled_weights_are_refused(tokenizer, tmp_path):
    import torch

    folder = tmp_path / "pickled"
    model = tiny_model(tokenizer)
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")  # the old pickle format; transformers 5 writes none
    with pytest.raises(OSError, match="safetensors"):
        load_model(ModelArguments(model_name_or_path=str(folder)))
    safe = tmp_path / "safe"
    tiny_model(tokenizer).save_pretrained(safe)
    tokenizer.save_pretrained(safe)
    model, _tok = load_model(ModelArguments(model_name_or_path=str(safe)))
    assert model.config.num_hidden_layers == 2


def test_a_models_own_code_runs_only_when_trusted(tokenizer, tmp_path):
    folder = tmp_path / "custom"
    tiny_model(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    marker = tmp_path / "ran"
    (folder / "custom_llama.py").write_text(
        "from pathlib import Path\n"
        "from transformers import LlamaForCausalLM\n"
        f"Path({str(marker)!r}).touch()\n"
        "class CustomLlama(LlamaForCausalLM):\n    pass\n"
    )
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(
        json.dumps({**config, "auto_map": {"AutoModelForCausalLM": "custom_llama.CustomLlama"}})
    )
    model, _tok = load_model(ModelArguments(model_name_or_path=str(folder)))  # the built-in class, not the repo's
    assert type(model).__name__ == "LlamaForCausalLM" and not marker.exists()
    model, _tok = load_model(ModelArguments(model_name_or_path=str(folder), trust_remote_code=True))
    assert marker.exists() and type(model).__name__ == "CustomLlama"
    assert commands.parse("serve", [])[0].trust_remote_code is False


def test_the_api_accepts_no_paths():
    """Nothing a client sends names a file: the body's fields are text, ids and a count, and unknown fields (a
    `model` or `prepared` path, say) are refused by the schema (422), so there is no path to traverse."""
    assert set(RecommendBody.model_fields) == {"query", "user_id", "liked", "k"}
    with pytest.raises(ValueError, match="Extra inputs"):
        RecommendBody(query="a film", model="../../etc/passwd")
