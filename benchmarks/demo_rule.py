"""Does `rerec demo` take the study's v2 switches? The rule written in docs/study.md on 2026-12-06 before any demo
run ("Still to build or run"), applied by one script so that both arms share a warm start, a machine and a clock.

    python benchmarks/demo_rule.py                   # runs/demo-rule, then reports/demo-rule/demo_rule.{json,md}

`cpu-demo` as it shipped before the rule (SHIPPED) and with v2's switches (V2) train from one `cpu-sft` warm start
and are evaluated by one `rerec eval` command on the demo's 90 test queries; both arms set every switch on the
command line, as the preset has carried V2's values since the rule adopted them. The switches are adopted if, paired
over those queries, (a) Hit@1 is not lower (the interval's upper end not below 0), (b) false steps per multi-hop
answer are not higher (the interval's lower end not above 0), and (c) training takes at most MAX_TIME_RATIO as long
(TRL's `train_runtime`). If only (c) fails, V2 without dynamic sampling is trained and read the same way.

Run it on a machine with no other job: (c) is a ratio of wall times. Every stage is skipped when its output
exists, so an interrupted run continues; a training resumed from a checkpoint times only its last part, so delete
that arm's folder before reading (c) from it.
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import date
from pathlib import Path

from common import write_pair
from study_queue import execute, paired_hits, rerec

from rerec.eval.harness import read_scores
from rerec.eval.stats import paired_difference
from rerec.machine import machine

V2 = [
    "--raae_norm", "advantage", "--raae_target", "unverified", "--raae_penalty", "1.0",
    "--curriculum_order", "learnability", "--curriculum_replay", "0", "--dynamic_sampling", "true",
]  # fmt: skip
SHIPPED = [
    "--raae_norm", "scalar", "--raae_target", "mentions", "--raae_penalty", "0.3",
    "--curriculum_order", "easy_first", "--curriculum_replay", "0.1", "--dynamic_sampling", "false",
]  # fmt: skip
NO_DS = [*V2[: V2.index("--dynamic_sampling")], "--dynamic_sampling", "false"]  # the fallback when only time fails
MAX_TIME_RATIO = 1.25
MULTI_HOP = ("implicit", "misinformed")
# the demo's evaluation (rerec/demo.py): its 90 test queries, the cpu-demo prompt, bfloat16, 192 new tokens
EVAL = [
    "--split", "test", "--max_queries", "90", "--query_types", "explicit", "implicit", "misinformed",
    "--max_candidates", "5", "--max_facts", "15", "--facts_by", "entity", "--facts_order", "evidence",
    "--dtype", "bfloat16", "--batch_size", "16", "--max_new_tokens", "192",
]  # fmt: skip


def invoke(*args: str) -> None:
    """`rerec <args>`, printed, then run; stops the script when it fails."""
    if not execute(rerec(*args)):
        raise SystemExit(f"rerec {args[0]} failed; run the script again to continue")


def trained(run: Path, *args: str) -> Path:
    """`run`'s final model, trained (or continued) with `rerec <args>` unless it is there."""
    if not (run / "final" / "config.json").is_file():
        invoke(*args, "--output_dir", str(run), *(["--resume"] if any(run.glob("checkpoint-*")) else []))
    return run / "final"


def evaluated(model: Path, folder: Path, prepared: str) -> Path:
    if not (folder / "metrics.json").is_file():
        invoke("eval", "--model_name_or_path", str(model), "--prepared", prepared, *EVAL, "--output_dir", str(folder))
    return folder


def train_runtime(run: Path) -> float:
    """TRL's `train_runtime` (seconds), logged once at the end of training to `metrics.jsonl`."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    seconds = next((r["train_runtime"] for r in map(json.loads, reversed(lines)) if "train_runtime" in r), None)
    if seconds is None:
        raise SystemExit(f"{run / 'metrics.jsonl'} has no train_runtime: that training did not finish")
    return seconds


def verdict(arm: Path, arm_eval: Path, control: Path, control_eval: Path) -> dict:
    """The rule's three readings of `arm` against `control`, and whether it is adopted."""
    ids, _, _, hit = paired_hits(arm_eval, control_eval)
    a, b = read_scores(arm_eval), read_scores(control_eval)
    hops = [i for i in ids if a[i]["type"] in MULTI_HOP]
    false = paired_difference([a[i]["false_steps"] for i in hops], [b[i]["false_steps"] for i in hops])
    times = {"arm": train_runtime(arm), "control": train_runtime(control)}
    ratio = times["arm"] / times["control"]
    holds = {"hit@1": hit.high >= 0, "false_steps": false.low <= 0, "time": ratio <= MAX_TIME_RATIO}
    return {
        "arm": arm.name, "control": control.name, "queries": len(ids), "multi_hop_queries": len(hops),
        "hit@1": vars(hit), "false_steps_per_multi_hop_answer": vars(false),
        "checked_steps_per_multi_hop_answer": {
            side: statistics.fmean(s[i]["checked_steps"] for i in hops) for side, s in (("arm", a), ("control", b))
        },
        "train_runtime_s": times, "time_ratio": ratio, "holds": holds, "adopt": all(holds.values()),
    }  # fmt: skip


def markdown(result: dict) -> str:
    readings = result["readings"]
    lines = ["# The demo rule (docs/study.md, 2026-12-06)", "", f"{result['date']}, {result['machine']}", ""]
    lines += ["| arm − control | Hit@1 | false steps per multi-hop answer | training time ratio | adopted |"]
    lines += ["|---|---|---|---|---|"]
    for r in readings:
        h, f = r["hit@1"], r["false_steps_per_multi_hop_answer"]
        cells = [f"{d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]" for d in (h, f)]
        lines.append(f"| {r['arm']} − {r['control']} | {' | '.join(cells)} | {r['time_ratio']:.2f} | {r['adopt']} |")
    return "\n".join([*lines, "", f"{readings[0]['queries']} test queries, paired.", ""])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, default=Path("runs/demo-rule"), help="models and evaluations")
    parser.add_argument("--prepared", default="runs/ml100k", help="`rerec prepare`'s folder (the demo's)")
    parser.add_argument("--out", type=Path, default=Path("reports/demo-rule"))
    args = parser.parse_args()
    data = ["--prepared", args.prepared]
    warm = trained(args.runs / "cpu-sft", "sft", "--config", "cpu-sft", *data)
    arms = {"cpu-demo": SHIPPED, "cpu-demo-v2": V2, "cpu-demo-v2-no-ds": NO_DS}
    readings: list[dict] = []

    def read(name: str) -> dict:
        folders = {}
        for arm in ("cpu-demo", name):
            run = args.runs / arm
            model = trained(run, "train", "--config", "cpu-demo", *data, "--model_name_or_path", str(warm), *arms[arm])
            folders[arm] = (run, evaluated(model, args.runs / "eval" / arm, args.prepared))
        readings.append(verdict(*folders[name], *folders["cpu-demo"]))
        return readings[-1]

    first = read("cpu-demo-v2")
    if not first["adopt"] and first["holds"]["hit@1"] and first["holds"]["false_steps"]:
        read("cpu-demo-v2-no-ds")
    result = {"date": date.today().isoformat(), "machine": machine(), "readings": readings}
    print(write_pair(args.out, "demo_rule", result, markdown(result)).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
