import pytest

from rerec.presets import PRESETS_DIR, preset_names, resolve_presets
from rerec.training.run import parse_sft_args, parse_train_args


def test_preset_names_resolve_and_paths_pass_through():
    assert {"cpu-sft", "cpu-demo", "gpu-1x", "gpu-multi"} <= set(preset_names())
    assert resolve_presets(["--config", "cpu-demo", "--max_steps", "2"]) == [
        "--config", str(PRESETS_DIR / "cpu-demo.yaml"), "--max_steps", "2",
    ]  # fmt: skip
    assert resolve_presets(["--config=gpu-1x"]) == [f"--config={PRESETS_DIR / 'gpu-1x.yaml'}"]
    assert resolve_presets(["--config", "my/run.yaml"]) == ["--config", "my/run.yaml"]
    assert resolve_presets(["--config", "run.yml"]) == ["--config", "run.yml"]


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
    monkeypatch.setattr(run, "_cuda", lambda: False)
    for parse, preset in ((parse_train_args, "cpu-demo"), (parse_sft_args, "cpu-sft")):
        config = parse(["--config", preset])[-1]
        assert config.bf16 is native and config.mixed_precision == ("bf16" if native else "no")
