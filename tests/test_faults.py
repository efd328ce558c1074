"""Faults: a kill in the middle of `rerec prepare` or `rerec eval`, and an output folder that cannot be written.

The kill tests run real commands in subprocesses and belong to the reliability suite (`pytest -m reliability`).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rerec.cli import main

ROOT = Path(__file__).resolve().parents[1]


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def kill_after(cmd: list[str], seconds: float) -> None:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    time.sleep(seconds)
    assert proc.poll() is None, "the command ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_unwritable_output_is_a_clear_error(capsys):
    assert main(["prepare", "--dataset", "ml-100k", "--out", "/proc/rerec-cannot-write/x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rerec prepare: error:") and "/proc/rerec-cannot-write" in err


@pytest.mark.reliability
def test_prepare_killed_then_rerun_gives_the_same_files(tmp_path):
    cmd = [sys.executable, "-m", "rerec.cli", "prepare", "--dataset", "ml-100k"]
    subprocess.run([*cmd, "--out", str(tmp_path / "clean")], cwd=ROOT, check=True, capture_output=True)
    for seconds in (3.0, 12.0):  # while reading the sources; while generating queries or training LightGCN
        kill_after([*cmd, "--out", str(tmp_path / "killed")], seconds)
        assert not (tmp_path / "killed").exists() or tree_digest(tmp_path / "killed") == tree_digest(
            tmp_path / "clean"
        ), "a killed prepare left a partial output folder"
    subprocess.run([*cmd, "--out", str(tmp_path / "killed")], cwd=ROOT, check=True, capture_output=True)
    assert tree_digest(tmp_path / "killed") == tree_digest(tmp_path / "clean")


@pytest.mark.reliability
def test_eval_killed_keeps_its_predictions_and_finishes(prepared, tmp_path):
    out = tmp_path / "eval"
    cmd = [sys.executable, "-m", "rerec.cli", "eval", "--model_name_or_path", "smollm2-135m-instruct",
           "--prepared", str(prepared), "--split", "test", "--max_queries", "24", "--batch_size", "4",
           "--max_new_tokens", "24", "--max_candidates", "5", "--max_facts", "10",
           "--output_dir", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    predictions = out / "predictions.jsonl"
    deadline = time.time() + 600
    while time.time() < deadline and (not predictions.exists() or len(predictions.read_text().splitlines()) < 8):
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {json.loads(line)["id"]: line for line in predictions.read_text().splitlines() if line.endswith("}")}
    assert 8 <= len(kept) < 24
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=900)
    final = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len({p["id"] for p in final}) == len(final) == 24
    again = {p["id"]: json.dumps(p) for p in final}
    assert all(json.loads(again[i]) == json.loads(line) for i, line in kept.items())  # kept, not regenerated
    assert json.loads((out / "metrics.json").read_text())["all"]["n"] == 24
