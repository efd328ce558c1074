"""LightGCN item embeddings of the user–item graph, for the Preference Alignment Score (PAS).

Trained with torch_geometric's `LightGCN` and BPR loss on the *training* interactions only (val/test ground
truth removed by `rerec prepare`), with liked items (rating >= the positive threshold) as edges. The result
is stored as safetensors (no pickle) beside the prepared data and read back with numpy alone, so the reward
itself needs no torch.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rerec.data.interactions import Interactions

logger = logging.getLogger(__name__)

EMBEDDINGS_FILE = "lightgcn.safetensors"


@dataclass
class LightGCNConfig:
    """LightGCN knobs for `rerec prepare` (the seed is the preparation's own)."""

    lightgcn: bool = field(default=True, metadata={"help": "Train LightGCN embeddings (needed by PAS)."})
    lightgcn_dim: int = field(default=64, metadata={"help": "Embedding size."})
    lightgcn_layers: int = field(default=3, metadata={"help": "Propagation layers."})
    lightgcn_epochs: int = field(default=40, metadata={"help": "Passes over the training edges."})
    lightgcn_batch_size: int = field(default=8192, metadata={"help": "Positive edges per BPR step."})
    lightgcn_lr: float = field(default=0.01, metadata={"help": "Adam learning rate."})
    lightgcn_weight_decay: float = field(default=1e-4, metadata={"help": "L2 on each batch's embeddings."})

    def __post_init__(self) -> None:
        for name in ("lightgcn_dim", "lightgcn_layers", "lightgcn_epochs", "lightgcn_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")


@dataclass
class Embeddings:
    """Final LightGCN item and user embeddings with their ids.

    Ranking uses the raw dot product (the embedding norm carries popularity, which ranking needs); PAS uses the
    cosine, i.e. `items_unit`, so that a popular item is not "closer" to everything.
    """

    item_ids: list[str]
    items: np.ndarray
    user_ids: list[str]
    users: np.ndarray

    def __post_init__(self) -> None:
        self.item_row = {item: row for row, item in enumerate(self.item_ids)}
        self.user_row = {user: row for row, user in enumerate(self.user_ids)}
        self.items_unit = _normalise(self.items)

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        # One metadata key only: safetensors writes several in a random (hash map) order, breaking byte-identity.
        meta = {"ids": json.dumps({"items": self.item_ids, "users": self.user_ids})}
        save_file({"items": self.items, "users": self.users}, str(path), metadata=meta)
        os.chmod(path, 0o644)  # safetensors writes through a private (0600) temp file; the folder's others are 0644

    @classmethod
    def load(cls, path: Path) -> Embeddings:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            ids = json.loads(f.metadata()["ids"])
            return cls(ids["items"], f.get_tensor("items"), ids["users"], f.get_tensor("users"))


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def train_lightgcn(
    interactions: Interactions, item_ids: list[str], cfg: LightGCNConfig | None = None, seed: int = 0
) -> Embeddings:
    """Fit LightGCN on the liked (user, item) pairs of `interactions`; every catalog item gets a row."""
    import torch

    cfg = cfg or LightGCNConfig()
    # Deterministic kernels keep the embeddings identical for one seed, at no measured cost.
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        return _train(interactions, item_ids, cfg, seed)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def _train(interactions: Interactions, item_ids: list[str], cfg: LightGCNConfig, seed: int) -> Embeddings:
    import torch
    from torch_geometric.nn.models import LightGCN
    from torch_geometric.utils import to_torch_csr_tensor

    torch.manual_seed(seed)
    rng = random.Random(seed)
    users = interactions.users
    user_row = {u: i for i, u in enumerate(users)}
    item_row = {it: len(users) + i for i, it in enumerate(item_ids)}
    pairs = [(user_row[u], item_row[i]) for u in users for i in interactions.positives(u) if i in item_row]
    if not pairs:
        raise ValueError("no positive interactions to train LightGCN on")
    src, dst = torch.tensor([p[0] for p in pairs]), torch.tensor([p[1] for p in pairs])
    n_nodes = len(users) + len(item_ids)
    # A CSR adjacency makes propagation one sparse matmul per layer: ~6x faster than edge lists on CPU. The graph
    # is built here from valid indices, so torch's invariant checks are declined (which also silences its
    # "implicitly disabled" warning), as is its notice that CSR support is in beta.
    torch.sparse.check_sparse_tensor_invariants.disable()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)
        adj = to_torch_csr_tensor(torch.stack([torch.cat([src, dst]), torch.cat([dst, src])]), size=(n_nodes, n_nodes))
    liked: dict[int, set[int]] = {}
    for u, i in pairs:
        liked.setdefault(u, set()).add(i)
    model = LightGCN(n_nodes, cfg.lightgcn_dim, cfg.lightgcn_layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lightgcn_lr)
    start, shown = time.perf_counter(), 0.0
    for epoch in range(cfg.lightgcn_epochs):
        total = 0.0
        for batch in torch.randperm(len(pairs)).split(cfg.lightgcn_batch_size):
            u, pos = src[batch], dst[batch]
            neg = torch.tensor([_negative(liked[x], len(users), len(item_ids), rng) for x in u.tolist()])
            pos_rank, neg_rank = model(adj, torch.stack([torch.cat([u, u]), torch.cat([pos, neg])])).chunk(2)
            nodes = torch.cat([u, pos, neg])
            loss = model.recommendation_loss(pos_rank, neg_rank, node_id=nodes, lambda_reg=cfg.lightgcn_weight_decay)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        elapsed = time.perf_counter() - start
        # A line per epoch on big graphs (Book-Crossing: ~30 s each); on small ones at most one per 5 s.
        level = logging.INFO if elapsed - shown >= 5 else logging.DEBUG
        shown = elapsed if level == logging.INFO else shown
        logger.log(
            level, "LightGCN epoch %d/%d: loss %.4f, %.0f s elapsed, ~%.0f s to go", epoch + 1, cfg.lightgcn_epochs,
            total / len(pairs), elapsed, elapsed / (epoch + 1) * (cfg.lightgcn_epochs - epoch - 1),
        )  # fmt: skip
    logger.info(
        "LightGCN: %d liked pairs, %d epochs in %.1f s", len(pairs), cfg.lightgcn_epochs, time.perf_counter() - start
    )
    with torch.no_grad():
        emb = model.get_embedding(adj).numpy()
    return Embeddings(list(item_ids), emb[len(users) :].copy(), list(users), emb[: len(users)].copy())


def _negative(liked: set[int], offset: int, n_items: int, rng: random.Random) -> int:
    while True:
        item = offset + rng.randrange(n_items)
        if item not in liked:
            return item
