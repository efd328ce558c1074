"""End-to-end on the embedded default, through the console script, as the README's main command runs it."""

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_prepare_command_on_the_embedded_default(tmp_path):
    out = tmp_path / "ml100k"
    cmd = [sys.executable, "-m", "rerec.cli", "prepare", "--dataset", "ml-100k", "--out", str(out), "--json"]
    summary = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["catalog_items"] == 1681 and summary["total_queries"] > 5000  # less the "unkonwn" placeholder
