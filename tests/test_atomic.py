"""Output folders: rerec never replaces a folder it did not write, nor its input, nor the current folder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rerec.config import DataConfig
from rerec.data.atomic import MARKER, OutputFolderError, claim_folder, folder_kind, mark, remove_stale_staging
from rerec.data.lightgcn import LightGCNConfig
from rerec.data.prepare import prepare

NO_GCN = LightGCNConfig(lightgcn=False)


def prep(source: Path, out: Path | str, overwrite: bool = False) -> dict:
    cfg = DataConfig(dataset="custom", data_dir=str(source), out=str(out), overwrite=overwrite)
    return prepare(cfg, NO_GCN)


def test_a_users_folder_is_refused_and_kept(tiny_source, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    for overwrite in (False, True):
        with pytest.raises(OutputFolderError, match="was not written by rerec"):
            prep(tiny_source, mine, overwrite)
    assert (mine / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "tiny"]  # no staging folder left either


def test_a_plain_file_is_refused(tiny_source, tmp_path):
    note = tmp_path / "notes.txt"
    note.write_text("keep me")
    with pytest.raises(OutputFolderError, match="not a folder"):
        prep(tiny_source, note, overwrite=True)
    assert note.read_text() == "keep me"


@pytest.mark.parametrize("where", ["same", "inside"])
def test_the_input_folder_is_never_an_output(tiny_source, where):
    out = tiny_source if where == "same" else tiny_source / "prepared"
    before = sorted(p.name for p in tiny_source.iterdir())
    with pytest.raises(OutputFolderError, match="overlap the input folder"):
        prep(tiny_source, out, overwrite=True)
    assert sorted(p.name for p in tiny_source.iterdir()) == before


def test_current_folder_is_a_clear_refusal(tiny_source, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for out in (".", str(tmp_path)):
        with pytest.raises(OutputFolderError, match="current folder"):
            prep(tiny_source, out, overwrite=True)


def test_an_earlier_output_needs_overwrite(tiny_source, tmp_path):
    out = tmp_path / "out"
    prep(tiny_source, out)
    assert folder_kind(out) == "prepare"
    with pytest.raises(OutputFolderError, match="pass --overwrite"):
        prep(tiny_source, out)
    prep(tiny_source, out, overwrite=True)
    assert (out / "summary.json").is_file() and folder_kind(out) == "prepare"


def test_an_empty_folder_is_used(tiny_source, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    prep(tiny_source, out)
    assert (out / "summary.json").is_file()


def test_another_commands_output_is_refused(tmp_path):
    folder = tmp_path / "ev"
    claim_folder(folder, "eval", reuse=True)
    (folder / "predictions.jsonl").write_text("{}\n")
    claim_folder(folder, "eval", reuse=True)  # eval continues its own folder
    for kind in ("prepare", "report", "train"):
        with pytest.raises(OutputFolderError, match="'eval' output"):
            claim_folder(folder, kind, overwrite=True)
    assert (folder / "predictions.jsonl").is_file()


def test_overwrite_empties_the_earlier_output(tmp_path):
    folder = tmp_path / "run"
    claim_folder(folder, "train")
    (folder / "checkpoint-8").mkdir()
    with pytest.raises(OutputFolderError, match="--overwrite to replace it \\(or --resume"):
        claim_folder(folder, "train")
    claim_folder(folder, "train", reuse=True)  # --resume
    assert (folder / "checkpoint-8").is_dir()
    claim_folder(folder, "train", overwrite=True)
    assert [p.name for p in folder.iterdir()] == [MARKER]


def test_report_refuses_a_users_folder(tmp_path):
    from rerec.eval.report import write_report

    mine = tmp_path / "slides"
    mine.mkdir()
    (mine / "talk.pdf").write_text("pdf")
    with pytest.raises(OutputFolderError, match="was not written by rerec"):
        write_report([], mine, ["hit@1"], "t", overwrite=True)
    assert [p.name for p in mine.iterdir()] == ["talk.pdf"]


def test_train_checks_its_output_before_loading_anything(tmp_path):
    from rerec.training.run import train_from_args

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.csv").write_text("x")
    with pytest.raises(OutputFolderError, match="was not written by rerec"):
        train_from_args(["--config", "cpu-demo", "--output_dir", str(mine), "--prepared", str(tmp_path / "p")])
    assert [p.name for p in mine.iterdir()] == ["data.csv"]


def test_stale_staging_of_a_dead_process_is_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out-staging-{dead.stdout.strip()}-abc"
    live = tmp_path / f".out-staging-{os.getpid()}-xyz"
    other = tmp_path / f".other-staging-{dead.stdout.strip()}-abc"
    for folder in (stale, live, other):
        folder.mkdir()
    assert remove_stale_staging(tmp_path / "out") == [stale]
    assert not stale.exists() and live.exists() and other.exists()


def test_prepare_removes_what_a_killed_run_left(tiny_source, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out-staging-{dead.stdout.strip()}-k1ll"
    stale.mkdir()
    (stale / "catalog.jsonl").write_text("half")
    prep(tiny_source, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny"]


def test_cli_prepare_refusal_is_one_line_and_exit_1(tiny_source, tmp_path, capsys):
    from rerec.cli import main

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "x.txt").write_text("x")
    assert main(["prepare", "--dataset", "custom", "--data_dir", str(tiny_source), "--out", str(mine)]) == 1
    err = capsys.readouterr().err
    assert "was not written by rerec" in err and "Traceback" not in err


def test_marker_is_deterministic(tmp_path):
    mark(tmp_path, "prepare")
    first = (tmp_path / MARKER).read_bytes()
    mark(tmp_path, "prepare")
    assert (tmp_path / MARKER).read_bytes() == first
