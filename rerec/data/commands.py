"""`rerec prepare` and `rerec fetch`: the prepared benchmark folder, and source datasets fetched into the cache."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from rerec.presets import parse_config


@dataclass
class PrepareOutput:
    """What `rerec prepare` prints when it is done."""

    json: bool = field(default=False, metadata={"help": "Print summary.json instead of the per-type table."})


@dataclass
class FetchArgs:
    """`rerec fetch bookcrossing` is `rerec fetch --dataset bookcrossing`."""

    dataset: Literal["bookcrossing"] = field(
        metadata={"help": "The dataset to download into the cache, or the first word."}
    )


def prepare(argv: list[str]) -> int:
    from rerec.config import DataConfig
    from rerec.data.lightgcn import LightGCNConfig
    from rerec.data.prepare import prepare as build

    cfg, lightgcn, output = parse_config((DataConfig, LightGCNConfig, PrepareOutput), "prepare", argv)
    summary = build(cfg, lightgcn)
    if output.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
        return 0
    print(f"prepared {summary['dataset']} -> {cfg.out}")
    print(f"{'type':<12} {'train':>6} {'val':>6} {'test':>6}")
    for kind, counts in summary["queries"].items():
        print(f"{kind:<12} {counts['train']:>6} {counts['val']:>6} {counts['test']:>6}")
    print(f"total {summary['total_queries']} queries; summary in {cfg.out}/summary.json")
    return 0


def fetch(argv: list[str]) -> int:
    from rerec.data.sources.bookcrossing import fetch_bookcrossing

    parse_config((FetchArgs,), "fetch", argv, positional="dataset")  # one dataset can be fetched today
    print(f"Book-Crossing CSVs in {fetch_bookcrossing()}")
    return 0
