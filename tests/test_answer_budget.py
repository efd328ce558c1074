"""`benchmarks/answer_budget.py`: cut-off answers and the Hit@1 a budget gives, from hand-made evaluations."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import answer_budget  # noqa: E402


def evaluation(folder: Path, budget: int, answers: list[tuple[str, int, float]]) -> Path:
    """An eval folder at `budget` tokens with one scored answer per (type, tokens, hit@1)."""
    folder.mkdir(parents=True)
    (folder / "eval_settings.json").write_text(json.dumps({"max_new_tokens": budget}))
    rows = [{"id": f"q{i}", "type": kind, "tokens": tokens, "hit@1": hit} for i, (kind, tokens, hit) in
            enumerate(answers)]  # fmt: skip
    (folder / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_a_cut_off_answer_counts_against_its_budget_and_a_longer_budget_keeps_it(tmp_path):
    short = evaluation(tmp_path / "short", 128, [("implicit", 128, 0), ("implicit", 90, 1), ("explicit", 50, 1)])
    long = evaluation(tmp_path / "long", 192, [("implicit", 150, 1), ("implicit", 90, 1), ("explicit", 50, 1)])
    cut = answer_budget.truncation(short)
    assert cut["budget"] == 128 and cut["types"]["implicit"]["cut_off"] == 0.5
    assert cut["types"]["implicit"]["hit@1"] == 0.5 and cut["types"]["implicit"]["hit@1_finished"] == 1.0
    result = answer_budget.budgets(long, short)
    assert result["paired"]["all"]["diff"] > 0 and result["paired"]["implicit"]["differing"] == 1
    assert list(result["curve"]) == [128, 144, 160, 176, 192]
    assert result["curve"][144]["hit@1"] == 2 / 3 and result["curve"][160]["hit@1"] == 1.0  # the 150-token answer
    assert "| 160 | 1.000 | 0.00 |" in answer_budget.markdown({"truncation": {}, "budget": result})
