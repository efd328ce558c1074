"""Ready-made run configurations shipped inside the package (`rerec/presets/*.yaml`): `--config cpu-demo` is
`--config <package>/presets/cpu-demo.yaml`; a path to any YAML file works as well. Each preset's first line is its
one-line description (`rerec presets`). Launcher configurations for `accelerate launch --config_file` live apart,
in `rerec/presets/accelerate/`, since they are not run configurations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trl import TrlParser

PRESETS_DIR = Path(__file__).parent / "presets"
ACCELERATE_DIR = PRESETS_DIR / "accelerate"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def describe(path: Path) -> str:
    """A YAML file's one-line description: its first line, when that is a comment."""
    first = path.read_text().partition("\n")[0]
    return first.lstrip("# ").strip() if first.startswith("#") else ""


def listing() -> str:
    """What `rerec presets` prints: each run preset with its description, then the launcher configurations."""
    width = max(map(len, preset_names()))
    lines = ["Run presets (`rerec train|sft --config NAME`, or any YAML path):"]
    lines += [f"  {name:<{width}}  {describe(preset_path(name))}" for name in preset_names()]
    lines.append("Launcher configurations (`accelerate launch --config_file PATH -m rerec.cli train ...`):")
    lines += [f"  {path}  {describe(path)}" for path in sorted(ACCELERATE_DIR.glob("*.yaml"))]
    return "\n".join(lines)


def preset_path(name: str) -> Path:
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"no preset {name!r}; presets: {', '.join(preset_names())}, or give a YAML file's path")
    return path


def resolve_presets(argv: list[str]) -> list[str]:
    """`argv` with the value of `--config` turned into a preset's path when it names one (no `/`, no suffix)."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--config" and i + 1 < len(out):
            value = out[i + 1]
        elif arg.startswith("--config="):
            value = arg.split("=", 1)[1]
        else:
            continue
        if "/" not in value and not value.endswith((".yaml", ".yml")):
            path = str(preset_path(value))
            out[i : i + 2] = ["--config", path] if arg == "--config" else [f"--config={path}"]
    return out


def flag_names(argv: list[str]) -> set[str]:
    """The fields a command line's own flags name (`--name`, `--name=value`, `--name-with-dashes`)."""
    return {arg[2:].partition("=")[0].replace("-", "_") for arg in argv if arg.startswith("--")}


def given_fields(argv: list[str]) -> set[str]:
    """The fields a command line sets: its flags and the keys of its `--config` YAML, so that settings a model
    carries (`rerec.models.adopt`) give way only to what a user chose."""
    import yaml

    argv, names = resolve_presets(argv), flag_names(argv) - {"config"}
    for i, arg in enumerate(argv):
        if arg.split("=")[0] == "--config":
            path = arg.partition("=")[2] or (argv[i + 1] if i + 1 < len(argv) else "")
            names |= set(yaml.safe_load(Path(path).read_text()) or {}) if path else set()
    return names


def help_text(text: str) -> str:
    """`text` as argparse's help formatter needs it: rerec's help strings are plain text ("53% of prompts"), and
    argparse reads `%` as a format, so a lone one is doubled; `%%` and `%(default)s` are kept."""
    return re.sub(r"%%|%(?!\()", "%%", text)


def parse_config(types: tuple, command: str, argv: list[str], positional: str | None = None) -> tuple:
    """The parsing every command shares: TRL's parser over the command's typed configs, `--config` a preset name or
    a YAML file. Keys of the file that belong to other commands (a run preset's learning rate, read by `rerec
    eval`) are left alone; an unknown flag on the command line is still an error. The words before the first flag
    fill the `positional` field: `rerec report A B --out x` is `rerec report --folders A B --out x`."""
    if positional and argv and not argv[0].startswith("-"):
        argv = [f"--{positional}", *argv]
    parser = config_parser(types, command)
    return parser.parse_args_and_config(args=resolve_presets(argv), fail_with_unknown_args=False)


def config_parser(types: tuple, command: str) -> TrlParser:
    """TRL's parser over `types`, its help strings made safe for argparse's `%` formatting (`help_text`)."""
    from trl import TrlParser

    parser = TrlParser(types, prog=f"rerec {command}")
    for action in parser._actions:  # argparse keeps no public list of them
        action.help = action.help and help_text(action.help)
    return parser
