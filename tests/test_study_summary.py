"""`benchmarks/study.py`: the issue's goals read from a report of hand-made evaluations."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_report import scored_eval

from rerec.eval.report import TRAINING_COPY

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import study  # noqa: E402


def test_summary_reads_the_goals_off_the_report(tmp_path, monkeypatch):
    ten = [1] * 10
    scored_eval(tmp_path / "rerec-seed0", {"explicit": ten, "implicit": ten, "misinformed": [1] * 8 + [0] * 2})
    scored_eval(tmp_path / "grpo-seed0", {"explicit": ten, "implicit": [0] * 10, "misinformed": [0] * 10})
    scored_eval(
        tmp_path / "popularity", {"explicit": [0] * 10, "implicit": [1] * 5 + [0] * 5, "misinformed": [0] * 10}
    )
    scored_eval(tmp_path / "bm25", {"explicit": [1] * 9 + [0], "implicit": [0] * 10, "misinformed": [0] * 10})
    scored_eval(tmp_path / "warm-start", {"explicit": ten, "implicit": [1] * 5 + [0] * 5, "misinformed": [0] * 10})
    for name, total_tied, accuracy_tied in (("rerec-seed0", 0.1, 0.2), ("grpo-seed0", 0.4, 0.5)):
        step = {"reward": 0.3, "frac_reward_zero_std": total_tied, "groups/accuracy_tied": accuracy_tied}
        (tmp_path / name / TRAINING_COPY).write_text(json.dumps(step) + "\n")  # the kept copy of its training log
    retention = {}
    for name, passed in (("sft", 33), ("rerec", 35)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "retention.json").write_text(json.dumps({"all": {"passed": passed, "n": 72}}))
        retention[name] = f"{name}={tmp_path / name}"
    evals = [str(tmp_path / n) for n in ("rerec-seed0", "grpo-seed0", "popularity", "bm25", "warm-start")]
    argv = ["study.py", "--evals", *evals, "--out", str(tmp_path / "out")]
    argv += ["--retention", retention["sft"].replace("sft=", "warm_start="), retention["rerec"]]
    monkeypatch.setattr(sys, "argv", argv)
    assert study.main() == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    head = summary["rerec_minus_grpo_multihop"]
    assert head["diff"] == 0.9 and head["ci_low"] > 0 and head["relative"] is None  # GRPO scored 0: no relative
    assert head["finding"] and head["seeds_ci_low"] is None  # one seed each: no interval over seeds
    versus = summary["rerec_vs_best_baseline"]
    assert (
        versus["explicit"]["best_baseline_name"] == "bm25" and versus["implicit"]["best_baseline_name"] == "popularity"
    )
    over_warm = summary["minus_warm_start"]
    assert over_warm["rerec"]["multi-hop"]["diff"] == 0.65 and over_warm["grpo"]["implicit"]["diff"] == -0.5
    goals = summary["goals"]
    assert goals["multihop_gap_above_0_and_paper_size"] is False  # no relative size to meet the paper's
    assert goals["beats_best_baseline_every_condition_type"] is False  # explicit: 1.0 vs 0.9 on 10 queries is level
    assert goals["retention_not_below_warm_start"] is True
    assert summary["retention"]["by_method"] == {"warm_start": 33, "rerec": 35}
    assert goals["rollouts_to_grpo_final_at_most_0.6"] is None
    assert summary["zero_variance_ratio"] == 0.25 and goals["zero_variance_ratio_at_most_0.5"] is True
    assert summary["accuracy_tied_ratio"] == 0.4 and goals["zero_variance_ratio_on_accuracy_at_most_0.5"] is True
    assert summary["test_queries"] == 30 and set(summary["seeds"].values()) == {1}
    assert list(summary["seeds"]) == ["rerec", "grpo", "popularity", "bm25", "warm-start"]
    text = (tmp_path / "out" / "summary.md").read_text()
    assert (tmp_path / "out" / "report.md").is_file() and "| goal | measured | holds |" in text
    assert "| retention_not_below_warm_start | 35 vs warm start 33 passed | yes |" in text  # each goal's numbers
    assert "| rollouts_to_grpo_final_at_most_0.6 | – (GRPO reaches its own final value at –) | – |" in text


def test_single_seed_arms_are_paired_with_what_they_switch_off_beside_the_seed_gaps(tmp_path, monkeypatch):
    ten, none = [1] * 10, [0] * 10
    arms = {
        "rerec-seed0": {"explicit": ten, "implicit": ten, "misinformed": ten},
        "rerec-seed1": {"explicit": ten, "implicit": [1] * 9 + [0], "misinformed": ten},  # one query apart
        "grpo-seed0": {"explicit": ten, "implicit": [1] * 5 + [0] * 5, "misinformed": [1] * 5 + [0] * 5},
        "rerec-no-raae": {"explicit": ten, "implicit": none, "misinformed": none},  # RAAE carried every hit
        "rerec-paper": {"explicit": ten, "implicit": [1] * 5 + [0] * 5, "misinformed": [1] * 5 + [0] * 5},
    }
    for name, hits in arms.items():
        scored_eval(tmp_path / name, hits)
    step = {"reward": 0.3, "frac_reward_zero_std": 0.2, "groups/accuracy_tied": 0.25}
    (tmp_path / "rerec-no-raae" / TRAINING_COPY).write_text(json.dumps(step) + "\n")
    argv = ["study.py", "--evals", *(str(tmp_path / n) for n in arms), "--out", str(tmp_path / "out")]
    monkeypatch.setattr(sys, "argv", argv)
    assert study.main() == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    off = summary["switched_off"]
    assert list(off) == ["rerec-no-raae", "rerec-paper"]  # no other ablation or reference was evaluated
    raae = off["rerec-no-raae"]
    assert raae["minus"] == "rerec - rerec-no-raae" and raae["accuracy_tied_share"] == 0.25
    assert raae["hit@1"]["diff"] == pytest.approx(0.975) and raae["hit@1"]["finding"]  # 19.5 of 20 multi-hop
    assert raae["false_steps"] is None and raae["checked_steps"] is None  # these evaluations count no steps
    assert raae["same_seed"]["hit@1"]["diff"] == 1.0 and raae["same_seed"]["hit@1"]["seeds_ci_low"] is None  # seed 0
    runs = {"rerec": [{"folder": tmp_path / "rerec-seed1"}], "rerec-no-pas": [{"folder": tmp_path / "rerec-no-pas"}]}
    assert study.at_seed(runs, "rerec", 0) == [] and len(study.at_seed(runs, "rerec-no-pas", 0)) == 1  # no seed 0
    paper = off["rerec-paper"]
    assert paper["minus"] == "rerec-paper - grpo" and paper["hit@1"]["diff"] == 0 and not paper["hit@1"]["finding"]
    assert summary["seed_gaps_multihop"] == {"rerec": [0.05], "grpo": []}  # implicit: 1 of 20 multi-hop queries
    text = (tmp_path / "out" / "summary.md").read_text()
    assert "| rerec-no-raae | rerec - rerec-no-raae | +0.975 [" in text and "rerec: +0.050" in text
    assert "| – | – | +1.000 [+1.000, +1.000] (finding) | – | 0.250 |" in text  # no step counts
    report = (tmp_path / "out" / "report.md").read_text()
    assert "### hit@1: rerec − rerec-no-raae, paired" in report and "### hit@1: rerec-paper − grpo, paired" in report


def test_steps_per_answer_pair_the_counts_behind_the_false_step_share(tmp_path):
    from rerec.eval.report import load_runs

    def counts(folder: Path, steps: list[int], false: list[int]) -> None:
        scored_eval(folder, {"explicit": [1] * 4, "implicit": [1] * 4, "misinformed": [0] * 4})
        lines = (folder / "scores.jsonl").read_text().splitlines()
        rows = [json.loads(line) for line in lines]
        for row, n, f in zip(rows, steps * 3, false * 3, strict=True):  # the same counts for every type
            row |= {"checked_steps": n, "false_steps": f}
        (folder / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    # the same false-step share (1 in 4 against 2 in 8), half the steps and half the false ones per answer
    counts(tmp_path / "rerec-seed0", [2, 2, 2, 2], [1, 1, 0, 0])
    counts(tmp_path / "grpo-seed0", [4, 4, 4, 4], [1, 1, 1, 1])
    counts(tmp_path / "popularity", [0] * 4, [0] * 4)
    counts(tmp_path / "rerec-no-raae", [4, 4, 4, 4], [1, 1, 1, 1])  # an ablation that writes GRPO's length
    runs = load_runs([tmp_path / n for n in ("rerec-seed0", "grpo-seed0", "popularity", "rerec-no-raae")])
    out = study.per_answer(runs, ["rerec", "grpo"], "rerec", "grpo")
    assert out["checked_steps"]["by_method"] == {"rerec": 2.0, "grpo": 4.0}  # multi-hop: 8 queries each
    steps, false = out["checked_steps"]["rerec_minus_grpo"], out["false_steps"]["rerec_minus_grpo"]
    assert steps["diff"] == -2.0 and steps["n"] == 8 and steps["seeds_ci_low"] is None  # one seed a method
    assert false["diff"] == -0.5 and out["false_steps"]["by_method"] == {"rerec": 0.5, "grpo": 1.0}
    assert study.per_answer(runs, ["rerec"], "rerec", "lightgcn")["false_steps"]["rerec_minus_grpo"] is None
    raae = study.switched_off(runs, {}, {}, "rerec", "grpo")["rerec-no-raae"]
    assert raae["checked_steps"]["diff"] == -2.0 and raae["false_steps"]["diff"] == -0.5  # shorter, so fewer false


def test_tied_shares_of_a_dynamic_sampling_run_count_the_groups_it_trained(tmp_path):
    def run(name: str, *steps: dict) -> dict:
        (tmp_path / name).mkdir()
        (tmp_path / name / TRAINING_COPY).write_text("".join(json.dumps({"reward": 0.5, **s}) + "\n" for s in steps))
        return {"settings": {}, "folder": str(tmp_path / name)}

    scored = {"frac_reward_zero_std": 0.2, "groups/accuracy_tied": 0.5}
    refilled = [scored | {"dynamic_sampling/tied_share": share} for share in (0.1, 0.3)]
    runs = {"grpo": [run("grpo", scored, scored)], "grpo-ds": [run("ds", *refilled)]}
    assert study.tied_share(runs, "grpo") == 0.2 and study.tied_share(runs, "grpo", "groups/accuracy_tied") == 0.5
    assert study.tied_share(runs, "grpo-ds") == study.tied_share(runs, "grpo-ds", "groups/accuracy_tied") == 0.2
    # no scored group tied on the total reward at the first step: none of those trained did either
    runs["grpo-ds"] = [run("ds-untied", refilled[0] | {"frac_reward_zero_std": 0.0}, refilled[1])]
    assert (
        study.tied_share(runs, "grpo-ds") == 0.15 and study.tied_share(runs, "grpo-ds", "groups/accuracy_tied") == 0.2
    )
    assert study.tied_share(runs, "rerec") is None


def test_rollouts_to_grpo_final_come_with_grpo_own_share():
    def curve(*rewards):
        return [{"rollouts": 128 * (i + 1), "reward": r} for i, r in enumerate(rewards)]

    flat = {"grpo": curve(0.67, 0.66, 0.665), "rerec": curve(0.60, 0.68, 0.70)}
    assert study.rollouts_to_grpo_final(flat, "rerec", "grpo") == {"rerec": 2 / 3, "grpo": 1 / 3}
    climbing = {"grpo": curve(0.5, 0.6, 0.7), "rerec": curve(0.5, 0.55, 0.6)}  # ReRec never reaches 0.7
    assert study.rollouts_to_grpo_final(climbing, "rerec", "grpo") == {"rerec": None, "grpo": 1.0}
    assert study.rollouts_to_grpo_final({"grpo": climbing["grpo"]}, "rerec", "grpo") == {"rerec": None, "grpo": 1.0}
    assert study.rollouts_to_grpo_final({}, "rerec", "grpo") == {"rerec": None, "grpo": None}


def queue_args(tmp_path, **extra):
    import argparse

    q = tmp_path / "q"
    args = argparse.Namespace(root=str(q), prepared="runs/ml100k", config="cpu-study", sft_config="cpu-study-sft",
                              warm_start=str(q / "warm-start"), keep=str(tmp_path / "kept"), seeds=3,
                              curve_queries=100, only=None, budget=["--max_new_tokens", "192"], design="rerec",
                              dry_run=False, skip_lr_check=False, skip_longer_check=False,
                              dataset="ml-100k", checked=str(tmp_path / "checked"), report=str(tmp_path / "report"),
                              secondary_report=str(tmp_path / "report-c5"))  # fmt: skip
    for key, value in extra.items():
        setattr(args, key, value)
    return args


def test_the_queue_scores_answers_as_long_as_the_preset_trains_them(tmp_path):
    import study_queue

    assert study_queue.answer_budget("cpu-study") == ["--max_new_tokens", "192"]
    unset = tmp_path / "unset.yaml"
    unset.write_text("learning_rate: 1.0e-4\n")
    with pytest.raises(SystemExit, match="sets no max_completion_length"):
        study_queue.answer_budget(str(unset))


def test_the_queue_pairs_seeds_and_resumes_a_started_run(tmp_path):
    import study_queue

    arms = study_queue.arms(2)
    # the pilots right after their control, then the ablations
    assert list(arms)[:5] == ["grpo-seed0", "rerec-seed0", "grpo-seed1", *study_queue.PILOTS, "rerec-seed1"]
    assert arms["grpo-seed1"][-2:] == ["--seed", "1"] and "--raae" in arms["grpo-ds"]
    args = queue_args(tmp_path)
    run = tmp_path / "q" / "runs" / "rerec-seed0"
    fresh = study_queue.steps("rerec-seed0", arms["rerec-seed0"], args)
    assert len(fresh) == 4 and "--resume" not in fresh[0].command  # train, test evaluation, learning curve, retention
    assert fresh[1].done == tmp_path / "q" / "test" / "rerec-seed0" / "metrics.json" and "test" in fresh[1].command
    assert fresh[1].training_log == run / "metrics.jsonl"
    train = fresh[0].command
    assert train[train.index("--model_name_or_path") + 1] == str(tmp_path / "q" / "warm-start" / "final")
    assert train[train.index("--bf16") + 1] == "false" and "float32" in fresh[1].command  # one precision everywhere
    assert fresh[1].command[-3:-2] == fresh[2].command[-3:-2] == ["192"]  # the answer budget, before --output_dir
    assert [s.command[s.command.index("--max_candidates") + 1] for s in fresh[1:3]] == ["20", "20"]  # as trained
    run.mkdir(parents=True)
    (run / "metrics.jsonl").write_text("")  # stopped before its first checkpoint
    assert "--overwrite" in study_queue.steps("rerec-seed0", arms["rerec-seed0"], args)[0].command
    (run / "checkpoint-8").mkdir()
    assert "--resume" in study_queue.steps("rerec-seed0", arms["rerec-seed0"], args)[0].command
    assert len(study_queue.steps("rerec-no-pas", arms["rerec-no-pas"], args)) == 2  # no curve for an ablation


def finish(step, files: dict[str, str]) -> None:
    """What a step would have written: its marker and `files` (relative path -> text)."""
    for name, text in {step.marker: "{}", **files}.items():
        (step.folder / name).parent.mkdir(parents=True, exist_ok=True)
        (step.folder / name).write_text(text)


def test_kept_steps_survive_a_lost_machine(tmp_path):
    import shutil

    import study_queue

    args = queue_args(tmp_path, only=["warm-start", "grpo-seed1"])
    keep = tmp_path / "kept"
    names = lambda: [(unit, [s.kept_as for s in steps]) for unit, steps in study_queue.plan(args)]  # noqa: E731
    assert names() == [("warm-start", ["warm-start", "val/warm-start", "test/warm-start", "retention/warm-start"]),
                       ("grpo-seed1", ["runs/grpo-seed1", "val/grpo-seed1", "test/grpo-seed1"])]  # fmt: skip
    for _, steps in study_queue.plan(args):
        for step in steps:
            finish(step, {"metrics.jsonl": '{"reward": 0.5}\n', "checkpoint-8/model.safetensors": "weights",
                          "checkpoint-8/trainer_state.json": "{}", "predictions.jsonl": "{}\n",
                          ".rerec-output.json": "{}"})  # fmt: skip
            study_queue.keep_step(step, keep)
    kept_run, kept_test = keep / "runs" / "grpo-seed1", keep / "test" / "grpo-seed1"
    assert (kept_run / "metrics.jsonl").is_file() and not (kept_run / "checkpoint-8").exists()  # logs, no weights
    assert (kept_test / "predictions.jsonl").is_file() and (kept_test / "training.jsonl").is_file()
    stamp = json.loads((kept_run / "queue.json").read_text())
    assert "train" in stamp["command"] and "cores" in stamp["machine"] and isinstance(stamp["cpu_flags"], list)
    assert not (keep / "warm-start" / "checkpoint-8" / "model.safetensors").exists()
    assert not (kept_test / ".rerec-output.json").exists()
    assert study_queue.plan(args) == []  # everything kept: nothing to run
    shutil.rmtree(tmp_path / "q")  # the machine is lost
    assert study_queue.plan(args) == []  # the kept arm is not run again
    shutil.rmtree(kept_test)  # an arm whose evaluation was not kept trains again, from a warm start trained again
    rebuilt = ("warm-start", ["warm-start", "val/warm-start-rebuilt"])  # and checked against the first build
    assert names() == [rebuilt, ("grpo-seed1", ["runs/grpo-seed1", "val/grpo-seed1", "test/grpo-seed1"])]
    run = study_queue.plan(args)[1][1][0]
    assert study_queue.to_run(run, keep) and "--resume" not in run.command
    check = study_queue.plan(args)[0][1][1]
    finish(check, {})
    study_queue.keep_step(check, keep)
    assert not study_queue.to_run(check, keep)
    shutil.rmtree(tmp_path / "q")  # lost again: the next rebuild is checked too, although the last check is kept
    assert study_queue.to_run(check, keep) and names()[0] == rebuilt


def test_a_benchmark_prepared_again_must_hash_as_the_kept_steps_did(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import study_queue

    prepared = tmp_path / "prepared"
    (prepared / "queries").mkdir(parents=True)
    (prepared / "dataset.json").write_text("{}")
    split = lambda text: pq.write_table(pa.table({"id": ["q1"], "query": [text]}), prepared / "queries/test.parquet")  # noqa: E731
    split("movies directed by the director of Jaws")
    args = queue_args(tmp_path, prepared=str(prepared))
    assert study_queue.same_benchmark(args)  # the first machine writes the record
    assert set(json.loads((tmp_path / "kept" / study_queue.BENCHMARK).read_text())) == {"test"}
    split("movies directed by the director of Jaws")
    assert study_queue.same_benchmark(args)  # the same rows, written again, still pass
    split("movies directed by the director of Heat")  # the same id, another query
    assert not study_queue.same_benchmark(args)
    assert "['test']" in capsys.readouterr().err
    missing = queue_args(tmp_path, prepared=str(tmp_path / "absent"), dry_run=True)
    assert study_queue.same_benchmark(missing)  # a new machine prepares it first
    assert "prepare --dataset ml-100k --out" in capsys.readouterr().out


def test_each_arm_tested_refreshes_the_graph_check_and_report_over_every_kept_model(tmp_path):
    import study_queue

    args = queue_args(tmp_path)
    for name in ("warm-start", "grpo-seed0", "bm25", "not-finished"):
        (tmp_path / "kept" / "test" / name).mkdir(parents=True)
        if name != "not-finished":
            (tmp_path / "kept" / "test" / name / "metrics.json").write_text("{}")
    check, report = study_queue.report_commands(args)
    evals = check[check.index("--evals") + 1 :]
    assert [Path(e).name for e in evals] == ["grpo-seed0", "warm-start"]  # models only: a baseline writes no steps
    assert check[check.index("--out") + 1] == report[report.index("--checked") + 1] == args.checked
    assert report[report.index("--out") + 1] == args.report and "--overwrite" in report
    test_eval = study_queue.steps("grpo-seed0", study_queue.arms(1)["grpo-seed0"], args)[1]
    assert test_eval.kept_as == "test/grpo-seed0" and test_eval.then is not None


def test_the_secondary_setting_reads_the_last_paired_seed_at_five_candidates(tmp_path):
    import study_queue

    args = queue_args(tmp_path, design="rerec-v2")
    arms = study_queue.arms(3, "rerec-v2")
    train, tested, five = study_queue.steps("grpo-seed2", arms["grpo-seed2"], args)
    shown = lambda step: step.command[step.command.index("--max_candidates") + 1]  # noqa: E731
    assert (shown(tested), shown(five)) == ("20", "5") and five.command.count("--max_candidates") == 1
    assert five.kept_as == "test-c5/grpo-seed2" and five.training_log == train.folder / "metrics.jsonl"
    assert five.then is not None  # the reports follow it
    assert not any("test-c5" in s.kept_as for s in study_queue.steps("grpo-seed1", arms["grpo-seed1"], args))
    # the baselines and the warm start in one unit, reported once at its end, from a warm start checked if rebuilt
    units = study_queue.plan(queue_args(tmp_path, only=[study_queue.SECONDARY]))
    assert [(unit, [s.kept_as for s in steps]) for unit, steps in units] == [
        ("warm-start", ["warm-start", "val/warm-start-rebuilt"]),
        ("test-c5", [f"test-c5/{name}" for name in (*study_queue.BASELINES, "warm-start")]),
    ]
    assert [s.then is not None for s in units[1][1]] == [False] * len(study_queue.BASELINES) + [True]
    assert len(study_queue.report_commands(args)) == 2  # nothing kept at five candidates yet
    for name in ("grpo-seed2", "rerec-v2-seed2", "bm25", "kg-path", "warm-start"):
        (tmp_path / "kept" / "test-c5" / name).mkdir(parents=True)
        (tmp_path / "kept" / "test-c5" / name / "metrics.json").write_text("{}")
    *_, second = study_queue.report_commands(args)
    assert second[second.index("--out") + 1] == args.secondary_report
    paired = second[second.index("--paired") + 1 :]  # kg-path, the graph oracle, is no baseline to beat
    assert paired == ["rerec-v2", "grpo", "rerec-v2", "bm25", "rerec-v2", "warm-start", "grpo", "warm-start"]


def test_a_pilot_is_read_on_validation_against_its_control(tmp_path):
    import study_queue

    args = queue_args(tmp_path)
    pilot = next(iter(study_queue.PILOTS))
    train, validated = study_queue.steps(pilot, study_queue.arms(2)[pilot], args)  # no test evaluation
    assert "--dynamic_sampling" in train.command and validated.kept_as == f"val/{pilot}"
    assert validated.command[validated.command.index("--split") + 1] == "val"
    control = study_queue.steps(study_queue.PILOT_CONTROL, study_queue.arms(2)[study_queue.PILOT_CONTROL], args)
    assert [s.kept_as for s in control] == [f"runs/{study_queue.PILOT_CONTROL}", f"val/{study_queue.PILOT_CONTROL}",
                                            f"test/{study_queue.PILOT_CONTROL}"]  # fmt: skip
    swap = {str(train.folder / "final"): "model", str(validated.folder): "out"}
    swap |= {str(control[0].folder / "final"): "model", str(control[1].folder): "out"}
    same = [[swap.get(arg, arg) for arg in step.command] for step in (validated, control[1])]
    assert same[0] == same[1]  # the same slice, prompt and budget
    keep = Path(args.keep)
    keep.mkdir()
    validated.then()  # the control is not evaluated yet: nothing recorded
    assert not (keep / study_queue.PILOTS_FILE).exists()

    def measured(folder: Path, **values) -> None:
        metrics = json.loads((folder / "metrics.json").read_text())
        metrics["all"] |= values
        (folder / "metrics.json").write_text(json.dumps(metrics))

    scored_eval(control[1].folder, {"implicit": [1] * 4 + [0] * 6})
    scored_eval(validated.folder, {"implicit": [1] * 6 + [0] * 4})
    measured(control[1].folder, false_step_share=0.3, mean_tokens=100.0)
    measured(validated.folder, false_step_share=0.1, mean_tokens=80.0)
    (control[0].folder).mkdir(parents=True)  # its training log: half the groups tied on accuracy
    (control[0].folder / "metrics.jsonl").write_text(json.dumps({"reward": 0.5, "groups/accuracy_tied": 0.5}) + "\n")
    validated.then()  # the pilot's own training log is not there: its tied share is unknown
    record = json.loads((keep / study_queue.PILOTS_FILE).read_text())
    assert record["hit@1"] == {"pilot": 0.6, "control": 0.4} and record["hits_differ"] == 2 and record["queries"] == 10
    assert not record["finding"] and record["false_step_share"] == {"pilot": 0.1, "control": 0.3}
    assert record["trained_tied_share"] == {"pilot": None, "control": 0.5}
    assert record["adopt"]  # level on Hit@1, false steps cut to a third, answers a fifth shorter
    measured(validated.folder, mean_tokens=70.0)
    assert not validated.then()["adopt"]  # as few false steps, but answers cut by 30%: they stopped reasoning
    measured(validated.folder, false_step_share=0.2, mean_tokens=100.0)
    assert not validated.then()["adopt"]  # only a third fewer false steps
    (control[0].folder / "metrics.jsonl").write_text(json.dumps({"reward": 0.5, "groups/accuracy_tied": 0.2}) + "\n")
    train.folder.mkdir(parents=True)  # the pilot trained on groups tied a quarter as often
    refilled = {"reward": 0.5, "groups/accuracy_tied": 0.3, "dynamic_sampling/tied_share": 0.05}
    (train.folder / "metrics.jsonl").write_text(json.dumps(refilled) + "\n")
    assert validated.then()["adopt"]


def test_the_confirmed_step_pilot_is_read_on_validation_against_v2_of_its_seed(tmp_path):
    import study_queue

    args = queue_args(tmp_path, design="rerec-v2")
    arms = study_queue.arms(3, "rerec-v2")
    assert list(arms)[-3:] == [study_queue.STEP_PILOT, *study_queue.REFERENCES]  # its verdict may add seeds
    train, validated = study_queue.steps(study_queue.STEP_PILOT, arms[study_queue.STEP_PILOT], args)
    assert train.command[train.command.index("--step_truth_weight") + 1] == "0.2"
    assert "--dynamic_sampling" in train.command and validated.kept_as == f"val/{study_queue.STEP_PILOT}"
    keep = Path(args.keep)
    keep.mkdir()
    assert validated.then() is None and not (keep / study_queue.STEP_PILOT_FILE).exists()  # no control yet
    control = keep / "val" / study_queue.STEP_CONTROL

    def evaluated(folder: Path, hits: list[int], tallies: list[tuple[int, int]]) -> None:
        """40 implicit queries: Hit@1 and (false, checked) steps, ten queries for each tally given."""
        if folder.exists():
            shutil.rmtree(folder)
        scored_eval(folder, {"implicit": hits})
        rows = [json.loads(line) for line in (folder / "scores.jsonl").read_text().splitlines()]
        for row, (false, checked) in zip(rows, [t for t in tallies for _ in range(10)], strict=True):
            row |= {"false_steps": false, "checked_steps": checked}
        (folder / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    evaluated(control, [1] * 20 + [0] * 20, [(1, 4), (1, 4), (2, 4), (0, 4)])  # share 0.25, 4 steps an answer
    evaluated(validated.folder, [1] * 20 + [0] * 20, [(0, 4), (0, 4), (1, 4), (0, 4)])  # 1/16
    record = validated.then()
    share = record["false_step_share"]
    assert (share["pilot"], share["control"], share["diff"]) == (1 / 16, 0.25, 1 / 16 - 0.25)
    assert share["low"] < share["diff"] < share["high"] < 0 and record["checked_steps_per_answer"]["pilot"] == 4
    assert record["adopt"] and json.loads((keep / study_queue.STEP_PILOT_FILE).read_text()) == record
    evaluated(validated.folder, [1] * 20 + [0] * 20, [(0, 3), (0, 3), (1, 4), (0, 3)])  # 3.25 steps: < 0.9 x 4
    assert not validated.then()["adopt"]
    evaluated(validated.folder, [1] * 10 + [0] * 30, [(0, 4), (0, 4), (1, 4), (0, 4)])  # Hit@1 0.25 lower
    assert not validated.then()["adopt"]
    evaluated(validated.folder, [1] * 20 + [0] * 20, [(1, 4), (1, 4), (2, 4), (0, 4)])  # the control's share
    assert not validated.then()["adopt"]


def test_a_rebuilt_warm_start_is_compared_with_the_first_build(tmp_path):
    import study_queue

    hits = {"explicit": [1] * 8 + [0] * 2}
    scored_eval(tmp_path / "first", hits)
    scored_eval(tmp_path / "rebuilt", {"explicit": [1] * 7 + [0] * 3})  # one answer now misses
    for folder, last in (("first", "x"), ("rebuilt", "y")):  # and the last one is worded otherwise
        texts = ["same"] * 9 + [last]
        rows = [{"id": f"explicit-{i}", "completion": t} for i, t in enumerate(texts)]
        (tmp_path / folder / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    record = study_queue.compare_rebuild(tmp_path / "first", tmp_path / "rebuilt", tmp_path)
    assert record["queries"] == 10 and record["hits_differ"] == 1 and record["answers_differ"] == 1
    assert record["hit@1"] == {"first": 0.8, "rebuilt": 0.7} and record["diff"] == -0.1 and record["p_value"] == 1.0
    study_queue.compare_rebuild(tmp_path / "first", tmp_path / "first", tmp_path)  # a second rebuild appends
    lines = (tmp_path / study_queue.REBUILDS).read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["answers_differ"] == 0


def test_the_learning_rate_check_reads_the_last_checkpoint_against_the_warm_start(tmp_path):
    import study_queue

    scored_eval(tmp_path / "warm", {"explicit": [1] * 20 + [0] * 10})
    scored_eval(tmp_path / "curve" / "checkpoint-8", {"explicit": [1] * 20 + [0] * 10})
    scored_eval(tmp_path / "curve" / "checkpoint-16", {"explicit": [0] * 30})  # after checkpoint-8, numerically
    verdict = study_queue.fell(tmp_path / "curve", tmp_path / "warm")
    assert verdict["checkpoint"] == "checkpoint-16" and verdict["fell"] and verdict["diff"] == -20 / 30
    scored_eval(tmp_path / "curve" / "checkpoint-24", {"explicit": [1] * 19 + [0] * 11})  # one query worse: noise
    assert not study_queue.fell(tmp_path / "curve", tmp_path / "warm")["fell"]


def test_a_fallen_curve_stops_the_queue_even_when_grpo_is_kept(tmp_path):
    import study_queue

    args = queue_args(tmp_path, skip_lr_check=False)
    kept = tmp_path / "kept"
    assert study_queue.lr_check(args)  # no curve yet: go on
    scored_eval(kept / "val" / "warm-start", {"explicit": [1] * 20 + [0] * 10})
    scored_eval(kept / "curves" / "grpo-seed0" / "checkpoint-48", {"explicit": [0] * 30})
    (kept / "curves" / "grpo-seed0" / "curve.json").write_text("{}")
    assert not study_queue.lr_check(args) and json.loads((kept / "lr_check.json").read_text())["fell"]
    args.skip_lr_check = True
    assert study_queue.lr_check(args)


def test_the_summary_reads_what_the_queue_kept(tmp_path, monkeypatch):
    kept = tmp_path / "kept"
    scored_eval(kept / "test" / "rerec-seed0", {"implicit": [1] * 10, "misinformed": [1] * 10})
    scored_eval(kept / "test" / "grpo-seed0", {"implicit": [0] * 10, "misinformed": [1] * 10})
    scored_eval(kept / "test" / "popularity", {"implicit": [0] * 10, "misinformed": [0] * 10})
    (kept / "test" / "popularity" / "eval_settings.json").write_text(json.dumps({"model": "baseline:popularity"}))
    for name, passed in (("warm-start", 25), ("rerec-seed0", 27), ("grpo-seed0", 20)):
        (kept / "retention" / name).mkdir(parents=True)
        (kept / "retention" / name / "retention.json").write_text(json.dumps({"all": {"passed": passed, "n": 72}}))
    checked = tmp_path / "graph-check"  # benchmarks/graph_check.py's folder: the same answers after the check
    scored_eval(checked / "rerec+graph-seed0", {"explicit": [1] * 10, "implicit": [1] * 10, "misinformed": [1] * 10})
    # a checked model whose training log is found (its run folder is on this machine) is still no training run
    tied = {"reward": 0.3, "frac_reward_zero_std": 0.1, "groups/accuracy_tied": 0.2}
    (checked / "rerec+graph-seed0" / TRAINING_COPY).write_text(json.dumps(tied) + "\n")
    argv = ["study.py", "--kept", str(kept), "--checked", str(checked), "--out", str(tmp_path / "out")]
    monkeypatch.setattr(sys, "argv", argv)
    assert study.main() == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert set(summary["rerec_vs_best_baseline"]) == {"implicit", "misinformed"}  # the model's own answers
    assert summary["rerec_graph_vs_best_baseline"]["implicit"]["best_baseline_name"] == "popularity"
    assert summary["goals"]["beats_best_baseline_every_condition_type_with_graph_check"] is None  # no explicit
    assert "rerec+graph" not in summary["zero_variance_share"] | summary["accuracy_tied_share"]
    assert summary["retention"] == {
        "warm_start": 25,
        "rerec": 27,
        "by_method": {"grpo": 20, "rerec": 27, "warm_start": 25},
    }
    assert summary["goals"]["retention_not_below_warm_start"] is True
    assert summary["rerec_minus_grpo_multihop"]["diff"] == 0.5 and "popularity" not in summary["hint_box_rate"]
    assert summary["rerec_method"] == "rerec"
    # the queue adopted a pilot: its design is ReRec's from now on; the earlier design stays a row of its own
    import study_queue

    pilot = next(iter(study_queue.PILOTS))
    design = study_queue.PILOTS[pilot]
    study_queue.append_line(kept / study_queue.PILOTS_FILE, {"pilot": pilot, "adopt": True})
    scored_eval(kept / "test" / pilot, {"implicit": [0] * 10, "misinformed": [1] * 10})
    (kept / "retention" / f"{design}-seed0").mkdir(parents=True)
    (kept / "retention" / f"{design}-seed0" / "retention.json").write_text(json.dumps({"all": {"passed": 19}}))
    monkeypatch.setattr(sys, "argv", [*argv, "--overwrite"])
    assert study.main() == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["rerec_method"] == design and summary["rerec_minus_grpo_multihop"]["diff"] == 0.0
    assert summary["retention"]["rerec"] == 19 and summary["goals"]["retention_not_below_warm_start"] is False
    assert summary["seeds"]["rerec"] == 1 and summary["seeds"][design] == 1


def test_an_adopted_pilot_becomes_the_design_the_queue_trains(tmp_path, monkeypatch):
    import study_queue

    keep = tmp_path / "kept"
    keep.mkdir()
    pilot = next(iter(study_queue.PILOTS))
    design = pilot.rsplit("-seed", 1)[0]
    assert study_queue.headline(keep) == "rerec"
    arms = study_queue.arms(3, design)
    assert list(arms)[:6] == ["grpo-seed0", f"{design}-seed0", "grpo-seed1", pilot, "grpo-seed2", f"{design}-seed2"]
    assert arms[f"{design}-no-raae"][-2:] == ["--raae", "false"] and "--dynamic_sampling" in arms[f"{design}-no-raae"]
    assert "rerec-seed1" not in arms and "rerec-paper" in arms and "grpo-ds" in arms
    args = queue_args(tmp_path, only=["grpo-seed1", pilot, f"{design}-seed0"])
    for folder in ("warm-start/final/config.json", "val/warm-start-rebuilt/metrics.json"):  # this machine's build
        (tmp_path / "q" / folder).parent.mkdir(parents=True)
        (tmp_path / "q" / folder).write_text("{}")
    ran = []

    def run(command):  # a step that finishes: the folder it writes gets its marker
        out = Path(command[command.index("--output_dir") + 1])
        ran.append(out.relative_to(tmp_path / "q").as_posix())
        for marker in ("final/config.json", "metrics.json", "curve.json", "retention.json"):
            (out / marker).parent.mkdir(parents=True, exist_ok=True)
            (out / marker).write_text("{}")
        return subprocess.CompletedProcess(command, 0)

    def verdict(arm, _args):  # the pilot's rule says adopt
        study_queue.append_line(keep / study_queue.PILOTS_FILE, {"pilot": arm, "adopt": True})

    refreshed = []  # how many steps had run when the report was written again
    monkeypatch.setattr(study_queue.subprocess, "run", run)
    monkeypatch.setattr(study_queue, "compare_pilot", verdict)
    monkeypatch.setattr(study_queue, "refresh_report", lambda _args: refreshed.append(len(ran)))
    assert study_queue.run_plan(args) is None and args.design == design == study_queue.headline(keep)
    assert ran == ["runs/grpo-seed1", "val/grpo-seed1", "test/grpo-seed1", f"runs/{pilot}", f"val/{pilot}"]
    assert refreshed == [3]  # after the test evaluation only
    assert study_queue.run_plan(args) == 0  # now a seed of the design: on test, before the design's seed 0 trains
    seed0 = f"{design}-seed0"  # (the pilot's weights are on this machine only)
    assert ran[5:] == [f"test/{pilot}", f"runs/{seed0}", f"test/{seed0}", f"curves/{seed0}", f"retention/{seed0}"]
    study_queue.append_line(keep / study_queue.PILOTS_FILE, {"pilot": pilot, "adopt": False})
    assert study_queue.headline(keep) == "rerec"  # the latest verdict counts


def test_the_longer_pair_is_read_on_validation_and_can_stop_the_ablations(tmp_path, monkeypatch):
    import shutil

    import study_queue

    design = "rerec-v2"
    grpo_long, design_long = study_queue.longer_pair(design)
    arms = study_queue.arms(3, design)
    names = list(arms)
    assert names.index(f"{design}-seed2") + 1 == names.index(grpo_long) == names.index(f"{design}-no-qas") - 2
    assert arms[design_long][-4:] == study_queue.LONGER and "--dynamic_sampling" in arms[design_long]
    assert "--raae" in arms[grpo_long] and arms[grpo_long][-6:-4] == ["--seed", str(study_queue.PILOT_SEED)]
    args = queue_args(tmp_path, design=design, skip_longer_check=False)
    train, validated = study_queue.steps(design_long, arms[design_long], args)  # no test evaluation
    assert validated.kept_as == f"val/{design_long}" and "--max_queries" not in validated.command  # the whole split
    assert validated.command[validated.command.index("--split") + 1] == "val"
    assert "--query_types" not in validated.command
    assert study_queue.longer_check(args)  # nothing evaluated yet: go on
    kept = tmp_path / "kept"
    # the design wins 8 multi-hop queries and loses none; explicit, where it loses, is not the measure
    scored_eval(kept / "val" / grpo_long, {"explicit": [1] * 10, "implicit": [0] * 10, "misinformed": [1] * 10})
    scored_eval(kept / "val" / design_long, {"explicit": [0] * 10, "implicit": [1] * 8 + [0] * 2,
                                            "misinformed": [1] * 10})  # fmt: skip
    scored_eval(kept / "val" / "grpo-seed1", {"explicit": [1] * 10, "implicit": [0] * 5})  # the 48-step slice
    verdict = study_queue.longer_verdict(args)
    assert verdict["n"] == 20 and verdict["diff"] == 0.4 and verdict["ahead"]
    assert verdict["longer_minus_48_steps"] == {grpo_long: {"n": 15, "diff": 0.0, "low": 0.0, "high": 0.0,
                                                            "p_value": 1.0}}  # fmt: skip
    ran = []

    def run(command):  # a step that finishes: the folder it writes gets its marker and a log
        out = Path(command[command.index("--output_dir") + 1])
        ran.append(out.relative_to(tmp_path / "q").as_posix())
        for marker in ("final/config.json", "metrics.json", "metrics.jsonl"):
            (out / marker).parent.mkdir(parents=True, exist_ok=True)
            (out / marker).write_text("{}")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(study_queue.subprocess, "run", run)
    monkeypatch.setattr(study_queue, "refresh_report", lambda _args: None)
    study_queue.append_line(kept / study_queue.PILOTS_FILE, {"pilot": f"{design}-seed1", "adopt": True})
    for folder in ("warm-start/final/config.json", "val/warm-start-rebuilt/metrics.json"):  # this machine's build
        (tmp_path / "q" / folder).parent.mkdir(parents=True)
        (tmp_path / "q" / folder).write_text("{}")
    args.only = [f"{design}-no-qas"]
    args.skip_lr_check = True
    assert study_queue.run_plan(args) == 1 and ran == []  # stopped before the ablation trained
    assert json.loads((kept / study_queue.LONGER_CHECK).read_text())["ahead"]
    args.skip_longer_check = True
    assert study_queue.run_plan(args) == 0 and ran == [f"runs/{design}-no-qas", f"test/{design}-no-qas"]
    shutil.rmtree(kept / "val" / design_long)  # level with GRPO: the ablations go on at 48 steps
    scored_eval(kept / "val" / design_long, {"implicit": [0] * 10, "misinformed": [1] * 10})
    args.skip_longer_check = False
    assert study_queue.longer_check(args) and not study_queue.longer_verdict(args)["ahead"]
