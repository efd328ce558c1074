import pytest

from rerec.presets import ACCELERATE_DIR, PRESETS_DIR, listing, preset_names, resolve_presets
from rerec.training.run import parse_sft_args, parse_train_args


def test_preset_names_resolve_and_paths_pass_through():
    assert {"cpu-sft", "cpu-demo", "gpu-1x", "gpu-multi"} <= set(preset_names())
    assert resolve_presets(["--config", "cpu-demo", "--max_steps", "2"]) == [
        "--config", str(PRESETS_DIR / "cpu-demo.yaml"), "--max_steps", "2",
    ]  # fmt: skip
    assert resolve_presets(["--config=gpu-1x"]) == [f"--config={PRESETS_DIR / 'gpu-1x.yaml'}"]
    assert resolve_presets(["--config", "my/run.yaml"]) == ["--config", "my/run.yaml"]
    assert resolve_presets(["--config", "run.yml"]) == ["--config", "run.yml"]


def test_presets_list_one_described_line_each_and_launcher_files_apart(capsys):
    from rerec import cli

    assert cli.main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in preset_names():
        (line,) = [x for x in lines if x.split()[:1] == [name]]
        assert len(line.split(maxsplit=1)[1]) > 20  # a description, not an empty first line
    assert not any(name.startswith("accelerate") for name in preset_names())
    assert str(ACCELERATE_DIR / "zero3.yaml") in listing()
    with pytest.raises(ValueError, match="no preset"):
        resolve_presets(["--config", "zero3"])


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ValueError, match="cpu-demo"):
        resolve_presets(["--config", "cpu-dmeo"])


def test_train_preset_parses_and_one_flag_trusts_remote_code():
    *_, model, config = parse_train_args(["--config", "cpu-demo"])
    assert model.trust_remote_code is False and config.trust_remote_code is False
    *_, model, config = parse_train_args(["--config", "cpu-demo", "--trust_remote_code", "true"])
    assert model.trust_remote_code is True and config.trust_remote_code is True  # policy and reward models


def test_sft_preset_parses_with_the_trust_flag():
    *_, model, config = parse_sft_args(["--config", "cpu-sft", "--trust_remote_code", "true"])
    assert model.trust_remote_code is True and config.trust_remote_code is True


@pytest.mark.parametrize("native", [True, False])
def test_cpu_presets_use_bf16_only_where_it_measures_faster(monkeypatch, native):
    import rerec.training.run as run

    monkeypatch.setattr(run, "bf16_faster_on_cpu", lambda: native)
    monkeypatch.setattr(run, "cuda", lambda: False)
    pairs = [(parse_train_args, "cpu-demo"), (parse_sft_args, "cpu-sft")]
    for parse, preset in [*pairs, (parse_train_args, "cpu-study"), (parse_sft_args, "cpu-study-sft")]:
        config = parse(["--config", preset])[-1]
        assert config.bf16 is native and config.mixed_precision == ("bf16" if native else "no")


def test_study_presets_pair_up():
    """The study's RL run trains on the study warm start, away from its queries, with shared prefixes (which need
    gradient checkpointing off) and the paper's 20 candidates and facts layout on both sides. The facts' order
    differs on purpose: the warm start trained on 'hops', the arms read 'evidence' (docs/study.md, 2026-12-04)."""
    data, _, prompt, model, config = parse_train_args(["--config", "cpu-study"])
    sft_data, sft_prompt, _, sft_config = parse_sft_args(["--config", "cpu-study-sft"])
    assert model.model_name_or_path == f"{sft_config.output_dir}/final"
    assert data.exclude_queries == sft_config.output_dir
    assert config.shared_prefix_loss and not config.gradient_checkpointing and config.num_generations == 8
    assert prompt.max_candidates == sft_prompt.max_candidates == 20 and prompt.facts_by == sft_prompt.facts_by
    assert (prompt.facts_order, sft_prompt.facts_order) == ("evidence", "hops")
    assert set(data.query_types) == set(sft_data.query_types)


def test_demo_presets_train_and_ask_with_one_prompt():
    """The demo's warm start and ReRec see the same prompt, evidence first (the study's choice; under 15 facts the
    file's order hid a condition's evidence in half the 5-candidate multi-hop prompts)."""
    _, _, prompt, _, _ = parse_train_args(["--config", "cpu-demo"])
    _, sft_prompt, _, _ = parse_sft_args(["--config", "cpu-sft"])
    assert prompt == sft_prompt and prompt.facts_order == "evidence"
