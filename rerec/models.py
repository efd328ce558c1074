"""Model I/O: loading a policy (any HF id or folder, a LoRA checkpoint merged), exporting a trained one, and the
settings it was trained with.

A model folder rerec writes carries `rerec.json` beside its weights: the prompt it was trained on (facts, their
cap, layout and order, candidates shown), the answer mode, the grounding threshold and the prepared folder.
`rerec eval`, `recommend`, `chat`, `serve` and `demo` take their defaults from it, so a model is asked in the form
it learned; a flag given on the command line still wins, and the log says that it overrode the model's value.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from trl import ModelConfig

from rerec.assets import resolve_model
from rerec.machine import bf16_faster_on_cpu
from rerec.task.prompts import PromptConfig

logger = logging.getLogger(__name__)

SETTINGS_FILE = "rerec.json"


@dataclass
class ModelArguments(ModelConfig):
    """TRL's `ModelConfig` plus the switch it lacks: a model repository's own Python runs only when asked."""

    trust_remote_code: bool = field(
        default=False,
        metadata={"help": "Run the Python code a model repository ships (`auto_map`). Only for models you trust."},
    )


@dataclass
class ModelSettings:
    """How a model was trained to be asked: `PromptConfig`'s fields plus the answer mode, the grounding threshold
    and the prepared folder."""

    prompt: PromptConfig
    mode: str = "candidates"
    grounding_threshold: float = 0.85
    prepared: str | None = None

    def values(self) -> dict:
        """Flat: each name as the commands' configs spell it."""
        return {**asdict(self.prompt), "mode": self.mode, "grounding_threshold": self.grounding_threshold,
                "prepared": self.prepared}  # fmt: skip

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SETTINGS_FILE).write_text(json.dumps(self.values(), indent=2, sort_keys=True) + "\n")


def read_settings(model: str | Path) -> ModelSettings | None:
    """The settings of a model folder or run folder, of a checkpoint (from its run folder), or None (an HF id, a
    folder rerec did not write). A damaged file is an error that names it."""
    folders = [Path(model)] + ([Path(model).parent] if Path(model).name.startswith("checkpoint-") else [])
    for folder in folders:
        path = folder / SETTINGS_FILE
        if not path.is_file():
            continue
        try:
            values = json.loads(path.read_text())
            prompt = PromptConfig(**{f.name: values[f.name] for f in fields(PromptConfig) if f.name in values})
            return ModelSettings(prompt, values["mode"], values["grounding_threshold"], values.get("prepared"))
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path} is damaged ({err}); delete it to use the commands' own defaults") from None
    return None


def adopt(config, settings: ModelSettings | None, given: set[str]):
    """`config` (a dataclass) with the model's settings in every field of the same name that the command line did
    not set (`given`); a given value that differs from the model's is logged."""
    if settings is None:
        return config
    values, updates = settings.values(), {}
    for f in fields(config):
        value = values.get(f.name)
        if value is None or (f.name == "prepared" and not Path(value).is_dir()):
            continue  # a prepared folder on another machine is not a default
        if f.name not in given:
            updates[f.name] = value
        elif getattr(config, f.name) != value:
            logger.info("--%s %s overrides the model's %s (its %s)", f.name, getattr(config, f.name), value,
                        SETTINGS_FILE)  # fmt: skip
    return replace(config, **updates) if updates else config


def load_model(model_args: ModelArguments):
    """Model and left-padding tokenizer; the default name resolves to the embedded SmolLM2 folder, and a LoRA
    checkpoint (`rerec train --use_peft`) loads as its base model with the adapter merged, so it decodes at the
    base model's speed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model(model_args.model_name_or_path or "smollm2-135m-instruct")
    # A checkpoint's own Python runs only with --trust_remote_code; weights load from safetensors only, never
    # from pickled .bin files.
    trust = model_args.trust_remote_code
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = model_args.dtype if model_args.dtype not in (None, "auto") else "float32"
    if dtype == "bfloat16" and not cuda() and not bf16_faster_on_cpu():
        logger.warning("bfloat16 matmuls measured slower than float32 on this CPU (emulated?): loading float32")
        dtype = "float32"
    if (Path(path) / "adapter_config.json").is_file():  # a LoRA checkpoint: its base model with the adapter merged
        from peft import AutoPeftModelForCausalLM

        model = AutoPeftModelForCausalLM.from_pretrained(
            path, dtype=dtype, use_safetensors=True, trust_remote_code=trust
        ).merge_and_unload()
    else:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, use_safetensors=True, trust_remote_code=trust)
    return model, tokenizer


def cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def export(model, tokenizer, folder: Path, settings: ModelSettings) -> Path:
    """Save a trained model as a plain HF folder, LoRA merged into the weights, with its `rerec.json`."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    settings.write(folder)
    return folder
