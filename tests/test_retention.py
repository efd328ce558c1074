"""The retention suite's rules on hand-written answers, and a run of a tiny random model."""

from __future__ import annotations

import json
import re

from conftest import tiny_model

from rerec.eval.retention import RetentionConfig, bullets, json_object, last_number, probes, run_retention


def by_category(seed: int = 3) -> dict:
    return {p.category: p for p in probes(1, seed)}


def test_probes_are_seeded_and_cover_six_categories():
    assert [p.prompt for p in probes(4, 7)] == [p.prompt for p in probes(4, 7)]
    assert [p.prompt for p in probes(4, 7)] != [p.prompt for p in probes(4, 8)]
    assert len(by_category()) == 6 and len(probes(5, 0)) == 30


def test_rules_on_hand_written_answers():
    p = by_category()
    limit = int(re.search(r"at most (\d+) words", p["word_limit"].prompt).group(1))
    assert p["word_limit"].check("word " * limit) and not p["word_limit"].check("word " * (limit + 1))
    assert not p["word_limit"].check("")
    keys = re.findall(r'"(\w+)"', p["json"].prompt)
    assert p["json"].check("```json\n" + json.dumps(dict.fromkeys(keys, 1)) + "\n```")
    assert not p["json"].check('{"other": 1}') and not p["json"].check("name: Bob")
    w1, w2 = re.findall(r'"(\w+)"', p["keywords"].prompt)
    assert p["keywords"].check(f"A {w1.upper()} here. And {w2}.") and not p["keywords"].check(f"Only {w1}.")
    n = int(re.search(r"exactly (\d+)", p["bullets"].prompt).group(1))
    assert p["bullets"].check("\n".join(["- x"] * n)) and not p["bullets"].check("\n".join(["- x"] * (n + 1)))
    a, b = (int(x) for x in re.findall(r"\d+", p["comparison"].prompt))
    assert p["comparison"].check(str(max(a, b))) and not p["comparison"].check(str(min(a, b)))


def test_helpers():
    assert last_number("so 1,200 then 7.5") == 7.5 and last_number("none") is None
    assert json_object('x {"a": {"b": 2}} y {') == {"a": {"b": 2}} and json_object("[1, 2]") is None
    assert bullets("- a\n* b\n• c\nd\n-e") == 3


def test_arithmetic_answers_are_right():
    for probe in probes(20, 0):
        if probe.category != "arithmetic":
            continue
        a, b = (int(x) for x in re.findall(r"\d+", probe.prompt))
        truth = a + b if "more" in probe.prompt else a - b
        assert probe.check(f"The answer is {truth}.") and not probe.check(f"The answer is {truth + 1}.")


def test_tiny_model_run_writes_rates(tokenizer, tmp_path):
    cfg = RetentionConfig(output_dir=str(tmp_path), per_category=2, max_new_tokens=4, batch_size=6)
    result = run_retention(cfg, tiny_model(tokenizer), tokenizer)
    assert result["all"]["n"] == 12 and 0 <= result["all"]["rate"] <= 1
    assert len((tmp_path / "answers.jsonl").read_text().splitlines()) == 12
    assert json.loads((tmp_path / "retention.json").read_text()) == result
