"""What a request may ask, in one light module: the HTTP schema, the assistant and the CLI's argument parser
check the same limits (the CLI before any model loads)."""

from __future__ import annotations

import re

MAX_QUERY_CHARS = 2000
MAX_K = 50

# A character that shows: not white space and not an invisible format character (soft hyphen, zero-width space
# and joiners, bidi marks, word joiner, BOM), which `str.strip` keeps. Also the API schema's `pattern`, so the
# published contract and the check are one rule. White space is spelled out (exactly Python's `\s`: tab to CR,
# the information separators \x1c-\x1f, space, NEL, NBSP and Unicode's spaces) because regex engines disagree on
# `\s`: schemathesis generated "\x1e" as a visible character that the server's `\s` then refused.
VISIBLE_PATTERN = (
    r"[^\t-\r\x1c-\x20\x85\xa0\u00ad\u061c\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f"
    r"\u3000\ufeff]"
)
_VISIBLE = re.compile(VISIBLE_PATTERN)


def visible(text: str) -> bool:
    """Whether `text` has a character that shows; a query without one is empty.

    >>> visible("\u200b \ufeff"), visible("\u200bJaws")
    (False, True)
    """
    return _VISIBLE.search(text) is not None


def query_problem(query: str) -> str | None:
    """What is wrong with a query, in words for the user, or None: one rule for the CLI's parser and the
    assistant."""
    if not visible(query):
        return "the query is empty; ask for something, e.g. 'a 90s crime thriller'"
    if len(query) > MAX_QUERY_CHARS:
        return f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}"
    return None


def k_problem(k: int) -> str | None:
    """What is wrong with `k` (how many items), or None."""
    return None if 1 <= k <= MAX_K else f"k={k}: ask for 1 to {MAX_K} items"
