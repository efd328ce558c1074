"""`rerec report`: seeds pooled per method, exact means and spreads, files written."""

from __future__ import annotations

import json

import pytest

from rerec.eval.harness import SCORES, SETTINGS
from rerec.eval.report import TRAINING_COPY, method_of, write_report


def fake_eval(folder, hit_explicit: float, hit_all: float) -> None:
    folder.mkdir(parents=True)
    metrics = {"explicit": {"hit@1": hit_explicit, "n": 3}, "all": {"hit@1": hit_all, "n": 6}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / SETTINGS).write_text(json.dumps({"model": folder.name, "split": "test", "mode": "candidates"}))


def test_seeds_pool_into_mean_and_spread(tmp_path):
    fake_eval(tmp_path / "grpo-seed0", 0.2, 0.3)
    fake_eval(tmp_path / "grpo-seed1", 0.4, 0.5)
    fake_eval(tmp_path / "base", 0.1, 0.1)
    path = write_report(sorted(tmp_path.glob("*")), tmp_path / "out", ["hit@1"], "toy")
    text = path.read_text()
    assert "| grpo | 2 | 0.300 ± 0.141 | 0.400 ± 0.141 |" in text
    assert "| base | 1 | 0.100 | 0.100 |" in text
    summary = json.loads((tmp_path / "out" / "report.json").read_text())["summary"]["hit@1"]
    assert summary["grpo"]["all"] == pytest.approx(
        {"mean": 0.4, "std": 0.1414213562, "seeds": 2, "low": None, "high": None}
    )
    assert (tmp_path / "out" / "hit_at_1.png").stat().st_size > 0
    assert not (tmp_path / "out" / "training.png").exists()  # no training logs, no plot of them
    assert method_of(tmp_path / "rerec-no-raae-seed12") == "rerec-no-raae"


def test_missing_metrics_is_a_clear_error(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(ValueError, match="no metrics.json"):
        write_report([tmp_path / "x"], tmp_path / "out", ["hit@1"], "toy")


def test_training_diagnostics_come_from_the_runs_logs(tmp_path):
    for seed, rewards in ((0, [0.0, 0.2, 0.4, 0.6, 0.8]), (1, [0.2, 0.2, 0.2, 0.2, 0.2])):
        run = tmp_path / f"train{seed}"
        run.mkdir()
        steps = [{"step": i + 1, "reward": r, "step_time": 30.0, "frac_reward_zero_std": 0.5 * seed,
                  "completions/mean_length": 40.0} for i, r in enumerate(rewards)]  # fmt: skip
        log = "\n".join(json.dumps(s) for s in [{"step": 0}, *steps]) + "\n"
        fake_eval(tmp_path / f"grpo-seed{seed}", 0.2, 0.3)
        if seed == 0:
            (run / "metrics.jsonl").write_text(log)
        else:  # an evaluation kept away from its run (study_queue.py) carries the run's log
            (tmp_path / f"grpo-seed{seed}" / TRAINING_COPY).write_text(log)
        (tmp_path / f"grpo-seed{seed}" / SETTINGS).write_text(json.dumps({"model": str(run / "final")}))
    fake_eval(tmp_path / "base", 0.1, 0.1)
    fake_eval(tmp_path / "grpo+graph-seed0", 0.3, 0.3)  # seed 0's answers scored again: no second training run
    (tmp_path / "grpo+graph-seed0" / SETTINGS).write_text(json.dumps({"model": str(tmp_path / "train0" / "final")}))
    folders = [tmp_path / "grpo-seed0", tmp_path / "grpo-seed1", tmp_path / "base", tmp_path / "grpo+graph-seed0"]
    text = write_report(folders, tmp_path / "out", ["hit@1"], "toy").read_text()
    # reward of the first 4 steps: (0.3 + 0.2) / 2; of the last 4: (0.5 + 0.2) / 2; 5 steps of 30 s = 2.5 min
    assert "| grpo | 2 | 5 | 2.5 | 0.250 → 0.350 | 0.250 | – | – | – | – | 40.000 |" in text
    assert "| base |" not in text.split("## training")[1] and "| grpo+graph |" not in text.split("## training")[1]
    assert (tmp_path / "out" / "training.png").stat().st_size > 0


def scored_eval(folder, hits: dict[str, list[float]]) -> None:
    """An eval folder with per-query Hit@1 (`scores.jsonl`) and the metrics they average to."""
    folder.mkdir(parents=True)
    rows = [
        {"id": f"{kind}-{i}", "type": kind, "hit@1": h} for kind, values in hits.items() for i, h in enumerate(values)
    ]
    (folder / SCORES).write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics = {kind: {"hit@1": sum(v) / len(v)} for kind, v in hits.items()}
    metrics["all"] = {"hit@1": sum(r["hit@1"] for r in rows) / len(rows)}
    (folder / "metrics.json").write_text(json.dumps(metrics))


def test_per_query_scores_give_intervals_and_paired_differences(tmp_path):
    # rerec beats grpo on 8 implicit queries and loses none: exact two-sided p = 2 / 2^8; misinformed identical
    scored_eval(tmp_path / "rerec", {"explicit": [1, 0], "implicit": [1] * 8 + [0] * 2, "misinformed": [1, 0]})
    scored_eval(tmp_path / "grpo", {"explicit": [1, 0], "implicit": [0] * 10, "misinformed": [1, 0]})
    out = tmp_path / "out"
    text = write_report(
        [tmp_path / "rerec", tmp_path / "grpo"], out, ["hit@1"], "toy", pairs=[("rerec", "grpo")]
    ).read_text()
    header = "| method | seeds | explicit | implicit | misinformed | multi-hop | all |"
    assert header in text
    row = next(line for line in text.splitlines() if line.startswith("| grpo | 1 |"))
    assert "| 0.000 [0.000, 0.000] |" in row  # implicit: all zero, so is its interval
    paired_rows = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| ") and "[+" in line}
    assert paired_rows["| implicit"].startswith("| implicit | 10 | 8 | 0.800 | 0.000 | +0.800 [")
    assert "| 0.008 | yes |" in paired_rows["| implicit"]
    assert paired_rows["| multi-hop"].startswith("| multi-hop | 12 | 8 | 0.750 | 0.083 | +0.667 [")
    comparison = json.loads((out / "report.json").read_text())["paired"]["hit@1"]["rerec - grpo"]
    assert comparison["explicit"]["diff"] == 0 and comparison["explicit"]["p_value"] == 1.0
    assert comparison["implicit"]["p_value"] == pytest.approx(2 / 2**8)
    summary = json.loads((out / "report.json").read_text())["summary"]["hit@1"]
    assert summary["rerec"]["implicit"]["low"] < 0.8 < summary["rerec"]["implicit"]["high"]


def test_seeds_of_a_method_widen_its_paired_interval(tmp_path):
    # rerec's seed 0 answers 30 of 40 implicit queries, seed 1 none; grpo's two seeds 5 each (the same ones)
    scored_eval(tmp_path / "rerec-seed0", {"implicit": [1] * 30 + [0] * 10})
    scored_eval(tmp_path / "rerec-seed1", {"implicit": [0] * 40})
    for seed in (0, 1):
        scored_eval(tmp_path / f"grpo-seed{seed}", {"implicit": [1] * 5 + [0] * 35})
    out = tmp_path / "out"
    text = write_report(sorted(tmp_path.glob("*-seed*")), out, ["hit@1"], "toy", pairs=[("rerec", "grpo")])
    assert "| difference [95% interval] | 95% interval over seeds and queries | p | finding |" in text.read_text()
    implicit = json.loads((out / "report.json").read_text())["paired"]["hit@1"]["rerec - grpo"]["implicit"]
    assert implicit["diff"] == pytest.approx(0.25) and implicit["low"] > 0  # over queries: rerec ahead
    assert implicit["seeds_low"] < 0 < implicit["seeds_high"] and implicit["finding"] is False  # one lucky seed


def test_a_metric_without_per_query_scores_keeps_its_cell_and_skips_its_pairing(tmp_path):
    for name, hits in (("rerec", [1, 1]), ("grpo", [0, 1])):
        scored_eval(tmp_path / name, {"explicit": hits})
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        metrics["all"]["mean_tokens"] = metrics["explicit"]["mean_tokens"] = 40.0  # a metric scores.jsonl lacks
        (tmp_path / name / "metrics.json").write_text(json.dumps(metrics))
    folders = [tmp_path / "rerec", tmp_path / "grpo"]
    text = write_report(folders, tmp_path / "out", ["hit@1", "mean_tokens"], "toy", pairs=[("rerec", "grpo")])
    text = text.read_text()
    assert "### hit@1: rerec − grpo" in text and "### mean_tokens" not in text
    assert "| rerec | 1 | 40.000 | 40.000 |" in text  # the cell without an interval
    with pytest.raises(ValueError, match="share no per-query scores"):
        write_report(folders, tmp_path / "out2", ["mean_tokens"], "toy", pairs=[("rerec", "grpo")])


def test_pairing_an_unknown_method_fails_before_writing(tmp_path):
    scored_eval(tmp_path / "rerec", {"explicit": [1, 0]})
    with pytest.raises(ValueError, match="'grpo', which is none of the methods: rerec"):
        write_report([tmp_path / "rerec"], tmp_path / "out", ["hit@1"], "toy", pairs=[("rerec", "grpo")])
    assert not (tmp_path / "out").exists()


def test_the_training_plot_reads_ties_on_accuracy_where_every_run_logs_them(tmp_path, monkeypatch):
    import rerec.eval.report as report

    drawn = {}
    monkeypatch.setattr(
        report, "plot_panels", lambda series, x, labels, out: drawn.update(series=series, labels=labels)
    )
    logs = {"rerec": [[{"reward": 0.5, "frac_reward_zero_std": 0.0, "groups/accuracy_tied": 0.5}] * 2]}
    runs = {m: [{"settings": {"model": m}}] for m in logs}
    monkeypatch.setattr(report, "training_logs", lambda _runs: logs)
    assert report.plot_training(runs, tmp_path / "training.png")
    assert drawn["labels"][0].startswith("groups tied on accuracy") and drawn["series"]["rerec (1)"][1] == [0.5, 0.5]
    logs["grpo"] = [[{"reward": 0.5, "frac_reward_zero_std": 0.25}]]  # a run without the accuracy log: all on reward
    assert report.plot_training(runs, tmp_path / "training.png")
    assert drawn["labels"][0].startswith("groups tied on reward") and drawn["series"]["rerec (1)"][1] == [0.0, 0.0]
