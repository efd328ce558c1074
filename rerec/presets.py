"""Ready-made run configurations shipped inside the package (`rerec/presets/*.yaml`): `--config cpu-demo` is
`--config <package>/presets/cpu-demo.yaml`; a path to any YAML file works as well."""

from __future__ import annotations

from pathlib import Path

PRESETS_DIR = Path(__file__).parent / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


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


def given_fields(argv: list[str]) -> set[str]:
    """The fields a command line sets: its `--name` / `--name=value` flags and the keys of its `--config` YAML, so
    that settings a model carries (`rerec.models.adopt`) give way only to what a user chose."""
    import yaml

    argv, names = resolve_presets(argv), set()
    for i, arg in enumerate(argv):
        if not arg.startswith("--"):
            continue
        name, _, value = arg[2:].partition("=")
        if name != "config":
            names.add(name)
            continue
        path = value or (argv[i + 1] if i + 1 < len(argv) else "")
        if path:
            names |= set(yaml.safe_load(Path(path).read_text()) or {})
    return names
