"""Kill a real cpu-demo run with SIGKILL mid-way, resume it, and check it ends at the planned step count."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from rerec.training.checkpoints import last_complete_checkpoint
from rerec.training.online_curriculum import CURRICULUM_FILE

REQUIRED = (CURRICULUM_FILE,)  # a ReRec checkpoint is complete with its curriculum state


def test_incomplete_checkpoints_are_skipped(tmp_path):
    for step, files in [(1, ["trainer_state.json", CURRICULUM_FILE]), (2, ["model.safetensors"])]:
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        for name in files:
            (folder / name).write_text("{}")
    truncated = tmp_path / "checkpoint-3"
    truncated.mkdir()
    (truncated / "trainer_state.json").write_text('{"global_step": 3, "log_hist')  # cut off mid-write
    (truncated / CURRICULUM_FILE).write_text("{}")
    assert last_complete_checkpoint(tmp_path, required=REQUIRED) == str(tmp_path / "checkpoint-1")
    assert last_complete_checkpoint(tmp_path / "missing", required=()) is None


def small_demo_run(prepared: Path, out: Path, steps: int) -> list[str]:
    """`rerec train --config cpu-demo` shrunk to seconds per step, saving every step, from the base model (the
    preset starts from a warm start a fresh clone lacks)."""
    return [
        sys.executable, "-m", "rerec.cli", "train", "--config", "cpu-demo", "--prepared", str(prepared),
        "--output_dir", str(out), "--max_steps", str(steps), "--save_steps", "1", "--max_completion_length", "16",
        "--max_queries", "16", "--max_candidates", "4", "--max_facts", "8", "--per_device_train_batch_size", "8",
        "--model_name_or_path", "smollm2-135m-instruct",
    ]  # fmt: skip


@pytest.mark.slow
def test_sigkill_then_resume_finishes_the_planned_steps(prepared, tmp_path):
    out = tmp_path / "run"
    cmd = small_demo_run(prepared, out, steps=3)
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 600
    while not last_complete_checkpoint(out, required=REQUIRED) and time.time() < deadline and proc.poll() is None:
        time.sleep(1)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    subprocess.run([*cmd, "--resume"], cwd=root, check=True, capture_output=True, timeout=900)
    final = Path(last_complete_checkpoint(out, required=REQUIRED))
    state = json.loads((final / "trainer_state.json").read_text())
    assert state["global_step"] == 3 and final.name == "checkpoint-3"
    steps = Counter(json.loads(line)["step"] for line in (out / "rollouts.jsonl").read_text().splitlines())
    assert sorted(steps) == [1, 2, 3] and len(set(steps.values())) == 1  # the killed step's rollouts trimmed
    assert (out / "final" / "model.safetensors").is_file()
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(out / "final")  # loads: the exported model is intact


@pytest.mark.reliability
def test_five_kills_at_random_points_still_finish_the_planned_steps(prepared, tmp_path):
    import random

    out = tmp_path / "run"
    cmd = [*small_demo_run(prepared, out, steps=6), "--save_total_limit", "2", "--resume"]
    root = Path(__file__).resolve().parents[1]
    rng = random.Random(0)
    kills = 0
    for _ in range(5):
        proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)  # fmt: skip
        time.sleep(rng.uniform(8, 40))  # anywhere: loading, generating, updating, saving
        if proc.poll() is not None:
            break
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        done = last_complete_checkpoint(out, required=REQUIRED)
        if done:  # every checkpoint the resume would use is whole
            json.loads((Path(done) / "trainer_state.json").read_text())
    subprocess.run(cmd, cwd=root, check=True, capture_output=True, timeout=1200)
    final = Path(last_complete_checkpoint(out, required=REQUIRED))
    assert json.loads((final / "trainer_state.json").read_text())["global_step"] == 6 and kills >= 3
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert sorted({s for s in steps if s}) == list(range(1, 7))  # the log kept each step once it counted
    print(f"\nresume: {kills} kills survived, 6 of 6 steps")  # noqa: T201
