"""`benchmarks/demo_rule.py`: the demo rule's three readings, from hand-made runs and evaluations."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from rerec.training.config import ReRecConfig

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import demo_rule  # noqa: E402


def arm(root: Path, name: str, seconds: float, answers: list[tuple[str, float, int]]) -> tuple[Path, Path]:
    """A training folder whose log ends with TRL's `train_runtime`, and an evaluation of one scored answer per
    (type, hit@1, false steps)."""
    run, folder = root / name, root / "eval" / name
    run.mkdir(parents=True)
    folder.mkdir(parents=True)
    (run / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss": 0.1}) + "\n" + json.dumps(
        {"step": 16, "train_runtime": seconds}) + "\n")  # fmt: skip
    rows = [{"id": f"q{i}", "type": t, "hit@1": h, "false_steps": f, "checked_steps": 3} for i, (t, h, f) in
            enumerate(answers)]  # fmt: skip
    (folder / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return run, folder


def test_the_switches_are_adopted_only_when_no_reading_is_worse_and_training_is_not_too_slow(tmp_path):
    answers = [("explicit", 1.0, 0), ("implicit", 1.0, 1), ("misinformed", 0.0, 2)] * 4
    control = arm(tmp_path, "cpu-demo", 800.0, answers)
    fewer_false = [(t, h, max(f - 1, 0)) for t, h, f in answers]
    same = demo_rule.verdict(*arm(tmp_path, "same", 900.0, answers), *control)
    assert same["holds"] == {"hit@1": True, "false_steps": True, "time": True} and same["adopt"]  # [0, 0] holds
    assert same["queries"] == 12 and same["multi_hop_queries"] == 8
    slow = demo_rule.verdict(*arm(tmp_path, "slow", 1001.0, fewer_false), *control)
    assert slow["time_ratio"] > demo_rule.MAX_TIME_RATIO and not slow["adopt"]
    assert slow["false_steps_per_multi_hop_answer"]["diff"] == -1.0 and slow["holds"]["false_steps"]
    worse = [(t, 0.0 if t == "explicit" else h, f) for t, h, f in answers]  # loses every explicit hit
    lower = demo_rule.verdict(*arm(tmp_path, "lower", 700.0, worse), *control)
    assert lower["hit@1"]["high"] < 0 and not lower["holds"]["hit@1"] and not lower["adopt"]
    text = demo_rule.markdown({"date": "2026-12-06", "machine": "m", "readings": [same, slow]})
    assert "| slow − cpu-demo | +0.000 [+0.000, +0.000] | -1.000 [-1.000, -1.000] | 1.25 | False |" in text


def test_the_arms_set_every_switch_and_the_fallback_turns_off_dynamic_sampling_alone():
    arms = {"shipped": demo_rule.SHIPPED, "v2": demo_rule.V2, "no_ds": demo_rule.NO_DS}
    flags = {arm: dict(zip(argv[::2], argv[1::2], strict=True)) for arm, argv in arms.items()}
    assert flags["shipped"].keys() == flags["v2"].keys()  # neither arm reads a switch from the preset
    assert all(flags["shipped"][k] != flags["v2"][k] for k in flags["v2"])
    assert flags["no_ds"] == {**flags["v2"], "--dynamic_sampling": "false"}
    defaults = {f.name: f.default for f in dataclasses.fields(ReRecConfig)}  # cpu-demo as it shipped set none
    assert all(str(defaults[k[2:]]).lower() == v for k, v in flags["shipped"].items())


def test_an_unfinished_training_is_named_not_timed(tmp_path):
    run, _ = arm(tmp_path, "cpu-demo", 800.0, [("explicit", 1.0, 0)])
    (run / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss": 0.1}) + "\n")
    with pytest.raises(SystemExit, match="did not finish"):
        demo_rule.train_runtime(run)
