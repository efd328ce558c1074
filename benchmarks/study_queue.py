"""Run the study (issue 19) one step after another, resumably: the non-LLM baselines, the warm start, then each
arm's training, its evaluation on the test split and, for the first seed of GRPO and ReRec, a learning curve on a
validation slice and the retention probes. After each arm's test evaluation, `benchmarks/graph_check.py` and
`benchmarks/study.py` write the report again (`--checked`, `--report`).

    python benchmarks/study_queue.py --root runs/study            # everything still missing, in order
    python benchmarks/study_queue.py --root runs/study --only grpo-seed0 rerec-seed0 --dry_run

The baselines are `rerec eval --baseline NAME` on the test split into `<root>/test/<name>`. The warm start is
`rerec sft --config cpu-study-sft` into `--warm_start` (default `<root>/warm-start`). Its own evaluations:
`<root>/val/warm-start` (the warm-start curve's 200 validation queries, the learning-rate check's reference),
`<root>/test/warm-start` and `<root>/retention/warm-start`. Each arm is `rerec train --config cpu-study` plus its
own flags (GRPO: every ReRec component off; ablations: one off), with its seed, into `<root>/runs/<arm>`;
`<root>/test/<arm>` is its `rerec eval` on the whole test split at 20 candidates, `<root>/curves/<arm>` its
`rerec eval --checkpoints` on `--curve_queries` validation queries. The secondary setting, 5 candidates, is read on
the test split too (`<root>/test-c5/<name>`), for the baselines, the warm start and the last paired seed of GRPO
and of the headline design; its report is `--secondary_report`.

- **One benchmark.** A new machine prepares it again (`rerec prepare`); its query splits must hash as the kept
  steps' did (`benchmark.json` in `--keep`), or the queue stops: other queries under the same ids would be paired.
- **Resumable.** A killed queue continues where it stopped: finished steps are skipped, a started run resumes.
- **Kept.** Each finished step's small outputs (metrics, per-query scores, predictions, training and rollout
  logs, plots, the command in `queue.json`; never weights) are copied into `--keep` (tracked by git). A lost
  machine then costs only the arm in progress: an arm whose every step is kept is not run again. The warm start's
  weights cannot be kept, so a new machine trains it again before the next arm and checks the rebuild against the
  first build on its validation slice (`warm_start_rebuilds.jsonl` in `--keep`).
- **One precision.** Every step trains and evaluates in fp32: bf16 is native on some of the boxes here and
  emulated on others (where rerec falls back to fp32), and the arms must not differ by the box they ran on.
  Greedy bf16 decoding also flipped answers between runs of the same model (docs/study.md).
- **Paired seeds first.** GRPO and ReRec seed 0, then seed 1, ...: an interrupted study still holds pairs.
- **The longer pair before the ablations.** GRPO and the headline design train again at the pilot's seed on
  twice the queries and steps (`LONGER`) and are read on the whole validation split. If the design is ahead there
  on multi-hop queries, the ablations would measure it at a length where it does not act: the queue stops
  (`longer_check`, `--skip_longer_check`).
- **Pilots on validation.** A redesign (`PILOTS`) trains right after its control, GRPO seed 1, and is read on the
  warm start's validation slice only, paired with the control there (`pilots.jsonl` in `--keep`). A pilot adopted
  by the rule fixed before it ran becomes the headline design: the queue plans again, and ReRec's seeds and
  ablations train as that design (`<design>-seed<N>`, `<design>-no-<part>`), the pilot itself joining as its seed 1.
- **The confirmed-step pilot before the references.** rerec-v2 plus the step-truth reward (`STEP_PILOT`) trains
  after the ablations and before `rerec-paper` and `grpo-ds`, since its verdict may add seeds and theirs adds
  nothing to run; it is read on the same validation slice against rerec-v2's seed 1, and its verdict is written to
  `step_pilot.json` in `--keep`. Its further seeds are not planned: the note decides them by that verdict.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from rerec.eval.report import GROUPS, TRAINING_COPY, method_of
from rerec.machine import cpu_flags, machine
from rerec.presets import resolve_presets

if TYPE_CHECKING:
    import numpy as np

    from rerec.eval.stats import PairedDifference

GRPO = ["--qas", "false", "--pas", "false", "--raae", "false", "--curriculum", "false"]
FP32 = ["--bf16", "false"]  # training; evaluation loads the weights in float32 (EVAL)
# The prompt as the arms train (cpu-study): 20 candidates, 30 facts by entity, the query's evidence first. The
# answer budget (`--max_new_tokens`) is the preset's own `max_completion_length` (`answer_budget`).
CANDIDATES = 20
EVAL = [
    "--max_facts", "30", "--facts_by", "entity", "--facts_order", "evidence",
    "--dtype", "float32", "--batch_size", "16",
]  # fmt: skip
# The secondary setting (issue 19): the positive and the first 4 negatives of the same shuffled list
# (`shown_candidates`), so each query's five are among its twenty. One seed a method: the paired seeds' weights are
# never kept, and the last pair is the one a machine holds when the seeds are done.
SECONDARY, SECONDARY_CANDIDATES = "test-c5", 5
# Validation slices (the warm start's and the learning curves') take these types round-robin.
VAL_TYPES = ["--query_types", "explicit", "implicit", "misinformed", "interest"]
# The warm-start curve's validation slice (reports/warm-start-curve): 50 queries of each type.
WARM_START_VAL = ["--split", "val", "--max_queries", "200", *VAL_TYPES]
# the paper's rules where the cpu-study preset uses rerec's variants
PAPER_RULES = "--raae_norm scalar --raae_verifier false --raae_target mentions --curriculum_order easy_first".split()
# ReRec's designs: name -> `rerec train` flags beyond the preset. The seeds and ablations train the headline one
# (`headline`): "rerec" (cpu-study as it is) until a redesign's pilot is adopted. rerec-v2 (docs/study.md,
# 2026-12-05): every component given the force the seed-0 diagnostics found missing: no replays of solved queries
# (they tied), tied groups refilled (dynamic sampling), RAAE at its full penalty (0.3 left the false-step share
# where GRPO's went).
DESIGNS = {
    "rerec": [],
    "rerec-v2": ["--curriculum_replay", "0", "--dynamic_sampling", "true", "--raae_penalty", "1.0"],
}
ABLATED = ("qas", "pas", "raae", "curriculum")  # `<design>-no-<component>`: the headline design, one switch off
# beside the ablations, whatever the headline: the paper's own rules, and GRPO with dynamic sampling alone
REFERENCES = {"rerec-paper": PAPER_RULES, "grpo-ds": [*GRPO, "--dynamic_sampling", "true"]}
# Redesign pilots, for when seed 0 is level: trained like the arms, then read on the warm start's validation
# slice only, paired there with PILOT_CONTROL (the same seed, from the same warm-start build); the test split waits
# until the pilot's verdict (`compare_pilot`) makes its design the headline.
PILOT_SEED = 1
PILOT_CONTROL = f"grpo-seed{PILOT_SEED}"
PILOTS = {f"{design}-seed{PILOT_SEED}": design for design in DESIGNS if design != "rerec"}  # arm -> its design
PILOTS_FILE = "pilots.jsonl"  # in --keep: each pilot against PILOT_CONTROL on validation (compare_pilot)
# The confirmed-step pilot (docs/study.md, 2026-12-06, morning): rerec-v2 plus the step-truth reward, at the pilot's
# seed, after the ablations and before the references; read on the warm start's validation slice against
# rerec-v2's own run of that seed, by the rule fixed before it ran (`compare_step_pilot`).
STEP_PILOT, STEP_CONTROL = f"rerec-v2-steps-seed{PILOT_SEED}", f"rerec-v2-seed{PILOT_SEED}"
STEP_FLAGS = [*DESIGNS["rerec-v2"], "--step_truth_weight", "0.2", "--seed", str(PILOT_SEED)]
STEP_PILOT_FILE = "step_pilot.json"  # in --keep: its verdict
# The longer pair (docs/study.md, 2026-12-05, later): GRPO and the headline design on twice the queries and steps
# (the same 1.5 passes), at the pilot's seed, read on the whole validation split after the seeds and before the
# ablations. The question: do the design's gains on the queries it trained on (rollout_digest) reach held-out
# queries with more data? If the design is then ahead, the ablations must train at that length too, and the queue
# stops for the plan to be changed (`longer_check`).
LONGER = ["--max_queries", "128", "--max_steps", "96"]
LONGER_CHECK = "longer_check.json"  # in --keep: the pair's verdict
BENCHMARK = "benchmark.json"  # in --keep: a hash of each query split of the prepared benchmark (`same_benchmark`)

# the non-LLM baselines on the same test queries and candidates; kg-path (the graph oracle) as a reference
BASELINES = ("random", "popularity", "lightgcn", "bm25", "minilm", "kg-path")
CURVED = "grpo-seed0"  # with the headline design's seed 0: the arms with a learning curve and a retention check
REBUILT = "val/warm-start-rebuilt"  # a warm start trained again on a new machine, on the first build's slice
REBUILDS = "warm_start_rebuilds.jsonl"  # in --keep: each rebuild against the first build (compare_rebuild)
KEPT = "queue.json"  # in a kept folder: the command that wrote it, when it finished, and on what CPU
KEEP_SUFFIXES = (".json", ".jsonl", ".md", ".png", ".txt", ".yaml")
KEEP_MAX_BYTES = 8 << 20


@dataclass
class Step:
    """One command of the queue. It is done when `folder / marker` exists; `kept_as` is its folder under `--keep`.
    A training run (`shallow`) keeps its top-level logs, not its checkpoints; `training_log` is copied beside a
    kept evaluation as `training.jsonl`. A step `per_machine` runs on every machine that lacks it, kept or not (its
    kept copy is the last machine's): a training run, whose weights are never kept, and the rebuilt warm start's
    check; `then` runs after it is kept."""

    command: list[str]
    folder: Path
    marker: str
    kept_as: str
    shallow: bool = False
    per_machine: bool = False
    training_log: Path | None = None
    then: Callable[[], None] | None = None

    @property
    def done(self) -> Path:
        return self.folder / self.marker


def arms(seeds: int, design: str = "rerec") -> dict[str, list[str]]:
    """Arm name -> `rerec train` flags beyond the preset, in run order: the paired seeds of the headline
    comparison (GRPO, and ReRec as `design`) first, the redesign pilots right after their control, the longer
    pair, then the single-seed ablations of `design`, the confirmed-step pilot and the references."""
    flags = DESIGNS[design]
    out: dict[str, list[str]] = {}
    for seed in range(seeds):
        out[f"grpo-seed{seed}"] = [*GRPO, "--seed", str(seed)]
        if seed == PILOT_SEED:
            out |= {pilot: [*DESIGNS[redesign], "--seed", str(seed)] for pilot, redesign in PILOTS.items()}
        out[f"{design}-seed{seed}"] = [*flags, "--seed", str(seed)]
    seed = ["--seed", str(PILOT_SEED)]
    out |= {name: [*base, *seed, *LONGER] for name, base in zip(longer_pair(design), (GRPO, flags), strict=True)}
    out |= {name: [*flags, f"--{part}", "false"] for name, part in zip(ablations(design), ABLATED, strict=True)}
    return out | {STEP_PILOT: STEP_FLAGS} | REFERENCES


def longer_pair(design: str) -> tuple[str, str]:
    """The longer pair's arms, GRPO's then the design's."""
    return f"grpo-long-seed{PILOT_SEED}", f"{design}-long-seed{PILOT_SEED}"


def ablations(design: str) -> list[str]:
    return [f"{design}-no-{part}" for part in ABLATED]


def headline(keep: Path) -> str:
    """The design ReRec's seeds train: a pilot's, once its latest verdict in `keep / PILOTS_FILE` adopts it,
    else "rerec". The rule that decides was fixed before the pilot ran (`compare_pilot`)."""
    log = keep / PILOTS_FILE
    verdicts = {}
    for line in log.read_text().splitlines() if log.is_file() else []:
        record = json.loads(line)
        verdicts[record["pilot"]] = record.get("adopt", False)
    adopted = [redesign for pilot, redesign in PILOTS.items() if verdicts.get(pilot)]
    return adopted[0] if adopted else "rerec"


def answer_budget(config: str) -> list[str]:
    """Evaluation's `--max_new_tokens`: the training preset's `max_completion_length`, so that an arm is scored
    on answers as long as those it learned from. 128 tokens cut off 29% of the warm start's multi-hop answers on
    validation (their Hit@1 0.61, against 0.80 at 192; docs/study.md, 2026-12-04 (late morning))."""
    path = Path(resolve_presets(["--config", config])[1])
    budget = (yaml.safe_load(path.read_text()) or {}).get("max_completion_length")
    if budget is None:
        raise SystemExit(f"{path} sets no max_completion_length: the queue evaluates at the arms' training budget")
    return ["--max_new_tokens", str(budget)]


def rerec(*args: str) -> list[str]:
    return [sys.executable, "-m", "rerec.cli", *args]


def execute(command: list[str], dry_run: bool = False) -> bool:
    """Print `command`, then run it unless `dry_run`: whether it succeeded (a dry run always does)."""
    print(" ".join(command), flush=True)
    return dry_run or subprocess.run(command).returncode == 0


def split_hashes(prepared: Path) -> dict[str, str]:
    """A hash of each query split's rows (ids, text, candidates, facts), not of the parquet bytes, which carry the
    writing library's version."""
    import pyarrow.parquet as pq

    hashes = {}
    for path in sorted((prepared / "queries").glob("*.parquet")):
        rows = json.dumps(pq.read_table(path).to_pylist(), sort_keys=True, default=str)
        hashes[path.stem] = hashlib.sha256(rows.encode()).hexdigest()
    return hashes


def same_benchmark(args: argparse.Namespace) -> bool:
    """Whether the steps may run on `--prepared`: prepared here first if this machine lacks it, then each query
    split hashed as in `keep / BENCHMARK` (written on first use). Kept steps are paired by query id, so a benchmark
    prepared otherwise on a new machine (another seed, another library's ordering) would pair different queries."""
    prepared = Path(args.prepared)
    if not (prepared / "dataset.json").is_file():
        if not execute(rerec("prepare", "--dataset", args.dataset, "--out", str(prepared)), args.dry_run):
            return False
        if args.dry_run:
            return True
    record, hashes = Path(args.keep) / BENCHMARK, split_hashes(prepared)
    if not record.is_file():
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(hashes, indent=2) + "\n")
    kept = json.loads(record.read_text())
    differ = sorted(k for k in hashes.keys() | kept.keys() if hashes.get(k) != kept.get(k))
    if differ:
        print(f"{prepared}'s query splits {differ} are not the ones the kept steps ran on ({record}); prepare the "
              "benchmark as they did, or start a new study with another --keep", file=sys.stderr)  # fmt: skip
    return not differ


def shown(candidates: int = CANDIDATES) -> list[str]:
    return ["--max_candidates", str(candidates)]


def evaluation(
    model: Path | str, kept_as: str, args: argparse.Namespace, split: list[str], candidates: int = CANDIDATES, **extra
) -> Step:
    """`rerec eval` of one model (a folder, or a baseline's name) into `<root>/<kept_as>`."""
    out = Path(args.root) / kept_as
    answerer = ["--baseline", model] if isinstance(model, str) else ["--model_name_or_path", str(model)]
    command = rerec("eval", *answerer, "--prepared", args.prepared, *split, *shown(candidates), *EVAL, *args.budget)
    return Step([*command, "--output_dir", str(out)], out, "metrics.json", kept_as, **extra)


def retention(model: Path, name: str, args: argparse.Namespace) -> Step:
    """`rerec retention` of one model into `<root>/retention/<name>`: are the general skills kept?"""
    out = Path(args.root) / "retention" / name
    command = rerec("retention", "--model_name_or_path", str(model), "--dtype", "float32", "--output_dir", str(out))
    return Step(command, out, "retention.json", f"retention/{name}")


def resumed(run: Path) -> list[str]:
    """The flag that continues a started run, or starts over one stopped before its first checkpoint."""
    if any(run.glob("checkpoint-*")):
        return ["--resume"]
    return ["--overwrite"] if run.is_dir() and any(run.iterdir()) else []


def warm_start(args: argparse.Namespace) -> list[Step]:
    """The warm start's training, then its validation and test evaluations and its retention."""
    run = Path(args.warm_start)
    train = rerec("sft", "--config", args.sft_config, "--prepared", args.prepared, "--output_dir", str(run), *FP32)
    final = run / "final"
    return [
        Step([*train, *resumed(run)], run, "final/config.json", "warm-start", shallow=True, per_machine=True),
        evaluation(final, "val/warm-start", args, WARM_START_VAL),
        evaluation(final, "test/warm-start", args, ["--split", "test"]),
        retention(final, "warm-start", args),
    ]


def rebuild_check(args: argparse.Namespace) -> Step:
    """The warm start trained again on a new machine, evaluated on the first build's validation slice into
    `<root>/val/warm-start-rebuilt`, then compared with it (`compare_rebuild`)."""
    step = evaluation(Path(args.warm_start) / "final", REBUILT, args, WARM_START_VAL, per_machine=True)
    step.then = lambda: compare_rebuild(located("val/warm-start", args), step.folder, Path(args.keep))
    return step


def paired_record(after: Path, before: Path, names: tuple[str, str]) -> dict:
    """Hit@1 of two evaluation folders paired by query: when, how many queries, each side's Hit@1 under `names`
    (after's, before's), the difference with its interval, p-value and whether it is a finding, and how many
    queries' hits differ."""
    ids, a, b, d = paired_hits(after, before)
    return {
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "queries": len(ids),
        "hit@1": {names[1]: sum(b) / len(ids), names[0]: sum(a) / len(ids)},
        "diff": d.diff, "low": d.low, "high": d.high, "p_value": d.p_value, "finding": d.finding,
        "hits_differ": sum(x != y for x, y in zip(a, b, strict=True)),
    }  # fmt: skip


def append_line(log: Path, record: dict) -> None:
    with log.open("a") as out:
        out.write(json.dumps(record) + "\n")


def compare_rebuild(first: Path, rebuilt: Path, keep: Path) -> dict:
    """Is a rebuilt warm start the one the earlier arms trained from? The same recipe and seed in fp32, but a
    machine's threads can sum in another order, and 639 steps may carry a 1e-7 difference into other answers.
    Appends the paired Hit@1 difference and the answers that changed to `keep / REBUILDS`; arms trained from
    different builds differ by that much before any method does."""
    from rerec.eval.harness import PREDICTIONS, read_predictions

    old, new = (read_predictions(folder / PREDICTIONS) for folder in (first, rebuilt))
    changed = sum(old[i]["completion"] != new[i]["completion"] for i in old.keys() & new.keys())
    record = paired_record(rebuilt, first, ("rebuilt", "first")) | {"answers_differ": changed}
    append_line(keep / REBUILDS, record)
    print(f"the rebuilt warm start against the first build: {record}", flush=True)
    return record


def validation_pair(sides: dict[str, str], args: argparse.Namespace) -> dict[str, Path] | None:
    """The validation folders of a pilot and its control (`sides`: "pilot" and "control" -> arm names); None, and
    a message, while the control's evaluation is missing."""
    val = {side: located(f"val/{name}", args) for side, name in sides.items()}
    if not (val["control"] / "metrics.json").is_file():
        print(f"no {val['control']} to pair the pilot {sides['pilot']} with: run {sides['control']} first",
              file=sys.stderr)  # fmt: skip
        return None
    return val


def compare_pilot(arm: str, args: argparse.Namespace) -> dict | None:
    """A redesign pilot against PILOT_CONTROL on the validation slice, with the adoption rule fixed before it ran
    (docs/study.md, 2026-12-05): `adopt` when its Hit@1 is ahead (a finding), or level while it halves one of the
    control's shares: false steps on validation (with answers at least 3/4 as long as the control's), or
    trained groups tied on accuracy (`study.tied_share`). Appended to `--keep / PILOTS_FILE`; None (and a
    message) while the control's validation evaluation is missing."""
    import study

    sides = {"pilot": arm, "control": PILOT_CONTROL}
    if (val := validation_pair(sides, args)) is None:
        return None
    record = sides | paired_record(val["pilot"], val["control"], ("pilot", "control"))
    false_steps, tied, tokens = {}, {}, {}
    for side, name in sides.items():
        metrics = json.loads((val[side] / "metrics.json").read_text())["all"]
        false_steps[side], tokens[side] = metrics.get("false_step_share"), metrics.get("mean_tokens")
        run = {"settings": {"model": str(located(f"runs/{name}", args) / "final")}}
        tied[side] = study.tied_share({side: [run]}, side, "groups/accuracy_tied")

    def halved(shares: dict) -> bool:
        return None not in shares.values() and shares["pilot"] <= shares["control"] / 2

    # fewer false steps count only if the answers still reason: not a quarter shorter than the control's
    reasons = None not in tokens.values() and tokens["pilot"] >= 0.75 * tokens["control"]
    ahead, behind = record["finding"] and record["diff"] > 0, record["finding"] and record["diff"] < 0
    record |= {"false_step_share": false_steps, "trained_tied_share": tied, "mean_tokens": tokens}
    record["adopt"] = ahead or (not behind and ((halved(false_steps) and reasons) or halved(tied)))
    append_line(Path(args.keep) / PILOTS_FILE, record)
    print(f"the pilot against {PILOT_CONTROL} on validation: {record}", flush=True)
    return record


def compare_step_pilot(args: argparse.Namespace) -> dict | None:
    """STEP_PILOT against STEP_CONTROL on the validation slice, by the rule fixed before it ran (docs/study.md,
    2026-12-06, morning): `adopt` when (a) its false-step share (false over checked steps, all queries) is lower,
    with a 95% paired bootstrap interval over queries that excludes 0, (b) its Hit@1 is not lower (the paired
    interval's upper end not below 0), and (c) it writes at least 0.9x the control's checked steps per answer. Written
    to `--keep / STEP_PILOT_FILE`; None (and a message) while the control's validation evaluation is missing."""
    import numpy as np

    from rerec.eval.harness import read_scores

    sides = {"pilot": STEP_PILOT, "control": STEP_CONTROL}
    if (val := validation_pair(sides, args)) is None:
        return None
    record = sides | paired_record(val["pilot"], val["control"], ("pilot", "control"))
    scores = {side: read_scores(folder) for side, folder in val.items()}
    ids = sorted(scores["pilot"].keys() & scores["control"].keys())
    tallies = {side: np.array([[s[i]["false_steps"], s[i]["checked_steps"]] for i in ids], dtype=float)
               for side, s in scores.items()}  # fmt: skip
    share = {side: float(t[:, 0].sum() / max(t[:, 1].sum(), 1)) for side, t in tallies.items()}
    share |= share_difference(tallies["pilot"], tallies["control"])
    checked = {side: float(t[:, 1].mean()) for side, t in tallies.items()}
    record |= {"false_step_share": share, "checked_steps_per_answer": checked}
    record["adopt"] = share["high"] < 0 and record["high"] >= 0 and checked["pilot"] >= 0.9 * checked["control"]
    (Path(args.keep) / STEP_PILOT_FILE).write_text(json.dumps(record, indent=2) + "\n")
    print(f"the confirmed-step pilot against {STEP_CONTROL} on validation: {record}", flush=True)
    return record


def share_difference(first: np.ndarray, second: np.ndarray, seed: int = 0) -> dict:
    """`Σ false / Σ checked` of `first` minus that of `second`, two answer sets over the same queries (rows `[false,
    checked]`, one per query), with a 95% percentile bootstrap interval that resamples the queries, the same ones
    for both sides."""
    import numpy as np

    from rerec.eval.stats import ALPHA, ROUNDS

    def share(tally: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return (weights @ tally[:, 0]) / np.maximum(weights @ tally[:, 1], 1)

    n = len(first)
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=ROUNDS)
    low, high = np.percentile(share(first, weights) - share(second, weights), [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)])
    diff = share(first, np.ones(n)) - share(second, np.ones(n))
    return {"diff": float(diff), "low": float(low), "high": float(high)}


def steps(arm: str, flags: list[str], args: argparse.Namespace) -> list[Step]:
    """Training, then the test evaluation (a pilot: the validation one instead, until it is adopted; the longer
    pair: the whole validation split instead) and, for seed 0 of GRPO and of the headline design (`args.design`),
    the learning curve and retention of one arm; PILOT_CONTROL is evaluated on validation too."""
    root, data = Path(args.root), ["--prepared", args.prepared]
    run = root / "runs" / arm
    warm = Path(args.warm_start)
    train = rerec("train", "--config", args.config, *data, "--output_dir", str(run), *FP32, *flags)
    train += ["--model_name_or_path", str(warm / "final"), "--exclude_queries", str(warm), *resumed(run)]
    log = run / "metrics.jsonl"
    out = [Step(train, run, "final/config.json", f"runs/{arm}", shallow=True, per_machine=True)]
    if arm in longer_pair(args.design):  # read on the whole validation split only (`longer_check`)
        return [*out, evaluation(run / "final", f"val/{arm}", args, ["--split", "val"], training_log=log)]
    if arm == STEP_PILOT:  # validation only, until its verdict says otherwise
        out.append(validated := evaluation(run / "final", f"val/{arm}", args, WARM_START_VAL, training_log=log))
        validated.then = lambda: compare_step_pilot(args)
        return out
    if arm in PILOTS or arm == PILOT_CONTROL:
        out.append(validated := evaluation(run / "final", f"val/{arm}", args, WARM_START_VAL, training_log=log))
        if arm in PILOTS:
            validated.then = lambda: compare_pilot(arm, args)
            if arm != f"{args.design}-seed{PILOT_SEED}":  # not adopted (yet): validation only
                return out
    out.append(tested := evaluation(run / "final", f"test/{arm}", args, ["--split", "test"], training_log=log))
    tested.then = lambda: refresh_report(args)
    if arm in (f"grpo-seed{args.seeds - 1}", f"{args.design}-seed{args.seeds - 1}"):
        out.append(five := secondary(run / "final", arm, args, training_log=log))
        five.then = lambda: refresh_report(args)
    if arm in (CURVED, f"{args.design}-seed0"):
        slice_ = ["--split", "val", "--max_queries", str(args.curve_queries), *VAL_TYPES]
        curve = rerec("eval", "--checkpoints", "--model_name_or_path", str(run), *data, *slice_, *shown(), *EVAL,
                      *args.budget)  # fmt: skip
        folder = root / "curves" / arm
        out += [Step([*curve, "--output_dir", str(folder)], folder, "curve.json", f"curves/{arm}"),
                retention(run / "final", arm, args)]  # fmt: skip
    return out


def secondary(model: Path | str, name: str, args: argparse.Namespace, **extra) -> Step:
    """The test evaluation at SECONDARY_CANDIDATES into `<root>/test-c5/<name>`."""
    return evaluation(model, f"{SECONDARY}/{name}", args, ["--split", "test"], SECONDARY_CANDIDATES, **extra)


def report_commands(args: argparse.Namespace) -> list[list[str]]:
    """The graph check of every kept test evaluation of a model (baselines have no steps to check), then the
    study's report over the kept folders and the checked ones, then, once any is kept, the secondary setting's
    report (its pairs, no goals: those are read at 20 candidates)."""
    keep, here = Path(args.keep), Path(__file__).parent
    tested = sorted(p for p in (keep / "test").glob("*") if (p / "metrics.json").is_file() and p.name not in BASELINES)
    check = [sys.executable, str(here / "graph_check.py"), "--out", args.checked, "--evals", *map(str, tested)]
    report = [sys.executable, str(here / "study.py"), "--kept", str(keep), "--checked", args.checked,
              "--out", args.report, "--overwrite"]  # fmt: skip
    five = sorted(p for p in (keep / SECONDARY).glob("*") if (p / "metrics.json").is_file())
    if not five:
        return [check, report]
    return [check, report, secondary_report(five, args)]


def secondary_report(folders: list[Path], args: argparse.Namespace) -> list[str]:
    """`rerec report` of the secondary setting's evaluations into `--secondary_report`, paired as the study's
    report pairs them at 20 candidates (`study.study_pairs`), among the methods evaluated."""
    import study

    present = {method_of(folder) for folder in folders}
    paired = [name for pair in study.study_pairs(present, args.design, "grpo", "warm-start") for name in pair]
    title = f"ReRec vs GRPO and the non-LLM baselines at {SECONDARY_CANDIDATES} candidates (issue 19, secondary)"
    command = rerec("report", "--folders", *map(str, folders), "--metrics", *study.METRICS, "--title", title,
                    "--out", args.secondary_report, "--overwrite")  # fmt: skip
    return [*command, "--paired", *paired] if paired else command


def refresh_report(args: argparse.Namespace) -> None:
    """After each kept test evaluation of an arm: `report_commands`, so that the report a session opens is never
    behind the queue. A failure is printed and the queue goes on: the report is downstream of the runs."""
    for command in report_commands(args):
        if not execute(command):
            print("the report was not refreshed; the queue goes on", file=sys.stderr)
            return


def is_kept(step: Step, keep: Path) -> bool:
    return (keep / step.kept_as / KEPT).is_file()


def to_run(step: Step, keep: Path) -> bool:
    """Not done on this machine, and not kept either, unless it runs `per_machine`: a kept run's logs are no
    weights, so a unit that still has a step to run trains again."""
    return not step.done.exists() and (step.per_machine or not is_kept(step, keep))


def keep_step(step: Step, keep: Path) -> None:
    """Copy a finished step's small outputs into `keep / step.kept_as`, then mark it kept."""
    target = keep / step.kept_as
    files = step.folder.glob("*") if step.shallow else step.folder.rglob("*")
    for path in sorted(files):
        small = path.is_file() and path.suffix in KEEP_SUFFIXES and path.stat().st_size <= KEEP_MAX_BYTES
        if small and not path.name.startswith("."):  # not rerec's own folder markers
            copy = target / path.relative_to(step.folder)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
    if step.training_log and step.training_log.is_file():
        shutil.copy2(step.training_log, target / TRAINING_COPY)
    finished = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    stamp = {"command": step.command, "finished": finished, "machine": machine(), "cpu_flags": cpu_flags()}
    (target / KEPT).write_text(json.dumps(stamp, indent=2) + "\n")


def located(kept_as: str, args: argparse.Namespace) -> Path:
    """A step's folder on this machine, else its kept copy."""
    here = Path(args.root) / kept_as
    return here if here.is_dir() else Path(args.keep) / kept_as


def paired_hits(
    after: Path, before: Path, types: tuple[str, ...] | None = None
) -> tuple[list[str], list[float], list[float], PairedDifference]:
    """Two evaluation folders' Hit@1 on the queries both answered (of `types`, when given): the ids, each folder's
    values in their order, and `after − before` paired over them."""
    from rerec.eval.harness import read_scores
    from rerec.eval.stats import paired_difference

    a, b = read_scores(after), read_scores(before)
    ids = sorted(i for i in set(a) & set(b) if types is None or a[i]["type"] in types)
    x, y = [a[i]["hit@1"] for i in ids], [b[i]["hit@1"] for i in ids]
    return ids, x, y, paired_difference(x, y)


def fell(curve: Path, warm_start_val: Path) -> dict:
    """The learning-rate check, fixed before the first arm ran: the last checkpoint's validation Hit@1 minus the
    warm start's, paired on the queries both answered. `fell` when the drop is a finding (interval below 0 and
    p < 0.05); then the queue stops before any ReRec-vs-GRPO number is read."""
    from rerec.eval.stats import ALPHA

    last = max(curve.glob("checkpoint-*"), key=lambda folder: int(folder.name.rsplit("-", 1)[1]))
    *_, d = paired_hits(last, warm_start_val)
    return {"checkpoint": last.name, "n": d.n, "diff": d.diff, "low": d.low, "high": d.high,
            "p_value": d.p_value, "fell": d.high < 0 and d.p_value < ALPHA}  # fmt: skip


def lr_check(args: argparse.Namespace) -> bool:
    """Whether the queue may go past GRPO's seed 0: yes until its curve exists (here or kept), then only if the
    curve did not fall (`fell`) or `--skip_lr_check` says go on. Asked before the first later arm whether GRPO's seed 0
    ran now or was kept, so a queue restarted after the check stopped it still stops."""
    curve = located(f"curves/{CURVED}", args)
    if args.skip_lr_check or not (curve / "curve.json").is_file():
        return True
    verdict = fell(curve, located("val/warm-start", args))
    (Path(args.keep) / "lr_check.json").write_text(json.dumps(verdict, indent=2) + "\n")
    if verdict["fell"]:
        print(f"GRPO's validation Hit@1 fell from the warm start's: {verdict}; revisit the learning rate, or go on "
              "with --skip_lr_check", file=sys.stderr)  # fmt: skip
    return not verdict["fell"]


def longer_verdict(args: argparse.Namespace) -> dict | None:
    """The longer pair's verdict, with its rule fixed before it ran (docs/study.md, 2026-12-05, later): the
    design's long arm against GRPO's in Hit@1 on the validation split's multi-hop queries, paired; `ahead` when
    that is a finding above 0. Beside it, each long arm against its 48-step run of the same seed on the queries
    both answered (all types; the 48-step runs were read on the warm start's slice): did twice the data help at
    all? None while either long arm's evaluation is missing."""
    grpo, design = (located(f"val/{arm}", args) for arm in longer_pair(args.design))
    if not all((folder / "metrics.json").is_file() for folder in (grpo, design)):
        return None
    *_, d = paired_hits(design, grpo, GROUPS["multi-hop"])
    verdict = {"design": args.design, "n": d.n, "diff": d.diff, "low": d.low, "high": d.high,
               "p_value": d.p_value, "ahead": d.finding and d.diff > 0, "longer_minus_48_steps": {}}  # fmt: skip
    for long in (grpo, design):
        short = located(f"val/{long.name.replace('-long', '')}", args)
        if (short / "metrics.json").is_file():
            *_, gain = paired_hits(long, short)
            verdict["longer_minus_48_steps"][long.name] = {"n": gain.n, "diff": gain.diff, "low": gain.low,
                                                           "high": gain.high, "p_value": gain.p_value}  # fmt: skip
    return verdict


def longer_check(args: argparse.Namespace) -> bool:
    """Whether the ablations and references may train at 48 steps: yes unless the longer pair's verdict (written
    to `--keep / LONGER_CHECK`) puts the design ahead, when they would measure the design at a length where it
    does not act; then the queue stops for the plan to change, or goes on with `--skip_longer_check`."""
    verdict = longer_verdict(args)
    if verdict is None:
        return True
    (Path(args.keep) / LONGER_CHECK).write_text(json.dumps(verdict, indent=2) + "\n")
    if verdict["ahead"] and not args.skip_longer_check:
        print(f"the longer pair puts {args.design} ahead of GRPO on validation: {verdict}; train the ablations "
              "at its length (LONGER), or go on with --skip_longer_check", file=sys.stderr)  # fmt: skip
        return False
    return True


def plan(args: argparse.Namespace) -> list[tuple[str, list[Step]]]:
    """(unit, its steps not yet kept) in run order; units whose every step is kept are left out. Units whose
    training finished on this machine come first (an adopted pilot's test evaluation): their weights are lost with
    the machine. The warm start's training comes first whenever a step still to run starts from its weights,
    followed, when its own evaluations were kept from an earlier machine, by the rebuild's check."""
    keep = Path(args.keep)
    units = [("baselines", [evaluation(name, f"test/{name}", args, ["--split", "test"]) for name in BASELINES])]
    units += [("warm-start", warm := warm_start(args))]
    five = [
        *(secondary(name, name, args) for name in BASELINES),
        secondary(warm[0].folder / "final", "warm-start", args),
    ]
    five[-1].then = lambda: refresh_report(args)  # once the unit's evaluations are all in
    units += [(SECONDARY, five)]
    units += [(arm, steps(arm, flags, args)) for arm, flags in arms(args.seeds, args.design).items()]
    units = [(n, s) for n, s in units if (not args.only or n in args.only) and not all(is_kept(x, keep) for x in s)]
    units.sort(key=lambda unit: not (unit[1][0].shallow and unit[1][0].done.exists()))  # trained here first
    sft = warm[0]
    start = str(sft.folder / "final")
    needed = any(start in step.command for _, unit in units for step in unit if to_run(step, keep))
    if needed and not any(sft in unit for _, unit in units):
        units.insert(0, ("warm-start", [sft, rebuild_check(args)]))
    return units


def run_plan(args: argparse.Namespace) -> int | None:
    """Run every step still to run, in order, for the headline design as `keep` says now: 0 when all are done, 1
    when a step failed or the learning-rate check stopped the queue, None (with `args.design` the new headline)
    when a pilot's verdict changed the design and the plan is out of date."""
    keep = Path(args.keep)
    args.design = headline(keep)
    # checks asked once each, in order, before the first unit they guard: the learning rate before every unit
    # after GRPO's seed 0, the longer pair before the ablations and references
    later = {*ablations(args.design), *REFERENCES}
    gates = [(lambda unit: unit not in ("baselines", "warm-start", CURVED), lr_check),
             (lambda unit: unit in later, longer_check)]  # fmt: skip
    for unit, unit_steps in plan(args):
        while gates and gates[0][0](unit) and not args.dry_run:
            if not gates.pop(0)[1](args):
                return 1
        for step in unit_steps:
            if not to_run(step, keep):
                continue
            succeeded = execute(step.command, args.dry_run)
            if args.dry_run:
                continue
            if not succeeded:
                print("the queue stopped at the step above", file=sys.stderr)
                return 1
            keep_step(step, keep)
            if step.then:
                step.then()
            if (design := headline(keep)) != args.design:
                args.design = design
                return None
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="runs/study")
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--dataset", default="ml-100k", help="what `rerec prepare` reads when --prepared is missing")
    parser.add_argument("--config", default="cpu-study", help="the preset every arm starts from")
    parser.add_argument("--sft_config", default="cpu-study-sft", help="the warm start's preset")
    parser.add_argument("--warm_start", help="the warm start's `rerec sft` folder (default: <root>/warm-start)")
    parser.add_argument("--keep", default="reports/study-runs", help="where finished steps' small outputs go")
    parser.add_argument("--checked", default="reports/graph-check/test", help="benchmarks/graph_check.py's --out")
    parser.add_argument("--report", default="reports/study", help="benchmarks/study.py's --out, after each test")
    parser.add_argument(
        "--secondary_report", default="reports/study-c5", help=f"the report at {SECONDARY_CANDIDATES} candidates"
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds of GRPO and of ReRec")
    parser.add_argument("--curve_queries", type=int, default=100, help="validation queries per checkpoint")
    parser.add_argument("--only", nargs="+", help="these units only (baselines, warm-start, arm names)")
    parser.add_argument("--dry_run", action="store_true", help="print the commands still to run")
    parser.add_argument(
        "--skip_lr_check", action="store_true", help="go on although GRPO's seed-0 curve fell below the warm start"
    )
    parser.add_argument(
        "--skip_longer_check",
        action="store_true",
        help="train the ablations at 48 steps although the longer pair put the design ahead of GRPO",
    )
    args = parser.parse_args()
    args.warm_start = args.warm_start or str(Path(args.root) / "warm-start")
    args.budget = answer_budget(args.config)
    if not same_benchmark(args):
        return 1
    while (status := run_plan(args)) is None:
        print(f"adopted: ReRec's seeds now train as {args.design}; planning again", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
