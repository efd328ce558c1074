import json
import subprocess
import sys
import time

from rerec.cli import main


def test_help_is_fast():
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "rerec.cli", "--help"], capture_output=True, text=True, check=True)
    assert "rerec prepare" in out.stdout
    assert time.perf_counter() - start < 5  # generous: the point is that no heavy import happens


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
