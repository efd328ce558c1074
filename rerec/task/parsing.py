"""Reading a model's answer: the first `\\boxed{...}`, its ranked items, and the reasoning segments before it.

Shared by rewards, evaluation, RAAE and serving, so the training signal and the metric read an answer the same
way. Nothing here raises on any input: unreadable output is "no answer" (`None` / empty list).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

BOX_OPEN = "\\boxed{"
# Reasoning models may think in tags; the answer is the box after the last closing tag when there is one.
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:[-*•]+|\(?\d{1,3}[.):]|#\d{1,3}:?|rank\s*\d{1,3}:?)\s+", re.IGNORECASE)
_WRAPPERS = re.compile(r"\\text(?:bf|it)?\{([^{}]*)\}")
_EDGE_JUNK = " \t\r\n\"'`*_“”‘’«».,:"
_SPLIT = re.compile(r";|\n|\\\\")
_STEP = re.compile(r"^\s*(?:step\s*\d+\s*[:.)-]|\d{1,2}[.)])\s*", re.IGNORECASE)


def completion_text(completion: str | Sequence[dict]) -> str:
    """Text of a completion in TRL's standard (`str`) or conversational (`[{"role", "content"}]`) form."""
    if isinstance(completion, str):
        return completion
    try:
        return "\n".join(str(m.get("content") or "") for m in completion if m.get("role", "assistant") == "assistant")
    except (AttributeError, TypeError):
        return ""


def box_span(text: str) -> tuple[int, int] | None:
    """`(start, end)` of the first complete `\\boxed{...}` (braces balanced), searched after the last `</think>`
    if the text has one. `text[start:end]` is the whole box, `\\boxed{` included."""
    if not isinstance(text, str):
        return None
    closes = list(_THINK_CLOSE.finditer(text))
    offset = closes[-1].end() if closes else 0
    start = text.find(BOX_OPEN, offset)
    if start < 0 and offset:
        start = text.find(BOX_OPEN)
    if start < 0:
        return None
    depth = 0
    for pos in range(start + len(BOX_OPEN) - 1, len(text)):
        char = text[pos]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return start, pos + 1
    return None


def boxed_answer(text: str) -> str | None:
    """Content of the first complete box, or `None` when there is none.

    >>> boxed_answer("Step 1: ... so \\\\boxed{Jaws (1975); Alien (1979)}")
    'Jaws (1975); Alien (1979)'
    """
    span = box_span(text)
    return None if span is None else text[span[0] + len(BOX_OPEN) : span[1] - 1]


def clean_item(raw: str) -> str:
    """One answer entry without list marks, markdown, LaTeX `\\text{}` wrappers, quotes or edge punctuation."""
    text = _WRAPPERS.sub(r"\1", raw)
    text = _LIST_MARK.sub("", text.strip())
    return " ".join(text.strip(_EDGE_JUNK).split())


def parse_items(text: str) -> list[str] | None:
    """The ranked items of the first box: `;`-separated (newlines and `\\\\` also split), cleaned, duplicates
    dropped (first rank kept). `None` when there is no box; `[]` for an empty one.

    >>> parse_items("\\\\boxed{1. **Jaws (1975)**; 2. Alien (1979); jaws (1975)}")
    ['Jaws (1975)', 'Alien (1979)']
    """
    answer = boxed_answer(text)
    if answer is None:
        return None
    items, seen = [], set()
    for part in _SPLIT.split(answer):
        item = clean_item(part)
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            items.append(item)
    return items


@dataclass(frozen=True)
class Segment:
    """A reasoning step: `text` is `completion[start:end]`, so RAAE can map it onto token offsets."""

    start: int
    end: int
    text: str


def segments(text: str) -> list[Segment]:
    """The non-empty lines before the box (the whole text when there is no box), each one step.

    A "Step k:" line and a numbered line are steps; a blank line or a new line also ends one, so steps written
    as paragraphs or as bare lines are both split. Offsets index the original string.
    """
    if not isinstance(text, str):
        return []
    span = box_span(text)
    limit = span[0] if span else len(text)
    out, pos = [], 0
    for line in text[:limit].split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            start = pos + lead
            out.append(Segment(start, start + len(stripped), stripped))
        pos += len(line) + 1
    return out


def step_text(segment: Segment) -> str:
    """A segment without its "Step k:" / "k." prefix."""
    return _STEP.sub("", segment.text, count=1)
