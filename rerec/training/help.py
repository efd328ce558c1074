"""`rerec train --help` and `rerec sft --help`: rerec's own switches first, not 1,400 lines of TRL/Transformers.

The full parser (every `GRPOConfig`/`SFTConfig`/`TrainingArguments`/`ModelConfig` field) stays one flag away,
`--help-all`; the short page lists the dataclasses rerec defines and the fields its trainer configs add on top of
TRL's, each with its default, plus the handful of TRL fields the presets set.
"""

from __future__ import annotations

import argparse
import dataclasses

from rerec.presets import help_text, preset_names

# TRL/Transformers fields a user of the presets most often changes; the rest is in --help-all.
COMMON = ("model_name_or_path", "output_dir", "learning_rate", "max_steps", "num_generations",
          "per_device_train_batch_size", "max_completion_length", "bf16", "use_peft", "seed")  # fmt: skip


def short_help(prog: str, own: list[type], config: type, base: type, model: type) -> str:
    """The help page: `own` dataclasses in full, `config`'s fields beyond `base`, then `COMMON` ones."""
    parser = argparse.ArgumentParser(
        prog=prog,
        add_help=False,
        usage=f"{prog} [--config PRESET_OR_YAML] [--resume] [--overwrite] [--FIELD VALUE ...]",
        description=f"Presets: {', '.join(preset_names())} (`rerec presets` describes them), or any YAML file; "
        "every flag overrides the preset's value.",
        epilog=f"Every TRL/Transformers option (about 250 more): {prog} --help-all",
    )
    for cls in own:
        _group(parser, cls.__name__, (f for f in dataclasses.fields(cls) if f.init))
    inherited = {f.name for f in dataclasses.fields(base)}
    _group(parser, f"{config.__name__} (rerec's fields on top of TRL's {base.__name__})",
           (f for f in dataclasses.fields(config) if f.init and f.name not in inherited))  # fmt: skip
    fields = {f.name: f for cls in (config, model) for f in dataclasses.fields(cls)}
    _group(parser, "often changed TRL/Transformers fields", (fields[name] for name in COMMON if name in fields))
    return parser.format_help()


def _group(parser: argparse.ArgumentParser, title: str, fields) -> None:
    group = parser.add_argument_group(title)
    for f in fields:
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        text = f.metadata.get("help", "").split("\n")[0].strip()
        group.add_argument(f"--{f.name}", metavar="", help=help_text(f"{text} (default: {default})"))
