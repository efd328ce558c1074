"""Whole-catalog candidate retrieval: which items the model gets to choose from for a free-form request.

The benchmark hands the model 5–20 candidates; a person asks about the whole catalog. Several cheap sources
each propose items and are merged round-robin (so no single source crowds the others out), deduplicated,
down to the prompt's candidate count:

- **graph**: items the request names (entity linking through the grounding index) and their knowledge-graph
  neighbours through people and companies ("starring the lead of Cast Away" → Tom Hanks's other films);
- **attributes**: items carrying the named attributes the request mentions (genres, "90s", "French") or the
  people and studios it names, in full, by surname or misspelt ("by Spielberg", `rerec.serve.names`) — through
  the role it says ("directed by") when it says one;
- **taste**: LightGCN scores for a known user, or for the mean of the items the user says they liked;
- **semantic**: MiniLM cosine of the request against each item's text (title and named attributes: genres,
  decade, people, studios);
- **popular**: the most-liked items, so a vague request still gets a list.

Items the request names are hints, not answers: they are kept out of the candidates (their facts still reach
the prompt), as are the user's liked items and anything the dialogue excluded.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rerec.data.dataset import RecDataset
from rerec.data.grounding import TitleIndex
from rerec.data.lightgcn import Embeddings
from rerec.eval.baselines import item_text
from rerec.serve.names import NameFinder, fold_words
from rerec.task.verifier import RELATION_WORDS

logger = logging.getLogger(__name__)

SOURCES = ("graph", "attributes", "taste", "semantic", "popular")
_DECADE = re.compile(r"\b(?:(1[89]|20)(\d)0s|'?(\d)0s)\b")


@dataclass
class RetrievalConfig:
    """How many candidates a request gets, and from where."""

    num_candidates: int = field(default=10, metadata={"help": "Candidates shown to the model per request."})
    sources: tuple[str, ...] = field(default=SOURCES, metadata={"help": f"Retrieval sources, of {SOURCES}."})

    def __post_init__(self) -> None:
        if self.num_candidates < 1:
            raise ValueError("num_candidates must be >= 1")
        unknown = set(self.sources) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown retrieval sources {sorted(unknown)}; use some of {SOURCES}")


@dataclass(frozen=True)
class Retrieved:
    """Candidates best-first with the sources that proposed each, and the items the request named."""

    candidates: list[str]
    sources: dict[str, list[str]]
    linked: list[str]


def _words(text: str) -> str:
    """Case-folded words joined by single spaces: "Sci-Fi" -> "sci fi", for whole-word look-ups."""
    return " ".join(fold_words(text))


class SemanticIndex:
    """MiniLM embeddings of every item's text, computed once per catalog and cached on disk (safetensors)."""

    def __init__(self, ds: RecDataset, model_path: str | None = None, cache: Path | None = None):
        from sentence_transformers import SentenceTransformer

        from rerec.assets import cache_dir, minilm_dir

        self.model = SentenceTransformer(model_path or str(minilm_dir()), device="cpu")
        self.ids = ds.catalog.ids
        texts = [item_text(ds, i) for i in self.ids]
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        path = (cache or cache_dir() / "retrieval") / f"minilm-{digest}.safetensors"
        self.matrix = self._load_or_encode(path, texts)

    def _load_or_encode(self, path: Path, texts: list[str]) -> np.ndarray:
        from safetensors.numpy import load_file, save_file

        if path.exists():
            return load_file(str(path))["items"]
        logger.info("encoding %d item texts with MiniLM (once; cached in %s)", len(texts), path)
        matrix = self.model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        save_file({"items": np.ascontiguousarray(matrix, dtype=np.float32)}, str(tmp))
        tmp.replace(path)
        return matrix

    def scores(self, text: str) -> np.ndarray:
        query = self.model.encode([text], normalize_embeddings=True, show_progress_bar=False)[0]
        return self.matrix @ query


class Retriever:
    """Proposes a request's candidates from the whole catalog (see the module docstring).

    Args:
        ds (`RecDataset`): Catalog, graph, interactions.
        index (`TitleIndex`): Grounding index, for entity linking.
        embeddings (`Embeddings`, *optional*): LightGCN embeddings; without them the taste source is off.
        semantic (`SemanticIndex`, *optional*): MiniLM item index; without it the semantic source is off.
        cfg (`RetrievalConfig`, *optional*): Candidate count and sources.
    """

    def __init__(
        self,
        ds: RecDataset,
        index: TitleIndex,
        embeddings: Embeddings | None = None,
        semantic: SemanticIndex | None = None,
        cfg: RetrievalConfig | None = None,
    ):
        self.ds, self.index, self.embeddings, self.semantic = ds, index, embeddings, semantic
        self.cfg = cfg or RetrievalConfig()
        likes = ds.interactions.popularity()
        self.position = {item: n for n, item in enumerate(ds.catalog.ids)}
        # Catalogs list some items twice under two ids (ml-100k has 18 such titles): a copy is the same item.
        self.copies: dict[str, list[str]] = {}
        for item in ds.catalog:
            self.copies.setdefault(item.display_title, []).append(item.item_id)
        self.popular = sorted(ds.catalog.ids, key=lambda i: -likes.get(i, 0))
        self.likes = likes
        self.named = self._named_attributes()
        self.names = NameFinder(ds.graph, ds.hop_relations)

    def _named_attributes(self) -> dict[str, str]:
        """Folded attribute name -> entity id, for the readable attributes other than people and companies
        (genres, decades, languages; `self.names` finds those)."""
        out = {}
        for relation in self.ds.graph.relations:
            if self.ds.graph.is_named(relation) and relation not in self.ds.hop_relations:
                for entity in self.ds.graph.entities_of(relation):
                    name = self.ds.graph.name(entity)
                    if name:
                        out[_words(name)] = entity
        return out

    def retrieve(
        self,
        query: str,
        user_id: str | None = None,
        liked: Sequence[str] = (),
        exclude: Collection[str] = (),
        years: tuple[int | None, int | None] = (None, None),
    ) -> Retrieved:
        """Candidates for one request; `liked` are item ids, `exclude` item ids the dialogue ruled out, `years`
        an inclusive (first, last) release-year range (`None`: open)."""
        linked = self.index.mentions(query)
        banned = set(linked) | set(liked) | set(exclude)
        if user_id is not None:
            banned.update(self.ds.interactions.positives(user_id))
        if years != (None, None):
            first, last = years[0] or -(10**9), years[1] or 10**9
            banned.update(i.item_id for i in self.ds.catalog if i.year is None or not first <= i.year <= last)
        banned.update(copy for item in list(banned) for copy in self._copies(item))
        proposals = {
            "graph": lambda: self.neighbours([*linked, *liked], self.mentioned_relations(query)),
            "attributes": lambda: self.by_attributes(query, linked),
            "taste": lambda: self.by_taste(user_id, [*liked, *linked]),
            "semantic": lambda: self.by_text(query),
        }
        lists = {n: [i for i in proposals[n]() if i not in banned] for n in self.cfg.sources if n != "popular"}
        merged: dict[str, list[str]] = {}
        depth = 0
        while len(merged) < self.cfg.num_candidates and any(depth < len(v) for v in lists.values()):
            for name, items in lists.items():
                if depth < len(items) and len(merged) < self.cfg.num_candidates:
                    self._add(merged, items[depth], name)
            depth += 1
        if "popular" in self.cfg.sources:  # a filler, not a voice: it would otherwise crowd every list
            for item in self.popular:
                if len(merged) >= self.cfg.num_candidates:
                    break
                if item not in banned and not any(c in merged for c in self._copies(item)):
                    merged[item] = ["popular"]
        return Retrieved(list(merged), merged, linked)

    def _copies(self, item: str) -> list[str]:
        return self.copies.get(self.ds.catalog[item].display_title, []) if item in self.ds.catalog else []

    def _add(self, merged: dict[str, list[str]], item: str, source: str) -> None:
        """Record `source` for `item`, or for its copy already in the list."""
        known = next((c for c in self._copies(item) if c in merged), None)
        if known is None:
            merged[item] = [source]
        elif source not in merged[known]:
            merged[known].append(source)

    def mentioned_relations(self, query: str) -> list[str]:
        """Hop relations a request names by a word ("the *director* of Jaws" -> directed_by)."""
        text = f" {_words(query)} "
        return [r for r in self.ds.hop_relations if any(f" {w} " in text for w in RELATION_WORDS.get(r, ()))]

    def neighbours(self, items: Sequence[str], relations: Sequence[str] = (), limit: int = 50) -> list[str]:
        """Items sharing people or companies with `items` — through `relations` when the request names some,
        else through every hop relation — most shared entities first, then popularity, then catalog order."""
        graph, shared = self.ds.graph, Counter()
        for item in items:
            for relation in relations or self.ds.hop_relations:
                for entity in graph.entities(item, relation):
                    shared.update(i for i in graph.items_with(relation, entity) if i != item)
        return sorted(shared, key=lambda i: (-shared[i], -self.likes.get(i, 0), self.position[i]))[:limit]

    def mentioned_attributes(self, query: str, linked: Sequence[str] = ()) -> list[str]:
        """Entity ids of the named attributes, people and studios a request mentions: "a 90s comedy" -> decade
        1990s, genre Comedy; "something by Spielberg" -> Steven Spielberg. Words of the titles it names
        (`linked` items) are not read as surnames."""
        text = f" {_words(query)} "
        found = [entity for name, entity in self.named.items() if name and f" {name} " in text]
        for century, tens, short in _DECADE.findall(query):
            decade = f"{century or ('20' if short in '012' else '19')}{tens or short}0s"
            if decade in self.named:
                found.append(self.named[decade])
        title_words = {w for i in linked for w in fold_words(self.ds.catalog[i].title)}
        found += self.names.find(query, ignore=title_words)
        return list(dict.fromkeys(found))

    def by_attributes(self, query: str, linked: Sequence[str] = (), limit: int = 50) -> list[str]:
        """Items with the most of the mentioned attributes (all of them first), then popularity, then catalog
        order. A person counts through the roles the request names ("directed by Spielberg"), else any role."""
        wanted = self.mentioned_attributes(query, linked)
        if not wanted:
            return []
        said = set(self.mentioned_relations(query))
        hits = Counter()
        for entity in wanted:
            roles = self.ds.graph.relations_of(entity)
            roles = [r for r in roles if r in said] or roles
            hits.update(set().union(*(self.ds.graph.items_with(r, entity) for r in roles)))
        return sorted(hits, key=lambda i: (-hits[i], -self.likes.get(i, 0), self.position[i]))[:limit]

    def by_taste(self, user_id: str | None, items: Sequence[str], limit: int = 50) -> list[str]:
        """LightGCN dot product with the user's embedding, else with the mean of `items`' embeddings."""
        emb = self.embeddings
        if emb is None:
            return []
        if user_id is not None and user_id in emb.user_row:
            vector = emb.users[emb.user_row[user_id]]
        else:
            rows = [emb.item_row[i] for i in items if i in emb.item_row]
            if not rows:
                return []
            vector = emb.items[rows].mean(axis=0)
        order = np.argsort(-(emb.items @ vector), kind="stable")[:limit]
        return [emb.item_ids[r] for r in order]

    def by_text(self, query: str, limit: int = 50) -> list[str]:
        if self.semantic is None:
            return []
        scores = self.semantic.scores(query)
        return [self.semantic.ids[r] for r in np.argsort(-scores, kind="stable")[:limit]]
