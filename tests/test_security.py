"""Safe defaults: the server binds loopback unless told otherwise, and model weights load only from safetensors."""

from __future__ import annotations

import pytest
from conftest import tiny_model
from trl import ModelConfig

from rerec.cli import build_parser
from rerec.serve.api import ServeConfig
from rerec.training.run import load_model


def test_server_binds_loopback_by_default():
    assert ServeConfig().host == "127.0.0.1"
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_pickled_weights_are_refused(tokenizer, tmp_path):
    import torch

    folder = tmp_path / "pickled"
    model = tiny_model(tokenizer)
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")  # the old pickle format; transformers 5 writes none
    with pytest.raises(OSError, match="safetensors"):
        load_model(ModelConfig(model_name_or_path=str(folder)))
    safe = tmp_path / "safe"
    tiny_model(tokenizer).save_pretrained(safe)
    tokenizer.save_pretrained(safe)
    model, _tok = load_model(ModelConfig(model_name_or_path=str(safe)))
    assert model.config.num_hidden_layers == 2
