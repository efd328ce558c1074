"""rerec command line.

Usage (copy-paste):

    rerec demo                                                 # the main job on the embedded default (~29 min)
    rerec prepare --dataset ml-100k --out runs/ml100k          # catalog, graphs and the query benchmark
    rerec prepare --dataset ml-100k --out runs/ml100k --json   # ... and print summary.json
    rerec prepare --dataset custom --data_dir my_catalog/ --out runs/mine   # your own files (docs/data-format.md)
    rerec sft --config cpu-sft                                 # warm start: answer format + checkable steps
    rerec eval --model_name_or_path runs/cpu-demo/final --split test --max_queries 90 --output_dir runs/eval/x
    rerec eval --baseline popularity --split test --output_dir runs/eval/popularity   # random, lightgcn, bm25, ...
    rerec report runs/eval/base runs/eval/grpo-seed0 runs/eval/grpo-seed1 --out reports/demo   # table + plots
    rerec report runs/eval/rerec-seed* runs/eval/grpo-seed* --out reports/study --paired rerec grpo   # A - B per query
    rerec report runs/eval/rerec-seed0 --curves runs/curve/rerec-seed0 --out reports/curve   # + learning curves
    rerec retention --model_name_or_path runs/cpu-sft/final --output_dir runs/retention/sft  # general skills kept?
    rerec train --config cpu-demo                              # GRPO + QAS/PAS rewards + RAAE + curriculum
    rerec train --config cpu-demo --resume                     # continue after a crash or kill
    rerec train --config cpu-demo --raae false --curriculum false --qas false --pas false   # vanilla GRPO
    rerec train --config my-run.yaml                           # any YAML file (presets: rerec/presets/)
    rerec recommend "films by the director of Jaws (1975)"      # ask the trained (else the base) model
    rerec recommend "a 90s comedy" --user 42 -k 5 --json       # for a known user, as JSON
    rerec chat                                                 # follow-ups refine: "not that one", "older"
    rerec serve --port 8000                                    # HTTP API + web page on 127.0.0.1
    rerec data fetch bookcrossing                              # Book-Crossing CSVs into the cache
    rerec assets                                               # where the embedded model/data/encoder live
    rerec assets --convert_model                               # de-quantise SmolLM2 into the cache once
    rerec presets                                              # the shipped run presets, one line each

Heavy libraries are imported inside each handler so that `rerec --help` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sys
from pathlib import Path

from rerec.runtime import keep_freed_memory

OVERWRITE_RUN = "start over in an output_dir an earlier run of this command wrote (its checkpoints are deleted)"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NO_SPACE = (
    "the disk is full ({}). Free some space or choose another output folder. What rerec finished is whole "
    "(outputs and checkpoints are written aside, then renamed into place): `rerec train --resume` continues from "
    "the last checkpoint, and a rerun of the other commands skips or redoes only what is missing."
)


def _prepare(rest: list[str], as_json: bool) -> int:
    from rerec.config import DataConfig
    from rerec.data.lightgcn import LightGCNConfig
    from rerec.data.prepare import prepare
    from rerec.presets import parse_config

    cfg, lightgcn = parse_config((DataConfig, LightGCNConfig), "prepare", rest)
    summary = prepare(cfg, lightgcn)
    if as_json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(f"prepared {summary['dataset']} -> {cfg.out}")
        print(f"{'type':<12} {'train':>6} {'val':>6} {'test':>6}")
        for kind, counts in summary["queries"].items():
            print(f"{kind:<12} {counts['train']:>6} {counts['val']:>6} {counts['test']:>6}")
        print(f"total {summary['total_queries']} queries; summary in {cfg.out}/summary.json")
    return 0


def _short_help(rest: list[str], command: str) -> bool:
    """Print rerec's own switches for `train`/`sft --help` (True when printed); `--help-all` becomes the full
    TRL/Transformers `--help`."""
    if "--help-all" in rest:
        rest[rest.index("--help-all")] = "--help"
        return False
    if not {"-h", "--help"} & set(rest):
        return False
    from trl import GRPOConfig, ModelConfig, SFTConfig

    from rerec.rewards.shaping import RewardConfig
    from rerec.task.prompts import PromptConfig
    from rerec.task.rows import TrainDataArguments
    from rerec.training.config import ReRecConfig, WarmStartConfig
    from rerec.training.help import short_help

    if command == "train":
        text = short_help("rerec train", [TrainDataArguments, RewardConfig, PromptConfig], ReRecConfig, GRPOConfig,
                          ModelConfig)  # fmt: skip
    else:
        text = short_help("rerec sft", [TrainDataArguments, PromptConfig], WarmStartConfig, SFTConfig, ModelConfig)
    print(text, end="")
    return True


def _train(rest: list[str], resume: bool, overwrite: bool) -> int:
    from rerec.training.run import train_from_args

    if _short_help(rest, "train"):
        return 0
    print(f"trained model in {train_from_args(rest, resume, overwrite)}")
    return 0


def _sft(rest: list[str], resume: bool, overwrite: bool) -> int:
    from rerec.training.run import sft_from_args

    if _short_help(rest, "sft"):
        return 0
    final = sft_from_args(rest, resume, overwrite)
    print(f"warm-started model in {final}; train on it with --model_name_or_path {final}")
    return 0


def _demo(rest: list[str]) -> int:
    from rerec.demo import DemoConfig, run_demo
    from rerec.presets import parse_config

    (cfg,) = parse_config((DemoConfig,), "demo", rest)
    print(run_demo(cfg))
    return 0


def _retention(rest: list[str]) -> int:
    from rerec.eval.retention import RetentionConfig, run_retention
    from rerec.models import ModelArguments, load_model
    from rerec.presets import parse_config

    model_args, cfg = parse_config((ModelArguments, RetentionConfig), "retention", rest)
    model, tokenizer = load_model(model_args)
    result = run_retention(cfg, model, tokenizer)
    for name, row in result.items():
        print(f"{name:<12} {row['passed']:>3}/{row['n']:<3} {row['rate']:.3f}")
    print(f"answers and pass rates in {cfg.output_dir}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from rerec.eval.report import write_report

    folders, out = [Path(f) for f in args.folders], args.out
    curves = [Path(f) for f in args.curves or []]
    path = write_report(folders, Path(out), args.metrics, args.title, args.overwrite, args.paired or [], curves)
    print(path.read_text(), end="")
    print(f"report, JSON and plots in {out}")
    return 0


def _run(module: str, function: str, rest: list[str]) -> int:
    """A command whose parsing and work live beside its code: `module.function(argv)`, imported when run."""
    import importlib

    return getattr(importlib.import_module(module), function)(rest)


def _fetch(name: str) -> int:
    from rerec.data.sources.bookcrossing import fetch_bookcrossing

    if name != "bookcrossing":
        print(f"unknown dataset {name!r}; available: bookcrossing", file=sys.stderr)
        return 2
    folder = fetch_bookcrossing()
    print(f"Book-Crossing CSVs in {folder}")
    return 0


def _presets() -> int:
    from rerec.presets import listing

    print(listing())
    return 0


def _assets(convert: bool) -> int:
    from rerec import assets

    rows = {
        "cache": assets.cache_dir,
        "smollm2 gguf": assets.smollm2_gguf,
        "ml-100k": lambda: assets.recbole_dataset_dir("ml-100k"),
        "wikidata movies.db": assets.movies_db,
        "all-MiniLM-L6-v2": assets.minilm_dir,
    }
    if convert:
        rows["smollm2 (HF folder)"] = lambda: assets.resolve_model(assets.DEFAULT_MODEL)
    status = 0
    for label, locate in rows.items():
        try:
            print(f"{label:<20} {locate()}")
        except assets.MissingAssetError as err:
            print(f"{label:<20} MISSING: {err}")
            status = 1
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rerec", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="build catalog, graphs and queries", add_help=False)
    prep.add_argument("--json", action="store_true", help="print summary.json")
    train = sub.add_parser("train", help="GRPO/ReRec fine-tuning (--config cpu-demo, or a YAML path)", add_help=False)
    train.add_argument("--resume", action="store_true", help="continue from the last checkpoint in output_dir")
    train.add_argument("--overwrite", action="store_true", help=OVERWRITE_RUN)
    sub.add_parser("demo", help="the main job: prepare, warm start, ReRec, evaluate, report (~29 min)", add_help=False)
    sub.add_parser("eval", help="generate and score answers on a prepared split, per query type", add_help=False)
    sub.add_parser("retention", help="general-ability probes (format rules, word problems)", add_help=False)
    report = sub.add_parser("report", help="methods x query types table from `rerec eval` folders")
    report.add_argument("folders", nargs="+", help="eval output folders; '<method>-seed<N>' pools seeds")
    report.add_argument("--out", required=True, help="folder for report.md, report.json and the plots")
    report.add_argument("--metrics", nargs="+", default=["hit@1", "reward", "format"], help="metrics to tabulate")
    report.add_argument("--title", default="rerec results", help="report heading")
    report.add_argument("--overwrite", action="store_true", help="replace an earlier `rerec report` folder at --out")
    report.add_argument(
        "--paired", nargs=2, action="append", metavar=("A", "B"),
        help="compare methods A and B query by query (A - B, 95%% interval, paired test); repeatable",
    )  # fmt: skip
    report.add_argument(
        "--curves", nargs="+", metavar="FOLDER",
        help="`rerec eval --checkpoints` folders: learning curves, '<method>-seed<N>' averaged, in one plot",
    )  # fmt: skip
    sft = sub.add_parser("sft", help="supervised warm start on KG-path rationales (--config cpu-sft)", add_help=False)
    sft.add_argument("--resume", action="store_true", help="continue from the last checkpoint in output_dir")
    sft.add_argument("--overwrite", action="store_true", help=OVERWRITE_RUN)
    data = sub.add_parser("data", help="manage source datasets")
    data.add_argument("action", choices=["fetch"])
    data.add_argument("name", help="dataset to fetch: bookcrossing")
    for name, text in (
        ("recommend", "answer one question over the whole catalog, steps verified"),
        ("chat", "terminal conversation; follow-ups refine the answer"),
        ("serve", "HTTP API (POST /v1/recommend) and web page; binds 127.0.0.1"),
    ):
        sub.add_parser(name, help=text, add_help=False)
    assets = sub.add_parser("assets", help="locate the embedded model, data and encoder")
    assets.add_argument("--convert_model", action="store_true", help="convert the SmolLM2 GGUF once")
    sub.add_parser("presets", help="list the shipped run presets (--config NAME) and launcher configurations")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format=LOG_FORMAT)
    keep_freed_memory()
    own_parsers = ("prepare", "train", "sft", "eval", "retention", "demo", "recommend", "chat", "serve")
    if args.command not in own_parsers and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    handlers = {
        "prepare": lambda: _prepare(rest, args.json),
        "train": lambda: _train(rest, args.resume, args.overwrite),
        "sft": lambda: _sft(rest, args.resume, args.overwrite),
        "eval": lambda: _run("rerec.eval.command", "main", rest),
        "demo": lambda: _demo(rest),
        "retention": lambda: _retention(rest),
        "report": lambda: _report(args),
        "data": lambda: _fetch(args.name),
        "recommend": lambda: _run("rerec.serve.commands", "recommend", rest),
        "chat": lambda: _run("rerec.serve.commands", "chat", rest),
        "serve": lambda: _run("rerec.serve.commands", "serve", rest),
        "assets": lambda: _assets(args.convert_model),
        "presets": _presets,
    }
    from safetensors import SafetensorError

    try:
        return handlers[args.command]()
    except (ValueError, RuntimeError, OSError, SafetensorError) as err:
        # DataError and config errors are ValueErrors whose message already names file/line/field or the fix.
        print(f"rerec {args.command}: error: {_explain(err)}", file=sys.stderr)
        return 1


def _explain(err: Exception) -> str:
    """The error's own message; a full disk also says what survived and how to go on. safetensors and torch.save
    report it in their own words (`StorageFull`, `file write failed`), not as an `OSError`."""
    text = str(err)
    full = isinstance(err, OSError) and err.errno == errno.ENOSPC
    if full or any(sign in text for sign in ("No space left", "StorageFull", "file write failed")):
        return NO_SPACE.format(text)
    return text


if __name__ == "__main__":
    raise SystemExit(main())
