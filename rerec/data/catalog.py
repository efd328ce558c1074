"""The item catalog: ids, titles, years and the named attributes that come with the item file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<article>The|A|An|Les|La|Le|L'|Il|Das|Der|Die|El)$")


@dataclass(frozen=True)
class Item:
    """One catalog item.

    Args:
        item_id (`str`): Identifier, unique in the catalog (kept as a string whatever the source uses).
        title (`str`): Title as the source spells it (ml-100k writes "Usual Suspects, The").
        year (`int` or `None`): Release/publication year when known.
        attributes (`dict[str, tuple[str, ...]]`): Named attributes from the item file, e.g.
            `{"genre": ("Crime", "Thriller")}` or `{"author": ("Graham Greene",)}`. They become
            knowledge-graph triples with readable entity names, so explicit conditions can state them.
    """

    item_id: str
    title: str
    year: int | None = None
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def display_title(self) -> str:
        """Natural reading order plus year, "The Usual Suspects (1995)": how a user would write it."""
        match = _TRAILING_ARTICLE.match(self.title)
        title = f"{match['article']} {match['body']}" if match else self.title
        if match and match["article"].endswith("'"):
            title = f"{match['article']}{match['body']}"
        return f"{title} ({self.year})" if self.year else title


class Catalog:
    """An ordered, id-indexed set of items of one domain (movies, books, ...)."""

    def __init__(self, items: Iterable[Item], noun: str = "item"):
        self.noun = noun
        self._items: dict[str, Item] = {}
        for item in items:
            if item.item_id in self._items:
                raise ValueError(f"duplicate item id {item.item_id!r}")
            self._items[item.item_id] = item

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items.values())

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __getitem__(self, item_id: str) -> Item:
        try:
            return self._items[item_id]
        except KeyError:
            raise KeyError(f"unknown item id {item_id!r}") from None

    @property
    def ids(self) -> list[str]:
        return list(self._items)

    def get(self, item_id: str) -> Item | None:
        return self._items.get(item_id)
