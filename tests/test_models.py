"""A model folder carries the settings it was trained with (`rerec.json`); the commands adopt them unless a flag
says otherwise."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest
from conftest import tiny_model

from rerec.models import SETTINGS_FILE, ModelSettings, adopt, read_settings
from rerec.presets import flag_names, given_fields, preset_path
from rerec.task.prompts import PromptConfig


def settings(prepared: str | None = None) -> ModelSettings:
    prompt = PromptConfig(max_facts=8, max_candidates=4, facts_order="hops")
    return ModelSettings(prompt, "candidates", 0.9, prepared)


def test_settings_round_trip_and_reach_checkpoints(tmp_path):
    settings().write(tmp_path / "run")
    (tmp_path / "run" / "checkpoint-4").mkdir()
    assert read_settings(tmp_path / "run") == settings()
    assert read_settings(tmp_path / "run" / "checkpoint-4") == settings()  # from its run folder
    assert read_settings("HuggingFaceTB/SmolLM2-135M-Instruct") is None
    (tmp_path / "run" / SETTINGS_FILE).write_text('{"max_facts": 8}')
    with pytest.raises(ValueError, match="damaged"):
        read_settings(tmp_path / "run")


@dataclass
class Config:
    max_facts: int = 60
    facts_order: str = "record"
    prepared: str = "runs/ml100k"
    unrelated: int = 1


def test_adopt_fills_what_no_flag_set_and_logs_an_override(tmp_path, caplog):
    mine = settings(str(tmp_path))
    with caplog.at_level(logging.INFO, logger="rerec.models"):
        got = adopt(Config(max_facts=30), mine, given={"max_facts"})
    assert got == Config(max_facts=30, facts_order="hops", prepared=str(tmp_path))
    assert "--max_facts 30 overrides the model's 8" in caplog.text
    elsewhere = settings(str(tmp_path / "on-another-machine"))
    assert adopt(Config(), elsewhere, set()).prepared == "runs/ml100k"  # a missing folder is not a default
    assert adopt(Config(), None, set()) == Config()


def test_given_fields_reads_flags_and_the_config_file(tmp_path):
    yaml_file = tmp_path / "run.yaml"
    yaml_file.write_text("max_facts: 30\nprepared: x\n")
    assert given_fields(["--max-facts=5", "--split", "test"]) == {"max_facts", "split"}
    assert flag_names(["--output-dir", "x", f"--config={yaml_file}"]) == {"output_dir", "config"}
    assert given_fields(["--config", str(yaml_file), "--k", "3"]) == {"max_facts", "prepared", "k"}
    assert "learning_rate" in given_fields(["--config", "cpu-demo"]) and preset_path("cpu-demo").is_file()


def test_eval_and_recommend_ask_the_model_as_it_was_trained(prepared, tokenizer, tmp_path):
    from rerec import cli
    from rerec.serve import commands

    folder = tmp_path / "model"
    tiny_model(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    settings(str(prepared)).write(folder)
    out = tmp_path / "ev"
    argv = ["eval", "--model_name_or_path", str(folder), "--split", "test", "--max_queries", "2", "--max_facts", "5",
            "--max_new_tokens", "4", "--output_dir", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    used = json.loads((out / "eval_settings.json").read_text())
    assert (used["max_candidates"], used["facts_order"], used["grounding_threshold"]) == (4, "hops", 0.9)
    assert used["max_facts"] == 5 and used["prepared"] == str(prepared)  # the flag wins; the model's data
    with_preset = ["eval", "--config", "cpu-demo", "--model_name_or_path", str(folder), "--prepared", str(prepared),
                   "--split", "test", "--max_queries", "2", "--max_new_tokens", "4"]  # fmt: skip
    assert cli.main(with_preset) == 1  # the preset's output_dir is a training folder: refused, not written into
    assert cli.main([*with_preset, "--output_dir", str(tmp_path / "ev-demo")]) == 0
    used = json.loads((tmp_path / "ev-demo" / "eval_settings.json").read_text())
    assert (used["max_candidates"], used["max_facts"]) == (5, 15)  # the preset's prompt, chosen over the model's
    cfg, args = commands.parse("recommend", ["a 90s comedy", "--model", str(folder)])
    assert (cfg.prepared, cfg.max_facts, cfg.facts_order, cfg.grounding_threshold) == (str(prepared), 8, "hops", 0.9)
    assert args.query == "a 90s comedy" and cfg.dtype == "float32"  # one request: float32 unless asked
    cfg, _ = commands.parse("serve", ["--model", str(folder), "--max_facts", "3", "--port", "8001"])
    assert (cfg.max_facts, cfg.dtype, cfg.facts_by) == (3, "bfloat16", "entity")
