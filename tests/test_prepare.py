import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rerec.config import DataConfig
from rerec.data.atomic import MARKER, atomic_folder, mark
from rerec.data.dataset import RecDataset
from rerec.data.prepare import prepare

SMALL = ["--num_explicit", "60", "--num_implicit", "60", "--num_misinformed", "60", "--lightgcn_epochs", "2"]


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_prepare(out: Path, seed: int, hash_seed: str) -> None:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    cmd = [sys.executable, "-m", "rerec.cli", "prepare", "--out", str(out), "--seed", str(seed), *SMALL]
    subprocess.run(cmd, check=True, env=env, capture_output=True)


def test_same_seed_gives_byte_identical_output(tmp_path):
    # Different hash seeds in separate processes: set iteration order must never leak into the output.
    run_prepare(tmp_path / "a", 7, "1")
    run_prepare(tmp_path / "b", 7, "2")
    run_prepare(tmp_path / "c", 8, "1")
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b
    assert a["queries/train.parquet"] != c["queries/train.parquet"]


def test_prepared_folder_round_trips(prepared, ml100k):
    ds = RecDataset.load(prepared)
    assert len(ds.catalog) == len(ml100k.catalog) and len(ds.interactions) == len(ml100k.interactions)
    assert ds.graph.triples() == ml100k.graph.triples()
    assert ds.catalog["12"] == ml100k.catalog["12"]
    assert ds.hop_relations == ml100k.hop_relations


def test_atomic_folder_keeps_the_old_output_on_failure(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    mark(target, "prepare")
    (target / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(target, "prepare", overwrite=True) as staging:
        (staging / "partial.txt").write_text("half")
        raise RuntimeError("killed")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "keep.txt"]


def test_malformed_source_writes_nothing(tmp_path, ml100k_dir):
    import shutil

    from rerec.data.validation import DataError

    folder = tmp_path / "src"
    shutil.copytree(ml100k_dir, folder)
    with (folder / "ml-100k.inter").open("a") as f:
        f.write("1\t1\tfive\t1\n")
    out = tmp_path / "out"
    with pytest.raises(DataError, match=r"ml-100k.inter, line 100002, field 'rating'"):
        prepare(DataConfig(data_dir=str(folder), out=str(out)))
    assert not out.exists() and list(tmp_path.iterdir()) == [folder]


def test_config_errors_name_the_fix():
    with pytest.raises(ValueError, match="needs --data_dir"):
        DataConfig(dataset="custom")
    with pytest.raises(ValueError, match="negative_mix"):
        DataConfig(negative_mix=[0, 0, 0])
    with pytest.raises(ValueError, match="val_fraction"):
        DataConfig(val_fraction=0.6, test_fraction=0.5)
