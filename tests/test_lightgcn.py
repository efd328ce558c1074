import numpy as np

from rerec.data.interactions import Interaction, Interactions
from rerec.data.lightgcn import EMBEDDINGS_FILE, Embeddings, LightGCNConfig, train_lightgcn


def two_communities() -> Interactions:
    """Users 0-9 like items a0-a4, users 10-19 like b0-b4: LightGCN must place each block together."""
    rows = []
    for u in range(20):
        block = "a" if u < 10 else "b"
        rows += [Interaction(f"u{u}", f"{block}{i}", 5.0, float(i)) for i in range(5) if (u + i) % 5]
    return Interactions(rows)


def test_learns_the_communities_and_round_trips(tmp_path):
    items = [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
    cfg = LightGCNConfig(lightgcn_dim=8, lightgcn_epochs=30, lightgcn_batch_size=32, lightgcn_lr=0.05)
    emb = train_lightgcn(two_communities(), items, cfg, seed=0)
    unit = emb.items_unit
    same = unit[0] @ unit[1]
    other = unit[0] @ unit[5]
    assert same > other
    emb.save(tmp_path / EMBEDDINGS_FILE)
    assert (tmp_path / EMBEDDINGS_FILE).stat().st_mode & 0o777 == 0o644  # readable like the rest of the folder
    back = Embeddings.load(tmp_path / EMBEDDINGS_FILE)
    assert back.item_ids == items and np.array_equal(back.items, emb.items)
    again = train_lightgcn(two_communities(), items, cfg, seed=0)
    assert np.array_equal(again.items, emb.items)  # deterministic for one seed
