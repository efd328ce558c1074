"""Run the study's arms (issue 19) one after another, resumably: train, evaluate on the test split, and for the
first seed of ReRec and GRPO a learning curve on a validation slice and the retention probes (of the warm start
too). Then `benchmarks/study.py` writes the report.

    python benchmarks/study_queue.py --root runs/study            # everything still missing, in order
    python benchmarks/study_queue.py --root runs/study --warm_start runs/sft20-2560   # from another warm start
    python benchmarks/study_queue.py --root runs/study --only grpo-seed0 rerec-seed0 --dry_run

Each arm is `rerec train --config cpu-study` plus its own flags (GRPO: every ReRec component off; ablations: one
off), with its seed, into `<root>/runs/<arm>`; `<root>/test/<arm>` is its `rerec eval` on the whole test split
at 20 candidates (`<root>/test/warm-start`: the warm start's), `<root>/curves/<arm>` its `rerec eval --checkpoints`
on `--curve_queries` validation queries.
A killed queue continues where it stopped: finished steps are skipped and a started run is resumed. Seeds are
interleaved (GRPO and ReRec seed 0, then seed 1, ...) so an interrupted study still holds paired seeds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

GRPO = ["--qas", "false", "--pas", "false", "--raae", "false", "--curriculum", "false"]
# The prompt as in training: 20 candidates, 30 facts by entity, the first hop's facts first.
EVAL = [
    "--max_candidates", "20", "--max_facts", "30", "--facts_by", "entity", "--facts_order", "hops",
    "--dtype", "bfloat16", "--batch_size", "16", "--max_new_tokens", "128",
]  # fmt: skip
# the paper's rules where the cpu-study preset uses rerec's variants
PAPER_RULES = "--raae_norm scalar --raae_verifier false --raae_target mentions --curriculum_order easy_first".split()
ABLATIONS = {
    "rerec-no-qas": ["--qas", "false"],
    "rerec-no-pas": ["--pas", "false"],
    "rerec-no-raae": ["--raae", "false"],
    "rerec-no-curriculum": ["--curriculum", "false"],
    "rerec-paper": PAPER_RULES,
    "grpo-ds": [*GRPO, "--dynamic_sampling", "true"],
}


CURVED = ("grpo-seed0", "rerec-seed0")  # the arms with a learning curve and a retention check


def arms(seeds: int) -> dict[str, list[str]]:
    """Arm name -> `rerec train` flags beyond the preset, in run order: the paired seeds of the headline
    comparison first, then the single-seed ablations."""
    out: dict[str, list[str]] = {}
    for seed in range(seeds):
        out[f"grpo-seed{seed}"] = [*GRPO, "--seed", str(seed)]
        out[f"rerec-seed{seed}"] = ["--seed", str(seed)]
    return out | ABLATIONS


def retention(model: Path, name: str, root: Path) -> tuple[Path, list[str]]:
    """`rerec retention` of one model into `<root>/retention/<name>`: are the general skills kept?"""
    out = root / "retention" / name
    command = [sys.executable, "-m", "rerec.cli", "retention", "--model_name_or_path", str(model)]
    return out / "retention.json", [*command, "--dtype", "bfloat16", "--output_dir", str(out)]


def test_eval(model: Path, name: str, args: argparse.Namespace) -> tuple[Path, list[str]]:
    """`rerec eval` of one model on the whole test split into `<root>/test/<name>`."""
    out = Path(args.root) / "test" / name
    command = [sys.executable, "-m", "rerec.cli", "eval", "--model_name_or_path", str(model)]
    command += ["--prepared", args.prepared, "--split", "test", *EVAL, "--output_dir", str(out)]
    return out / "metrics.json", command


def steps(arm: str, flags: list[str], args: argparse.Namespace) -> list[tuple[Path, list[str]]]:
    """(file that marks the step done, command) for training, the test evaluation and, for seed 0, the curve."""
    root, rerec = Path(args.root), [sys.executable, "-m", "rerec.cli"]
    run, data = root / "runs" / arm, ["--prepared", args.prepared]
    train = [*rerec, "train", "--config", args.config, *data, "--output_dir", str(run), *flags]
    if args.warm_start:
        train += ["--model_name_or_path", str(Path(args.warm_start) / "final"), "--exclude_queries", args.warm_start]
    if any(run.glob("checkpoint-*")):
        train.append("--resume")
    elif run.is_dir() and any(run.iterdir()):  # stopped before its first checkpoint: nothing to resume
        train.append("--overwrite")
    out = [(run / "final" / "config.json", train), test_eval(run / "final", arm, args)]
    if arm in CURVED:
        curve = [
            *rerec, "eval", "--checkpoints", "--model_name_or_path", str(run), *data, "--split", "val",
            "--max_queries", str(args.curve_queries), "--query_types", "explicit", "implicit", "misinformed",
            "interest", *EVAL, "--output_dir", str(root / "curves" / arm),
        ]  # fmt: skip
        out.append((root / "curves" / arm / "curve.json", curve))
        out.append(retention(run / "final", arm, root))
    return out


def fell(curve: Path, warm_start_val: Path) -> dict:
    """The learning-rate check, fixed before the first arm ran: the last checkpoint's validation Hit@1 minus the
    warm start's, paired on the queries both answered. `fell` when the drop is a finding (interval below 0 and
    p < 0.05); then the queue stops before any ReRec-vs-GRPO number is read."""
    from rerec.eval.harness import read_scores
    from rerec.eval.stats import ALPHA, paired_difference

    last = max(curve.glob("checkpoint-*"), key=lambda folder: int(folder.name.rsplit("-", 1)[1]))
    after, before = read_scores(last), read_scores(warm_start_val)
    ids = sorted(set(after) & set(before))
    d = paired_difference([after[i]["hit@1"] for i in ids], [before[i]["hit@1"] for i in ids])
    return {"checkpoint": last.name, "n": d.n, "diff": d.diff, "low": d.low, "high": d.high,
            "p_value": d.p_value, "fell": d.high < 0 and d.p_value < ALPHA}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="runs/study")
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--config", default="cpu-study", help="the preset every arm starts from")
    parser.add_argument(
        "--warm_start",
        help="the `rerec sft` run every arm starts from and whose queries it leaves out (default: the preset's)",
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds of GRPO and of ReRec")
    parser.add_argument("--curve_queries", type=int, default=100, help="validation queries per checkpoint")
    parser.add_argument("--only", nargs="+", help="these arms only")
    parser.add_argument("--dry_run", action="store_true", help="print the commands still to run")
    parser.add_argument(
        "--warm_start_val",
        type=Path,
        help="the warm start's `rerec eval` on validation: the queue stops if GRPO's seed-0 curve ends below it",
    )
    args = parser.parse_args()
    check = Path(args.root) / "curves" / CURVED[0]
    todo = []
    if args.warm_start:  # the reference every arm starts from: did RL help at all, and did it keep the skills?
        warm = Path(args.warm_start) / "final"
        todo += [retention(warm, "warm-start", Path(args.root)), test_eval(warm, "warm-start", args)]
    for arm, flags in arms(args.seeds).items():
        if not args.only or arm in args.only:
            todo += steps(arm, flags, args)
    for done, command in todo:
        if not done.exists():
            print(" ".join(command), flush=True)
            if args.dry_run:
                continue
            if subprocess.run(command).returncode != 0:
                print("the queue stopped at the step above", file=sys.stderr)
                return 1
        if args.warm_start_val and done == check / "curve.json":
            verdict = fell(check, args.warm_start_val)
            (Path(args.root) / "lr_check.json").write_text(json.dumps(verdict, indent=2) + "\n")
            if verdict["fell"]:
                print(f"GRPO's validation Hit@1 fell from the warm start's: {verdict}; revisit the learning "
                      "rate, or run again without --warm_start_val to go on", file=sys.stderr)  # fmt: skip
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
