"""Learning curves: one point per finished checkpoint, with the rollouts the run had consumed by then."""

from __future__ import annotations

import json

import pytest

from rerec.eval.curve import CURVE, evaluate_checkpoints, mean_curve, rollouts_to_reach
from rerec.eval.harness import EvalConfig


def fake_run(run, steps, unfinished=()):
    for step in [*steps, *unfinished]:
        folder = run / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "trainer_state.json").write_text("{" if step in unfinished else json.dumps({"global_step": step}))
    lines = [{"step": s, "samples": 16 * s, "reward": 0.1} for s in range(1, max(steps) + 1)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_each_finished_checkpoint_becomes_a_point(tmp_path):
    run, out = tmp_path / "run", tmp_path / "curve"
    fake_run(run, [4, 8], unfinished=[12])
    seen = []

    def evaluate_one(folder, cfg):
        seen.append((folder, cfg.output_dir))
        hit = 0.25 if folder.endswith("checkpoint-4") else 0.5
        return {"implicit": {"hit@1": hit}, "all": {"hit@1": hit, "reward": 2 * hit, "format": 1.0}}

    out.mkdir()
    points = evaluate_checkpoints(run, EvalConfig(output_dir=str(out)), evaluate_one)
    assert [p["step"] for p in points] == [4, 8] and [p["rollouts"] for p in points] == [64, 128]
    assert points[1] == {
        "step": 8, "rollouts": 128, "hit@1": 0.5, "reward": 1.0, "format": 1.0, "hit@1_by_type": {"implicit": 0.5}
    }  # fmt: skip
    assert seen[0] == (str(run / "checkpoint-4"), str(out / "checkpoint-4"))  # each into its own eval folder
    assert json.loads((out / CURVE).read_text())["points"] == points
    assert (out / "curve.png").stat().st_size > 0


def test_a_run_without_checkpoints_is_a_clear_error(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(FileNotFoundError, match="no finished checkpoint"):
        evaluate_checkpoints(tmp_path / "run", EvalConfig(output_dir=str(tmp_path / "c")), lambda f, c: {})


def test_seeds_average_per_step_and_reach_is_the_first_checkpoint_at_target():
    a = [{"step": 4, "rollouts": 64, "hit@1": 0.2, "reward": 0.1, "format": 1.0},
         {"step": 8, "rollouts": 128, "hit@1": 0.4, "reward": 0.3, "format": 1.0}]  # fmt: skip
    b = [{"step": 4, "rollouts": 64, "hit@1": 0.4, "reward": 0.3, "format": None}]
    mean = mean_curve([a, b])
    assert mean[0] == pytest.approx({"step": 4, "runs": 2, "rollouts": 64, "hit@1": 0.3, "reward": 0.2, "format": 1.0})
    assert mean[1]["runs"] == 1 and mean[1]["hit@1"] == pytest.approx(0.4)
    assert rollouts_to_reach(mean, 0.2) == 64 and rollouts_to_reach(mean, 0.25) == 128
    assert rollouts_to_reach(mean, 0.5) is None


def test_report_draws_the_curves_of_several_methods(tmp_path):
    from test_report import fake_eval

    from rerec.eval.report import write_report

    fake_eval(tmp_path / "grpo-seed0", 0.2, 0.3)
    for name, hit in (("grpo-seed0", 0.2), ("grpo-seed1", 0.4), ("rerec-seed0", 0.5)):
        folder = tmp_path / "curves" / name
        folder.mkdir(parents=True)
        point = {"step": 4, "rollouts": 64, "hit@1": hit, "reward": hit, "format": 1.0}
        (folder / CURVE).write_text(json.dumps({"run": name, "points": [point]}))
    curves = sorted((tmp_path / "curves").iterdir())
    text = write_report([tmp_path / "grpo-seed0"], tmp_path / "out", ["hit@1"], "t", curve_folders=curves).read_text()
    assert "| grpo | 4 | 2 | 64 | 0.300 | 0.300 |" in text and "| rerec | 4 | 1 | 64 | 0.500 | 0.500 |" in text
    assert (tmp_path / "out" / "learning_curve.png").stat().st_size > 0
    assert set(json.loads((tmp_path / "out" / "report.json").read_text())["curves"]) == {"grpo", "rerec"}
    with pytest.raises(ValueError, match="no curve.json"):
        write_report([tmp_path / "grpo-seed0"], tmp_path / "o2", ["hit@1"], "t", curve_folders=[tmp_path])


def test_curve_points_carry_an_interval_over_the_queries_averaged_over_seeds(tmp_path):
    from rerec.eval.curve import plot_curves
    from rerec.eval.harness import SCORES
    from rerec.eval.report import with_intervals

    def checkpoint(run, step, hits):
        folder = tmp_path / run / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        rows = [{"id": f"q{i}", "hit@1": h, "reward": h / 2} for i, h in enumerate(hits)]
        (folder / SCORES).write_text("".join(json.dumps(r) + "\n" for r in rows))

    checkpoint("s0", 4, [1, 1, 0, 0])
    checkpoint("s1", 4, [1, 0, 0, 0])  # per query over the seeds: 1, 0.5, 0, 0
    checkpoint("s0", 8, [1] * 4)  # seed 1 has no step 8: one run reached it
    mean = [{"step": 4, "runs": 2, "hit@1": 0.375, "reward": 0.1875}, {"step": 8, "runs": 1, "hit@1": 1.0}]
    points = with_intervals(mean, [tmp_path / "s0", tmp_path / "s1"])
    assert 0 <= points[0]["hit@1_low"] < 0.375 < points[0]["hit@1_high"] <= 0.75  # the mean of 1, 0.5, 0, 0
    assert points[0]["reward_high"] == pytest.approx(points[0]["hit@1_high"] / 2)
    assert points[1]["hit@1_low"] == points[1]["hit@1_high"] == 1.0  # all alike: no spread to resample
    mean[1]["runs"] = 2  # a run said to reach the step kept no scores there: no interval rather than a wrong one
    assert "hit@1_low" not in with_intervals(mean, [tmp_path / "s0", tmp_path / "s1"])[1]
    (tmp_path / "s0" / "checkpoint-8" / SCORES).write_text(json.dumps({"id": "q0", "hit@1": 1}) + "\n")  # no reward
    mean[1]["runs"] = 1
    older = with_intervals(mean, [tmp_path / "s0", tmp_path / "s1"])[1]
    assert "reward_low" not in older and older["hit@1_low"] == 1.0  # a metric the scores lack gets no interval
    curve = [p | {"rollouts": 64 * (i + 1), "reward": 0.5} for i, p in enumerate(points)]
    plot_curves({"rerec": curve}, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 0
