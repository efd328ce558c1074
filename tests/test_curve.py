"""Learning curves: one point per finished checkpoint, with the rollouts the run had consumed by then."""

from __future__ import annotations

import json

import pytest

from rerec.eval.curve import CURVE, evaluate_checkpoints
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
