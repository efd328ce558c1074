"""The commands whose code sits in rerec's top-level modules: `rerec demo`, `rerec assets`, `rerec presets`.
Each parses its typed config as every rerec command does (`presets.parse_config`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rerec.presets import parse_config


@dataclass
class AssetsArgs:
    """Where the embedded files live, and whether to convert the model now."""

    convert_model: bool = field(
        default=False, metadata={"help": "De-quantise the SmolLM2 GGUF once into a plain HF folder in the cache."}
    )


def demo(argv: list[str]) -> int:
    from rerec.demo import DemoConfig, run_demo

    (cfg,) = parse_config((DemoConfig,), "demo", argv)
    print(run_demo(cfg))
    return 0


def assets(argv: list[str]) -> int:
    """1 when an embedded asset's package is missing; the line says how to install it."""
    from rerec import assets as embedded

    (args,) = parse_config((AssetsArgs,), "assets", argv)
    rows = {
        "cache": embedded.cache_dir,
        "smollm2 gguf": embedded.smollm2_gguf,
        "ml-100k": lambda: embedded.recbole_dataset_dir("ml-100k"),
        "wikidata movies.db": embedded.movies_db,
        "all-MiniLM-L6-v2": embedded.minilm_dir,
    }
    if args.convert_model:
        rows["smollm2 (HF folder)"] = lambda: embedded.resolve_model(embedded.DEFAULT_MODEL)
    status = 0
    for label, locate in rows.items():
        try:
            print(f"{label:<20} {locate()}")
        except embedded.MissingAssetError as err:
            print(f"{label:<20} MISSING: {err}")
            status = 1
    return status


def presets(argv: list[str]) -> int:
    from rerec.presets import listing

    parse_config((), "presets", argv)  # no flags of its own; answers --help
    print(listing())
    return 0
