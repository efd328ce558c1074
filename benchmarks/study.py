"""The study's report (issue 19): does ReRec beat plain GRPO and every non-LLM baseline, with intervals?

    python benchmarks/study.py --evals runs/study/test/* --curves runs/study/curves/* \
        --retention warm_start=runs/study/retention/sft rerec=runs/study/retention/rerec-seed0 \
        --out reports/study-2026-12

    python benchmarks/study.py --kept reports/study-runs --out reports/study      # what study_queue.py kept
    python benchmarks/study.py --kept reports/study-runs --checked reports/graph-check/test --out reports/study

`--evals` are `rerec eval` folders on the test split, named `<method>[-seed<N>]` (`rerec-seed0`, `grpo-seed1`,
`rerec-no-raae`, `popularity`, ...); `--curves` are `rerec eval --checkpoints` folders on a validation slice,
named the same way; `--retention` names `rerec retention` folders. The script writes `rerec report`'s files
(every method, intervals, ReRec − GRPO and ReRec − each baseline paired per type, the learning curves) and
`summary.json` + `summary.md`: the issue's goals, each with its number and whether it holds. A goal whose inputs
are missing is reported as `null`, not as met. `--checked` adds the same answers after rerec's graph check
(`benchmarks/graph_check.py`), reported beside the model's own, never in their place.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from pathlib import Path

from common import write_pair
from study_queue import REFERENCES, ablations, headline

from rerec.eval.curve import rollouts_to_reach
from rerec.eval.report import (
    load_curves,
    load_runs,
    method_of,
    paired,
    query_values,
    run_mean,
    training_log,
    write_report,
)

BASELINES = ("random", "popularity", "lightgcn", "bm25", "minilm")
CONDITION_TYPES = ("explicit", "implicit", "misinformed")
METRICS = ["hit@1", "ndcg@10", "reward", "format", "false_step_share", "hint_boxed"]
PAPER_RELATIVE = 0.13  # ReRec over GRPO in the paper, relative
CHECKED = "+graph"  # benchmarks/graph_check.py's method suffix: rerec-seed0 -> rerec+graph-seed0
SINGLE_SEED = 0  # the ablations' and references' seed: cpu-study's own (study_queue.arms passes them none)
PER_ANSWER = ("checked_steps", "false_steps")  # per-query counts in `scores.jsonl`: steps with a claim, false ones


def seed_mean(runs: dict, method: str, metric: str, column: str = "all") -> float | None:
    """Mean over a method's seeds of one metric in one column of `metrics.json`."""
    values = [r["metrics"].get(column, {}).get(metric) for r in runs.get(method, [])]
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def tied_share(runs: dict, method: str, key: str = "frac_reward_zero_std") -> float | None:
    """Mean over a method's training runs of a per-step tied-group share: TRL's `frac_reward_zero_std` (total
    reward) by default, or `groups/accuracy_tied`. Both count every scored group. With dynamic sampling the tied
    groups it replaced never train, so the trained batch's share tied on accuracy (`dynamic_sampling/tied_share`)
    stands in for either: exact on accuracy, and on the total reward an upper bound (a group tied on the total
    is tied on accuracy), 0 at a step where no scored group tied on the total."""
    refilled = "dynamic_sampling/tied_share"

    def at_step(entry: dict) -> float:
        if refilled not in entry:
            return float(entry[key])
        if key == "frac_reward_zero_std" and not float(entry.get(key, 1.0)):  # nothing tied on the total
            return 0.0
        return float(entry[refilled])

    logs = [log for run in runs.get(method, []) if (log := training_log(run)) and {key, refilled} & set(log[0])]
    return run_mean(logs, at_step) if logs else None


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def rollouts_to_grpo_final(curves: dict, rerec: str, grpo: str) -> dict[str, float | None]:
    """Per method, the rollouts its curve needs to first reach GRPO's final held-out reward, as a share of GRPO's
    rollouts (None without the curves). GRPO's own share is the reference the issue's goal (ReRec's at most 0.6)
    is read against: GRPO seed 0's 192-token curve is flat after step 8, so GRPO itself reaches its final value
    at 1/6 of its rollouts, and a small share for ReRec then says nothing about speed (docs/study.md)."""
    if not curves.get(grpo):
        return {rerec: None, grpo: None}
    final = curves[grpo][-1]
    reach = {m: rollouts_to_reach(curves[m], final["reward"]) for m in (rerec, grpo) if m in curves}
    return {m: ratio(reach.get(m), final["rollouts"]) for m in (rerec, grpo)}


def per_answer(runs: dict, writers: list[str], rerec: str, grpo: str) -> dict[str, dict]:
    """Per multi-hop answer, the steps in which the verifier read a claim and those it found false: each method's
    mean and `rerec − grpo` paired, with both intervals. Why: the false-step share is a ratio, and a design whose
    answers are shorter can hold the share while showing the user fewer false steps (docs/study.md,
    2026-12-05, late morning)."""
    out = {}
    for key in PER_ANSWER:
        means = {m: statistics.fmean(v.values()) for m in writers if (v := query_values(runs[m], key, "multi-hop"))}
        out[key] = {"by_method": means, "rerec_minus_grpo": gap(runs, key, rerec, grpo)}
    return out


def gap(runs: dict, metric: str, first: str, second: str, column: str = "multi-hop") -> dict | None:
    """`first − second` on `metric` in `column` as a summary entry: paired over the queries both scored, and over
    seeds where either has several (`rerec.eval.report.paired`); None where either is missing or none is shared."""
    if not {first, second} <= set(runs) or (d := paired(runs, metric, first, second).get(column)) is None:
        return None
    return entry(vars(d) | {"finding": d.finding})


def entry(d: dict | None) -> dict | None:
    """A paired difference in `report.json`'s form as a summary entry (None stays None)."""
    if d is None:
        return None
    keys = ("diff", "low", "high", "p_value", "n", "finding")
    return {k: d[k] for k in keys} | {"seeds_ci_low": d["seeds_low"], "seeds_ci_high": d["seeds_high"]}


def seed_gaps(runs: dict, method: str, metric: str = "hit@1", column: str = "multi-hop") -> list[float]:
    """The paired gap between every two of `method`'s seeds. Why: an ablation or a reference arm is one seed, so
    a gap to the headline design no wider than these says nothing about the switch it turned off."""
    pairs = itertools.combinations(runs.get(method, []), 2)
    gaps = (gap({"a": [x], "b": [y]}, metric, "a", "b", column) for x, y in pairs)
    return [g["diff"] for g in gaps if g is not None]


def at_seed(runs: dict, method: str, seed: int) -> list[dict]:
    """`method`'s run of `seed`: its folder `<method>-seed<seed>`, or `<method>` alone (the ablations and
    references are one run each, trained at SINGLE_SEED and named without a seed)."""
    names = {method, f"{method}-seed{seed}"}
    return [r for r in runs.get(method, []) if Path(r["folder"]).name in names]


def switched_off(runs: dict, hit_pairs: dict, tied: dict, rerec: str, grpo: str) -> dict[str, dict]:
    """The single-seed arms beside the headline comparison, each paired on multi-hop queries (Hit@1, false and checked
    steps per answer: fewer false steps from shorter answers is a length effect) with what it differs from by one
    switch, with its accuracy-tied share in training: the headline design minus each of its ablations (a positive Hit@1
    gap: the component helped), and the paper's rules and GRPO with dynamic sampling each minus GRPO. Each is paired
    with every seed of the other method, and with its run of the same seed (`same_seed`, SINGLE_SEED). Why both: at one
    seed the two runs draw their first rollouts alike and drift apart only as their updates differ (rerec-v2-no-qas
    wrote the same answer as rerec-v2-seed0 to 557 of 560 test queries), so the same-seed pair isolates the switch far
    more tightly than a pair across seeds, which is as wide as the gaps between two seeds of one method (`seed_gaps`).
    The Hit@1 pair across seeds is the report's own (`hit_pairs`, from `study_pairs`), not computed again."""
    against = {name: (rerec, name) for name in ablations(rerec)} | {name: (name, grpo) for name in REFERENCES}
    out = {}
    for name, (first, second) in against.items():
        if name not in runs:
            continue
        same = {m: at_seed(runs, m, SINGLE_SEED) for m in (first, second)}
        out[name] = {
            "minus": f"{first} - {second}",
            "hit@1": entry(hit_pairs.get(f"{first} - {second}", {}).get("multi-hop")),
            "false_steps": gap(runs, "false_steps", first, second),
            "checked_steps": gap(runs, "checked_steps", first, second),
            "same_seed": {metric: gap(same, metric, first, second) for metric in ("hit@1", "false_steps")}
            if all(same.values())
            else None,
            "accuracy_tied_share": tied.get(name),
        }
    return out


def versus_baselines(runs: dict, hit_pairs: dict, method: str) -> dict[str, dict]:
    """Per condition type: `method` against the best non-LLM baseline there, with the paired interval."""
    versus = {}
    for kind in CONDITION_TYPES:
        scores = {b: seed_mean(runs, b, "hit@1", kind) for b in BASELINES if b in runs}
        scores = {b: v for b, v in scores.items() if v is not None}
        if not scores or seed_mean(runs, method, "hit@1", kind) is None:
            continue
        best = max(scores, key=scores.get)
        d = hit_pairs.get(f"{method} - {best}", {}).get(kind)
        versus[kind] = {
            "rerec": seed_mean(runs, method, "hit@1", kind), "best_baseline": scores[best],
            "best_baseline_name": best, "diff_ci": None if d is None else [d["low"], d["high"]],
            "diff_ci_seeds": None if d is None or d["seeds_low"] is None else [d["seeds_low"], d["seeds_high"]],
            "p_value": None if d is None else d["p_value"], "finding": d is not None and d["finding"],
        }  # fmt: skip
    return versus


def beats(versus: dict) -> bool | None:
    """Whether a method is ahead of the best baseline on every condition type, each with a paired finding."""
    if len(versus) < len(CONDITION_TYPES):
        return None
    return all(v["finding"] and v["rerec"] > v["best_baseline"] for v in versus.values())


def summarise(report: dict, runs: dict, curves: dict, retention: dict, rerec: str, grpo: str, warm: str) -> dict:
    hit_pairs = report["paired"]["hit@1"]
    # did RL move the warm start at all? (per method, every column the paired report has)
    over_warm = {
        m: {column: {k: d[k] for k in ("diff", "low", "high", "p_value", "n")} for column, d in cells.items()}
        for m in (rerec, grpo)
        if (cells := hit_pairs.get(f"{m} - {warm}"))
    }
    multihop = hit_pairs.get(f"{rerec} - {grpo}", {}).get("multi-hop")
    head = None
    if multihop:
        relative = ratio(multihop["diff"], multihop["second_mean"])
        head = {k: multihop[k] for k in ("diff", "p_value", "n", "finding")} | {
            "ci_low": multihop["low"], "ci_high": multihop["high"], "relative": relative,
            # over seeds and queries: whether the training method, not only these runs, is ahead
            "seeds_ci_low": multihop["seeds_low"], "seeds_ci_high": multihop["seeds_high"],
            "rerec": multihop["first_mean"], "grpo": multihop["second_mean"],
        }  # fmt: skip
    versus = versus_baselines(runs, hit_pairs, rerec)
    writers = [m for m, rs in runs.items() if not str(rs[0]["settings"].get("model", "")).startswith("baseline:")]
    # the graph check reorders candidates and leaves the text and the training alone: its rows would repeat the
    # model's step counts and tied shares (or, where only some seeds' run folders are on this machine, part of them)
    models = [m for m in writers if not m.endswith(CHECKED)]
    false_steps = {m: seed_mean(runs, m, "false_step_share") for m in writers}  # a baseline writes no steps
    zero = {m: tied_share(runs, m) for m in models}
    reach = rollouts_to_grpo_final(curves, rerec, grpo)
    first = next(iter(runs.values()))[0]
    passed = {name: r["all"]["passed"] for name, r in retention.items()}
    summary = {
        "rerec_method": rerec,  # ReRec's design: `rerec`, or a redesign the study's pilot rule adopted
        "grpo_method": grpo,
        "rerec_minus_grpo_multihop": head,
        "rerec_vs_best_baseline": versus,
        # the same with rerec's graph check on the same answers (benchmarks/graph_check.py): a system result,
        # not the RL comparison; the goal above is read on the model's own answers
        "rerec_graph_vs_best_baseline": versus_baselines(runs, hit_pairs, f"{rerec}{CHECKED}"),
        "minus_warm_start": over_warm,
        "false_step_share": {"rerec": false_steps.get(rerec), "grpo": false_steps.get(grpo), "by_method": false_steps},
        # the share's two counts per multi-hop answer, paired
        "steps_per_multihop_answer": per_answer(runs, models, rerec, grpo),
        "hint_box_rate": {m: seed_mean(runs, m, "hint_boxed") for m in writers},
        "zero_variance_share": zero,
        "zero_variance_ratio": ratio(zero.get(rerec), zero.get(grpo)),
        "accuracy_tied_share": (tied := {m: tied_share(runs, m, "groups/accuracy_tied") for m in models}),
        # QAS and PAS vary inside nearly every group, so ReRec's total reward rarely ties even where every rollout
        # is equally right or wrong: this ratio says whether the scheduler found groups that disagree on accuracy
        "accuracy_tied_ratio": ratio(tied.get(rerec), tied.get(grpo)),
        # the ablations (one seed each) and the references, beside the headline design's own seed-to-seed gaps
        "switched_off": switched_off(runs, hit_pairs, tied, rerec, grpo),
        "seed_gaps_multihop": {m: seed_gaps(runs, m) for m in (rerec, grpo)},
        "rollouts_to_grpo_final_ratio": reach[rerec],
        # the same share for GRPO's own curve: near 1 if it climbs to the end, small if it is flat within noise
        "grpo_rollouts_to_own_final_ratio": reach[grpo],
        # the headline design's (`rerec`) beside every model's
        "retention": {
            "warm_start": passed.get("warm_start"),
            "rerec": passed.get(retention_name(Path(rerec))),
            "by_method": passed,
        },
        "test_queries": len(first["scores"]) if first["scores"] else first["metrics"]["all"].get("n"),
        "candidates": first["settings"].get("max_candidates"),
        "seeds": {m: len(rs) for m, rs in runs.items()},
    }
    summary["goals"] = goals(summary)
    return summary


def goals(s: dict) -> dict[str, bool | None]:
    """The issue's goals; None where the numbers are missing."""
    head, steps, keep = s["rerec_minus_grpo_multihop"], s["false_step_share"], s["retention"]
    return {
        "multihop_gap_above_0_and_paper_size": None
        if head is None
        else head["finding"] and head["diff"] > 0 and (head["relative"] or 0) >= PAPER_RELATIVE,
        "beats_best_baseline_every_condition_type": beats(s["rerec_vs_best_baseline"]),
        "beats_best_baseline_every_condition_type_with_graph_check": beats(s["rerec_graph_vs_best_baseline"]),
        "rollouts_to_grpo_final_at_most_0.6": None
        if s["rollouts_to_grpo_final_ratio"] is None
        else s["rollouts_to_grpo_final_ratio"] <= 0.6,
        "false_steps_at_most_0.10_and_below_grpo": None
        if steps["rerec"] is None or steps["grpo"] is None
        else steps["rerec"] <= 0.10 and steps["rerec"] < steps["grpo"],
        "zero_variance_ratio_at_most_0.5": None
        if s["zero_variance_ratio"] is None
        else s["zero_variance_ratio"] <= 0.5,
        "zero_variance_ratio_on_accuracy_at_most_0.5": None  # the stricter reading (see accuracy_tied_ratio)
        if s["accuracy_tied_ratio"] is None
        else s["accuracy_tied_ratio"] <= 0.5,
        "retention_not_below_warm_start": None
        if None in (keep["warm_start"], keep["rerec"])
        else keep["rerec"] >= keep["warm_start"],
    }


def measured(s: dict) -> dict[str, str]:
    """Each goal's numbers in words, so that the table shows why it holds or not: a goal can hold vacuously (GRPO's
    own curve flat within noise reaches its final value as early as ReRec's), or fail by a hair."""

    def num(x: float | None, fmt: str = ".3f") -> str:
        return "–" if x is None else format(x, fmt)

    def versus(v: dict) -> str:
        return (
            "; ".join(
                f"{kind} {num(d['rerec'])} vs {d['best_baseline_name']} {num(d['best_baseline'])}"
                f"{'' if d['diff_ci'] is None else ' [{:+.3f}, {:+.3f}]'.format(*d['diff_ci'])}"
                for kind, d in v.items()
            )
            or "–"
        )

    head, steps, keep = s["rerec_minus_grpo_multihop"], s["false_step_share"], s["retention"]
    tied, zero = s["accuracy_tied_share"], s["zero_variance_share"]
    rerec, grpo = s["rerec_method"], s["grpo_method"]
    return {
        "multihop_gap_above_0_and_paper_size": "–"
        if head is None
        else f"{head['diff']:+.3f} [{head['ci_low']:+.3f}, {head['ci_high']:+.3f}], p = {head['p_value']}, "
        f"{num(head['relative'], '+.1%')} relative (paper {PAPER_RELATIVE:+.0%})",
        "beats_best_baseline_every_condition_type": versus(s["rerec_vs_best_baseline"]),
        "beats_best_baseline_every_condition_type_with_graph_check": versus(s["rerec_graph_vs_best_baseline"]),
        "rollouts_to_grpo_final_at_most_0.6": f"{num(s['rollouts_to_grpo_final_ratio'])} "
        f"(GRPO reaches its own final value at {num(s['grpo_rollouts_to_own_final_ratio'])})",
        "false_steps_at_most_0.10_and_below_grpo": f"{num(steps['rerec'])} vs GRPO {num(steps['grpo'])}",
        "zero_variance_ratio_at_most_0.5": f"{num(s['zero_variance_ratio'])} "
        f"({num(zero.get(rerec))} / {num(zero.get(grpo))})",
        "zero_variance_ratio_on_accuracy_at_most_0.5": f"{num(s['accuracy_tied_ratio'])} "
        f"({num(tied.get(rerec))} / {num(tied.get(grpo))})",
        "retention_not_below_warm_start": f"{num(keep['rerec'], 'd')} vs warm start "
        f"{num(keep['warm_start'], 'd')} passed",
    }


def markdown(summary: dict) -> str:
    lines = ["# Study summary", "", "| goal | measured | holds |", "|---|---|---|"]
    numbers = measured(summary)
    lines += [
        f"| {name} | {numbers[name]} | {'–' if ok is None else 'yes' if ok else 'no'} |"
        for name, ok in summary["goals"].items()
    ]
    return "\n".join([*lines, "", *switched_off_lines(summary), "```json", json.dumps(summary, indent=2), "```", ""])


def switched_off_lines(summary: dict) -> list[str]:
    """A table of `switched_off` (nothing before any of those arms is tested), with the seed-to-seed gaps."""
    arms = summary["switched_off"]
    if not arms:
        return []

    def cell(d: dict | None) -> str:
        if d is None:
            return "–"
        return f"{d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]{' (finding)' if d['finding'] else ''}"

    lines = [
        "## One switch at a time (one seed each; multi-hop test queries, paired)",
        "",
        f"| arm | difference | Hit@1 | false steps per answer | checked steps per answer | the same at seed "
        f"{SINGLE_SEED}: Hit@1 | false steps | accuracy-tied share in training |",
        "|---" * 8 + "|",
    ]
    for name, arm in arms.items():
        tied = "–" if arm["accuracy_tied_share"] is None else f"{arm['accuracy_tied_share']:.3f}"
        same = arm["same_seed"] or {}
        row = (arm["hit@1"], arm["false_steps"], arm["checked_steps"], same.get("hit@1"), same.get("false_steps"))
        cells = [cell(d) for d in row]
        lines.append(f"| {name} | {arm['minus']} | {' | '.join(cells)} | {tied} |")
    noise = ", ".join(
        f"{m}: {' '.join(f'{g:+.3f}' for g in gaps)}" for m, gaps in summary["seed_gaps_multihop"].items() if gaps
    )
    return [*lines, "", f"Hit@1 gaps between two seeds of one method (multi-hop): {noise or '–'}.", ""]


def retention_name(folder: Path) -> str:
    """A kept retention folder's key in the summary: `warm-start` -> `warm_start`, `rerec-seed0` -> `rerec`."""
    return method_of(folder).replace("-", "_")


def study_pairs(methods: set[str], rerec: str, grpo: str, warm: str) -> list[tuple[str, str]]:
    """The report's paired comparisons among `methods`: ReRec against GRPO and against each baseline (and the same
    after the graph check, where its methods are there), ReRec and GRPO against the warm start, then ReRec against
    each of its ablations and the references (the paper's rules, GRPO with dynamic sampling) against GRPO."""
    checked = (f"{rerec}{CHECKED}", f"{grpo}{CHECKED}")
    pairs = [p for p in ((rerec, grpo), checked) if set(p) <= methods]
    pairs += [(m, b) for m in (rerec, checked[0]) for b in BASELINES if {m, b} <= methods]
    pairs += [(m, warm) for m in (rerec, grpo) if {m, warm} <= methods]
    single = [(rerec, name) for name in ablations(rerec)] + [(name, grpo) for name in REFERENCES]
    return pairs + [p for p in single if set(p) <= methods]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    inputs = parser.add_mutually_exclusive_group(required=True)
    inputs.add_argument("--evals", nargs="+", type=Path, help="rerec eval folders (test split)")
    inputs.add_argument(
        "--kept", type=Path, help="a study_queue.py --keep folder: its test/*, curves/* and retention/* (every seed)"
    )
    parser.add_argument(
        "--checked", type=Path, help="a benchmarks/graph_check.py --out folder on the test split: its evaluations join"
    )
    parser.add_argument("--curves", nargs="*", type=Path, default=[], help="rerec eval --checkpoints folders")
    parser.add_argument("--retention", nargs="*", default=[], metavar="NAME=FOLDER", help="rerec retention folders")
    parser.add_argument(
        "--rerec", help="method name of ReRec's runs (default: with --kept the design the queue adopted, else rerec)"
    )
    parser.add_argument("--grpo", default="grpo", help="method name of plain GRPO's runs")
    parser.add_argument("--warm_start", default="warm-start", help="method name of the warm start's evaluation")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--title", default="ReRec vs GRPO and the non-LLM baselines (issue 19)")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    args.rerec = args.rerec or (headline(args.kept) if args.kept else "rerec")
    if args.kept:
        if not (args.kept / "test").is_dir():
            parser.error(f"{args.kept} holds no test/ folder: is it a study_queue.py --keep folder?")
        args.evals = sorted(p for p in (args.kept / "test").iterdir() if (p / "metrics.json").is_file())
        args.curves = sorted(p for p in (args.kept / "curves").glob("*") if (p / "curve.json").is_file())
        args.retention = [f"{retention_name(p)}={p}" for p in sorted((args.kept / "retention").glob("*"))]
    if args.checked:
        if not args.checked.is_dir():
            parser.error(f"--checked {args.checked}: no such folder (write it with benchmarks/graph_check.py)")
        args.evals += sorted(p for p in args.checked.iterdir() if (p / "metrics.json").is_file())
    runs = load_runs(args.evals)
    pairs = study_pairs(set(runs), args.rerec, args.grpo, args.warm_start)
    write_report(args.evals, args.out, METRICS, args.title, args.overwrite, pairs, args.curves)
    report = json.loads((args.out / "report.json").read_text())
    retention = {}
    for item in args.retention:
        name, _, folder = item.partition("=")
        retention[name] = json.loads((Path(folder) / "retention.json").read_text())
    summary = summarise(report, runs, load_curves(args.curves), retention, args.rerec, args.grpo, args.warm_start)
    write_pair(args.out, "summary", summary, markdown(summary))
    print(markdown(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
