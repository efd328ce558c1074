"""Checkpoints are whole or absent: saves are staged in a hidden folder and renamed into place. A save that fails
(a full disk, simulated in process here, and a real one on a small tmpfs in the reliability suite) leaves the
previous checkpoint, from which training resumes, and a clear error."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

from conftest import tiny_model  # noqa: E402
from test_trainer import make_trainer  # noqa: E402

from rerec.training.checkpoints import last_complete_checkpoint  # noqa: E402
from rerec.training.online_curriculum import CURRICULUM_FILE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


REQUIRED = (CURRICULUM_FILE,)  # a ReRec checkpoint is complete with its curriculum state


def saving_trainer(prepared, tokenizer, tmp_path, **overrides):
    return make_trainer(prepared, tokenizer, tmp_path, save_strategy="steps", save_steps=1, **overrides)


def test_saves_are_staged_then_renamed_and_rotated(prepared, tokenizer, tmp_path):
    trainer = saving_trainer(prepared, tokenizer, tmp_path, save_total_limit=1)
    seen = []
    save_extra = trainer.save_extra_state
    trainer.save_extra_state = lambda folder: (seen.append(folder), save_extra(folder))
    trainer.train()
    out = tmp_path / "out"
    assert [p.parent.name for p in seen] == [".staging-checkpoint-1", ".staging-checkpoint-2"]
    assert sorted(p.name for p in out.iterdir() if "checkpoint" in p.name) == ["checkpoint-2"]
    final = out / "checkpoint-2"
    assert {"model.safetensors", "optimizer.pt", "trainer_state.json", CURRICULUM_FILE} <= {
        p.name for p in final.iterdir()
    }
    assert json.loads((final / "trainer_state.json").read_text())["global_step"] == 2


def test_a_failed_save_leaves_the_last_checkpoint_and_training_resumes(prepared, tokenizer, tmp_path):
    trainer = saving_trainer(prepared, tokenizer, tmp_path)
    save_rng = trainer._save_rng_state

    def disk_full_at_step_two(folder):
        if trainer.state.global_step == 2:
            raise OSError(errno.ENOSPC, "No space left on device", folder)
        save_rng(folder)

    trainer._save_rng_state = disk_full_at_step_two
    with pytest.raises(OSError, match="No space left"):
        trainer.train()
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir() if "checkpoint" in p.name) == ["checkpoint-1"]  # no staging left
    assert last_complete_checkpoint(out, required=REQUIRED) == str(out / "checkpoint-1")
    again = saving_trainer(prepared, tokenizer, tmp_path)
    again.train(resume_from_checkpoint=True)
    assert again.state.global_step == 2 and (out / "checkpoint-2" / CURRICULUM_FILE).is_file()


@pytest.mark.reliability
def test_a_full_disk_is_a_clear_error_and_keeps_finished_checkpoints(prepared, tokenizer, tmp_path):
    """A real full disk: the run's output folder is a 24 MiB tmpfs (a user and mount namespace, so no root is
    needed), which holds two checkpoints of the tiny model but not four."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("needs `unshare` with user namespaces to mount a small tmpfs")
    model_dir = tmp_path / "tiny-model"
    tiny_model(tokenizer).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    out, kept = tmp_path / "out", tmp_path / "kept"
    out.mkdir()
    kept.mkdir()
    train = [
        sys.executable, "-m", "rerec.cli", "train", "--config", "cpu-demo", "--prepared", str(prepared),
        "--model_name_or_path", str(model_dir), "--output_dir", str(out), "--max_steps", "4", "--save_steps", "1",
        "--save_total_limit", "0", "--max_completion_length", "8", "--max_queries", "8", "--max_candidates", "4",
        "--max_facts", "8", "--bf16", "false", "--report_to", "none",
    ]  # fmt: skip
    script = (
        f"mount -t tmpfs -o size=24m tmpfs {out} && {' '.join(train)} 2> {tmp_path / 'err'}; "
        f"echo $? > {tmp_path / 'rc'}; cp -a {out}/. {kept}/"
    )
    subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, check=True, timeout=600)
    err = (tmp_path / "err").read_text()
    assert (tmp_path / "rc").read_text().strip() == "1", err[-2000:]
    assert "rerec train: error: the disk is full" in err and "--resume" in err
    names = sorted(p.name for p in kept.iterdir() if "checkpoint" in p.name)
    assert names and all(not n.startswith(".") for n in names), names  # the failed save left no staging folder
    last = last_complete_checkpoint(kept, required=REQUIRED)
    assert last == str(kept / names[-1])
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(last)  # the checkpoint before the failure loads
    message = next(line for line in err.splitlines() if "error:" in line)
    print(f"\nfull disk: {len(names)} checkpoints kept, the last loads; {message[:200]}")  # noqa: T201


def test_a_lora_checkpoint_loads_merged_into_its_base(tokenizer, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from rerec.models import ModelArguments, load_model

    base = tmp_path / "base"
    tiny_model(tokenizer).save_pretrained(base)
    tokenizer.save_pretrained(base)
    lora = LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)  # random B: the adapter acts
    peft = get_peft_model(AutoModelForCausalLM.from_pretrained(base), lora)
    peft.save_pretrained(tmp_path / "checkpoint-4")
    tokenizer.save_pretrained(tmp_path / "checkpoint-4")
    model, _ = load_model(ModelArguments(model_name_or_path=str(tmp_path / "checkpoint-4")))
    assert not hasattr(model, "peft_config") and type(model).__name__ == "LlamaForCausalLM"
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, peft(ids).logits, atol=1e-5)
