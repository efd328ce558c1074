"""Fuzzing (reliability suite): generated completions through parsing, grounding, every reward and the step
verifier — no exception, every reward finite and in range — and damaged source files through the loader —
a `DataError` that names the file, never another exception."""

from __future__ import annotations

import math
import shutil

import pytest
from conftest import write_tiny_source
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rerec.data.catalog import Catalog, Item
from rerec.data.grounding import TitleIndex
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.data.sources.generic import load_generic
from rerec.data.validation import DataError
from rerec.rewards.accuracy import NDCGReward, StepsFormatReward, format_reward
from rerec.rewards.qas import QASReward
from rerec.task.answer import AnswerReader
from rerec.task.parsing import parse_items, segments, step_text
from rerec.task.verifier import StepVerifier

pytestmark = pytest.mark.reliability

CATALOG = Catalog(
    [Item("1", "Jaws", 1975, {"genre": ("Thriller",)}), Item("2", "Usual Suspects, The", 1995, {"genre": ("Crime",)}),
     Item("3", "Amélie", 2001, {"genre": ("Comedy",)}), Item("4", "Alien 3", 1992, {"genre": ("Sci-Fi",)})]
)  # fmt: skip
GRAPH = KnowledgeGraph.from_catalog(CATALOG, [Triple("1", "directed_by", "m.1"), Triple("4", "directed_by", "m.2")])
CANDS = [{"item_id": i.item_id, "title": i.display_title} for i in CATALOG]
ROW = {"candidates": [CANDS], "ground_truth": [[CANDS[1]]], "conditions": [[]], "positive_id": ["2"]}
PIECES = ["\\boxed{", "}", "{", ";", "\n", "Step 1:", "2.", "Jaws", "(1975)", "The Usual Suspects", "Amélie",
          "Alien 3", "was directed by", "m.1", "is a", "Crime", "title", "not", "<think>", "</think>", "\\text{",
          "**", "\x00", "é", "🎬", " ", "same director as"]  # fmt: skip
COMPLETIONS = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
RANGES = {"format_reward": (-0.5, 0.5), "ndcg_reward": (-0.5, 1.0), "qas_reward": (0.0, 1.0)}
RUN = {"completions": 0, "damaged files": 0, "data errors": 0}  # cases run, printed once the module is done


@pytest.fixture(scope="module", autouse=True)
def _print_counts():
    yield
    print("\nfuzz: " + ", ".join(f"{v:,} {k}" for k, v in RUN.items()))  # noqa: T201


@settings(max_examples=100_000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(COMPLETIONS)
def test_any_completion_reads_scores_and_verifies_without_error(text):
    RUN["completions"] += 1
    reader = AnswerReader(TitleIndex(CATALOG), "candidates")
    rewards = [format_reward, StepsFormatReward(1), NDCGReward(reader), QASReward(reader, GRAPH)]
    for reward in rewards:
        (value,) = reward([text], **ROW)
        low, high = RANGES[reward.__name__]
        assert value is not None and math.isfinite(value) and low <= value <= high
    items = parse_items(text)
    assert items is None or all(isinstance(i, str) for i in items)
    verifier = StepVerifier(GRAPH, CATALOG, ["1", "2", "3", "4"])
    for seg in segments(text):
        assert text[seg.start : seg.end] == seg.text
        assert verifier.verdict(step_text(seg)) in ("verified", "false", "unchecked")
    TitleIndex(CATALOG).mentions(text)


DAMAGE = st.sampled_from(["truncate", "bytes", "swap_types", "drop_column", "duplicate", "empty", "binary"])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.sampled_from(["items.csv", "triples.csv", "interactions.csv", "users.csv"]), DAMAGE, st.integers(0, 10**6))
def test_damaged_source_files_give_a_data_error_or_load(tmp_path_factory, name, damage, seed):
    folder = write_tiny_source(tmp_path_factory.mktemp("src") / "tiny")
    path = folder / name
    raw = path.read_bytes()
    cut = seed % max(1, len(raw))
    damaged = {
        "truncate": raw[:cut],
        "bytes": raw[:cut] + bytes([0xFF, 0xFE, 0x00, 0x80]) + raw[cut:],
        "swap_types": raw.replace(b"199", b"x9y"),
        "drop_column": b"\n".join(line.rsplit(b",", 1)[0] for line in raw.splitlines()),
        "duplicate": raw + raw.splitlines()[-1] + b"\n",
        "empty": b"",
        "binary": bytes(range(256)) * 4,
    }[damage]
    path.write_bytes(damaged)
    RUN["damaged files"] += 1
    try:
        ds = load_generic(folder)
    except DataError as err:
        RUN["data errors"] += 1
        assert name.split(".")[0] in str(err) or "items" in str(err)  # names the file it could not read
    else:
        assert len(ds.catalog) > 0
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
