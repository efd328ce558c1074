"""rerec command line.

Usage (copy-paste):

    rerec demo                                                 # the main job on the embedded default (~31 min)
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
    # vanilla GRPO: every ReRec component off, and the dynamic sampling cpu-demo turns on
    rerec train --config cpu-demo --raae false --curriculum false --qas false --pas false --dynamic_sampling false
    rerec train --config my-run.yaml                           # any YAML file (presets: rerec/presets/)
    rerec recommend "films by the director of Jaws (1975)"      # ask the trained (else the base) model
    rerec recommend "a 90s comedy" --user 42 -k 5 --json       # for a known user, as JSON
    rerec chat                                                 # follow-ups refine: "not that one", "older"
    rerec serve --port 8000                                    # HTTP API + web page on 127.0.0.1
    rerec fetch bookcrossing                                   # Book-Crossing CSVs into the cache
    rerec assets                                               # where the embedded model/data/encoder live
    rerec assets --convert_model                               # de-quantise SmolLM2 into the cache once
    rerec presets                                              # the shipped run presets, one line each

Each command's parsing and work live beside its code (`COMMANDS`); every one parses typed configs with TRL's
parser, takes `--config` (a preset name or a YAML file) and answers `--help`. The modules are imported only when
their command runs, so that `rerec --help` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import sys

from rerec.runtime import keep_freed_memory

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NO_SPACE = (
    "the disk is full ({}). Free some space or choose another output folder. What rerec finished is whole "
    "(outputs and checkpoints are written aside, then renamed into place): `rerec train --resume` continues from "
    "the last checkpoint, and a rerun of the other commands skips or redoes only what is missing."
)
# command: (module, function taking the command's own argv and returning the exit status, one-line help)
COMMANDS = {
    "demo": ("rerec.commands", "demo", "the main job: prepare, warm start, ReRec, evaluate, report (~31 min)"),
    "prepare": ("rerec.data.commands", "prepare", "build catalog, graphs and queries"),
    "sft": ("rerec.training.commands", "sft", "supervised warm start on KG-path rationales (--config cpu-sft)"),
    "train": ("rerec.training.commands", "train", "GRPO/ReRec fine-tuning (--config cpu-demo, or a YAML path)"),
    "eval": ("rerec.eval.commands", "evaluation", "generate and score answers on a prepared split, per query type"),
    "report": ("rerec.eval.commands", "report", "methods x query types table, intervals and plots from eval folders"),
    "retention": ("rerec.eval.commands", "retention", "general-ability probes (format rules, word problems)"),
    "recommend": ("rerec.serve.commands", "recommend", "answer one question over the whole catalog, steps verified"),
    "chat": ("rerec.serve.commands", "chat", "terminal conversation; follow-ups refine the answer"),
    "serve": ("rerec.serve.commands", "serve", "HTTP API (POST /v1/recommend) and web page; binds 127.0.0.1"),
    "fetch": ("rerec.data.commands", "fetch", "download a source dataset into the cache: bookcrossing"),
    "assets": ("rerec.commands", "assets", "locate the embedded model, data and encoder"),
    "presets": ("rerec.commands", "presets", "list the shipped run presets (--config NAME) and launcher files"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rerec", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (*_, text) in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)  # the command's own parser answers --help
    return parser


def main(argv: list[str] | None = None) -> int:
    args, rest = build_parser().parse_known_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format=LOG_FORMAT)
    keep_freed_memory()
    module, function, _ = COMMANDS[args.command]
    from safetensors import SafetensorError

    try:
        return getattr(importlib.import_module(module), function)(rest)
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
