"""One reading of a completion — parsed, then grounded — shared by every reward and by evaluation.

TRL calls each reward function separately with the very same `completions` list; `read_batch` remembers the
last batch it read (by identity), so a step parses and grounds each completion once, not once per reward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rerec.data.grounding import TitleIndex
from rerec.task.parsing import completion_text, parse_items

CACHE_SIZE = 8192


@dataclass(frozen=True)
class Answer:
    """`boxed`: a complete `\\boxed{}` exists. `titles`: its cleaned entries. `ranked`: their item ids, `None`
    where an entry did not ground."""

    boxed: bool
    titles: tuple[str, ...]
    ranked: tuple[str | None, ...]


class AnswerReader:
    """Parses and grounds completions against one catalog index.

    Args:
        index (`TitleIndex`): Grounding index of the catalog.
        mode (`str`, *optional*, defaults to `"candidates"`): In `"candidates"` mode entries ground only to the
            record's candidates; in `"open"` mode to the whole catalog.
    """

    def __init__(self, index: TitleIndex, mode: str = "candidates"):
        if mode not in ("candidates", "open"):
            raise ValueError(f"mode={mode!r}: use 'candidates' or 'open'")
        self.index, self.mode = index, mode
        self._cache: dict[tuple[str, tuple[str, ...]], Answer] = {}
        self._last: tuple[Sequence, Sequence | None, list[Answer]] | None = None

    def __getstate__(self) -> dict:
        # Caches stay behind when a reward is pickled (e.g. sent to a dataloader worker).
        return {**self.__dict__, "_cache": {}, "_last": None}

    def read_batch(self, completions: Sequence, candidates: Sequence[Sequence[dict]] | None = None) -> list[Answer]:
        """Answers for a batch; the same list objects as the previous call return the previous answers."""
        last = self._last
        if last is not None and last[0] is completions and last[1] is candidates:
            return last[2]
        cands = candidates if candidates is not None else [None] * len(completions)
        answers = [self.read(c, k) for c, k in zip(completions, cands, strict=True)]
        self._last = (completions, candidates, answers)
        return answers

    def read(self, completion: str | Sequence[dict], candidates: Sequence[dict] | None = None) -> Answer:
        text = completion_text(completion)
        allowed = tuple(c["item_id"] for c in candidates) if candidates and self.mode == "candidates" else ()
        key = (text, allowed)
        answer = self._cache.get(key)
        if answer is None:
            answer = self._read(text, allowed)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = answer
        return answer

    def _read(self, text: str, allowed: tuple[str, ...]) -> Answer:
        items = parse_items(text)
        if items is None:
            return Answer(False, (), ())
        ranked = self.index.ground_all(items, allowed or None)
        return Answer(True, tuple(items), tuple(ranked))
