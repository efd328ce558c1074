"""`rerec demo` helpers: answers shown with their steps marked, and stages skipped when done."""

from __future__ import annotations

import logging

from test_verifier import CATALOG, GRAPH

from rerec.demo import Stages, annotated
from rerec.task.verifier import StepVerifier


def test_answers_are_shown_with_marked_steps():
    verifier = StepVerifier(GRAPH, CATALOG, ["1", "2", "3"])
    text = "Step 1: Jaws (1975) was directed by m.spielberg.\nStep 2: Alien (1979) was directed by m.spielberg.\n"
    text += "Step 3: so Jaws.\n\\boxed{Jaws (1975)}"
    assert annotated(text, verifier) == [
        "  ✓ Step 1: Jaws (1975) was directed by m.spielberg.",
        "  ✗ Step 2: Alien (1979) was directed by m.spielberg.",
        "  · Step 3: so Jaws.",
        "  → Jaws (1975)",
    ]
    assert annotated("no answer", verifier)[-1] == "  → (no boxed answer)"


def test_stages_skip_work_already_done(caplog):
    calls = []
    stages = Stages()
    with caplog.at_level(logging.INFO, logger="rerec.demo"):
        stages.run("a", True, lambda: calls.append("a"))
        stages.run("b", False, lambda: calls.append("b"))
    assert calls == ["b"] and "a: already done, skipped" in caplog.text
