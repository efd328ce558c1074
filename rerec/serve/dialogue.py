"""Multi-turn refinement for `rerec chat`: a follow-up changes the previous request instead of starting over.

ReRec answers single questions. Here a follow-up keeps the conversation's request and adds to it:
"not that one" / "something else" drops the previous top pick, "none of these" drops the whole previous list,
"not <title>" drops that title, "older" / "newer" bound the year by the previous top pick, and any other
words join the running request ("...but funnier"). The earlier turns also reach the model as chat messages.
These rules are deliberately plain: they are applied outside the model, so a small model cannot misread them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rerec.serve.assistant import Request, Response

_NOT_THAT = re.compile(r"\b(not (that|this) one|something else|another one|different one)\b", re.IGNORECASE)
_NONE = re.compile(r"\b(none of (these|those|them)|all of them are wrong|different ones)\b", re.IGNORECASE)
_OLDER = re.compile(r"\b(older|earlier|classic|before that)\b", re.IGNORECASE)
_NEWER = re.compile(r"\b(newer|more recent|later|recent)\b", re.IGNORECASE)
_NOT_TITLE = re.compile(r"\bnot\s+(?!that\b|this\b)(.+?)(?:[,.;!?]|$)", re.IGNORECASE)
MAX_HISTORY_TURNS = 2


@dataclass
class Dialogue:
    """The running request and what was shown, turn by turn.

    Args:
        user_id (`str`, *optional*): The user, for every turn.
        k (`int`): Items per answer.
    """

    user_id: str | None = None
    k: int = 10
    query: str = ""
    exclude: set[str] = field(default_factory=set)
    years: tuple[int | None, int | None] = (None, None)
    turns: list[tuple[str, Response]] = field(default_factory=list)

    def next_request(self, text: str, resolve=None) -> Request:
        """The request for the user's next message; `resolve(title) -> item id | None` reads "not <title>"."""
        text = text.strip()
        last = self.turns[-1][1] if self.turns else None
        if last is None:
            self.query = text
        else:
            self._refine(text, last, resolve)
        history = []
        for said, response in self.turns[-MAX_HISTORY_TURNS:]:
            history += [{"role": "user", "content": said}, {"role": "assistant", "content": response.completion}]
        return Request(self.query, self.user_id, (), self.k, sorted(self.exclude), history, self.years)

    def _refine(self, text: str, last: Response, resolve) -> None:
        shown = [i["item_id"] for i in last.items]
        top = last.items[0] if last.items else None
        rest = text
        if _NONE.search(text):
            self.exclude.update(shown)
            rest = _NONE.sub("", rest)
        elif _NOT_THAT.search(text) and top:
            self.exclude.add(top["item_id"])
            rest = _NOT_THAT.sub("", rest)
        for match in _NOT_TITLE.finditer(text):
            item = resolve(match[1]) if resolve else None
            if item:
                self.exclude.add(item)
                rest = rest.replace(match[0], "")
        if top and top.get("year"):
            if _OLDER.search(text):
                self.years = (self.years[0], top["year"] - 1)
                rest = _OLDER.sub("", rest)
            elif _NEWER.search(text):
                self.years = (top["year"] + 1, self.years[1])
                rest = _NEWER.sub("", rest)
        rest = " ".join(re.sub(r"\b(something|please|but|and)\b", " ", rest, flags=re.IGNORECASE).split())
        if len(re.findall(r"\w+", rest)) >= 2:  # real new content, not leftovers like "an" or "one"
            self.query = f"{self.query} {text}"

    def record(self, text: str, response: Response) -> None:
        self.turns.append((text, response))
