"""`RecDataset`: one loaded source (catalog, knowledge graph, interactions, users) and its files on disk.

The prepared folder stores each part in a plain, versionable format — JSONL for the small tables, Parquet for
the two large ones — written in a fixed order so that the same input always gives the same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from rerec.data.catalog import Catalog, Item
from rerec.data.interactions import Interaction, Interactions, User
from rerec.data.knowledge_graph import KnowledgeGraph, Triple

CATALOG_FILE = "catalog.jsonl"
ENTITIES_FILE = "entities.jsonl"
KG_FILE = "kg.parquet"
INTERACTIONS_FILE = "interactions.parquet"
TRAIN_INTERACTIONS_FILE = "train_interactions.parquet"
USERS_FILE = "users.jsonl"
META_FILE = "dataset.json"
LINKS_FILE = "kg_links.jsonl"


@dataclass
class RecDataset:
    """Everything rerec knows about one domain.

    Args:
        name (`str`): Short name, e.g. `"ml-100k"`.
        catalog (`Catalog`): The items.
        graph (`KnowledgeGraph`): Item–entity triples, named attributes included.
        interactions (`Interactions`): User ratings.
        users (`Mapping[str, User]`): Demographics by user id (may be empty).
        hop_relations (`tuple[str, ...]`): Relations through which a condition can be hinted at via another
            item ("directed by the director of Jaws"): people and companies, not genres.
        dropped (`dict[str, int]`): Rows the loader skipped on purpose, by reason.
        kg_links (`list[dict]`): How items were joined to an outside graph by title (ml-100k with Wikidata:
            item, film id, IMDb id, tier); written as `kg_links.jsonl` so every join can be checked.
    """

    name: str
    catalog: Catalog
    graph: KnowledgeGraph
    interactions: Interactions
    users: Mapping[str, User] = field(default_factory=dict)
    hop_relations: tuple[str, ...] = ()
    dropped: dict[str, int] = field(default_factory=dict)
    kg_links: list[dict] = field(default_factory=list)

    @functools.cached_property
    def attribute_relations(self) -> list[str]:
        """Relations of the item file's own attributes (genre, author ...) plus `decade`: short, readable facts
        that fit any query, unlike a graph's people and companies. Computed once: serving asks per request."""
        own = {r for item in self.catalog for r in item.attributes} | {"decade"}
        return sorted(own & set(self.graph.relations))

    def save(self, folder: Path) -> None:
        """Write the dataset's files into an existing folder (the caller makes the write atomic)."""
        _write_jsonl(
            folder / CATALOG_FILE,
            (
                {"item_id": i.item_id, "title": i.title, "year": i.year, "attributes": dict(i.attributes)}
                for i in self.catalog
            ),
        )
        _write_jsonl(
            folder / ENTITIES_FILE,
            ({"entity_id": e, "name": n} for e, n in sorted(self.graph.entity_names.items())),
        )
        triples = self.graph.triples()
        pq.write_table(
            pa.table(
                {
                    "item_id": [t.item_id for t in triples],
                    "relation": [t.relation for t in triples],
                    "entity_id": [t.entity_id for t in triples],
                }
            ),
            folder / KG_FILE,
        )
        write_interactions(self.interactions, folder / INTERACTIONS_FILE)
        _write_jsonl(folder / USERS_FILE, (vars(u) for _uid, u in sorted(self.users.items())))
        if self.kg_links:
            _write_jsonl(folder / LINKS_FILE, self.kg_links)
        meta = {
            "name": self.name,
            "noun": self.catalog.noun,
            "hop_relations": list(self.hop_relations),
            "positive_threshold": self.interactions.positive_threshold,
            "dropped": self.dropped,
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, folder: Path, interactions_file: str = INTERACTIONS_FILE) -> RecDataset:
        """Read a folder written by `save` (or by `rerec prepare`)."""
        meta = json.loads((folder / META_FILE).read_text())
        catalog = Catalog(
            (
                Item(r["item_id"], r["title"], r["year"], {k: tuple(v) for k, v in r["attributes"].items()})
                for r in _read_jsonl(folder / CATALOG_FILE)
            ),
            noun=meta["noun"],
        )
        names = {r["entity_id"]: r["name"] for r in _read_jsonl(folder / ENTITIES_FILE)}
        kg = pq.read_table(folder / KG_FILE).to_pydict()
        graph = KnowledgeGraph(
            (Triple(*t) for t in zip(kg["item_id"], kg["relation"], kg["entity_id"], strict=True)), names
        )
        users = {r["user_id"]: User(**r) for r in _read_jsonl(folder / USERS_FILE)}
        return cls(
            name=meta["name"],
            catalog=catalog,
            graph=graph,
            interactions=read_interactions(folder / interactions_file, meta["positive_threshold"]),
            users=users,
            hop_relations=tuple(meta["hop_relations"]),
            dropped=meta["dropped"],
            kg_links=_read_jsonl(folder / LINKS_FILE) if (folder / LINKS_FILE).exists() else [],
        )

    @classmethod
    def load_train(cls, folder: Path) -> RecDataset:
        """A prepared folder as training may see it: its interactions lack the (user, item) pairs that answer
        val/test queries, so rewards, LightGCN and collaborative baselines cannot peek at held-out answers."""
        return cls.load(Path(folder), interactions_file=TRAIN_INTERACTIONS_FILE)


def write_interactions(interactions: Interactions, path: Path) -> None:
    rows = interactions.rows()
    table = pa.table(
        {
            "user_id": [r.user_id for r in rows],
            "item_id": [r.item_id for r in rows],
            "rating": pa.array([r.rating for r in rows], pa.float32()),
            "timestamp": pa.array([r.timestamp for r in rows], pa.float64()),
        }
    )
    pq.write_table(table, path)


def read_interactions(path: Path, positive_threshold: float) -> Interactions:
    cols = pq.read_table(path).to_pydict()
    rows = zip(cols["user_id"], cols["item_id"], cols["rating"], cols["timestamp"], strict=True)
    return Interactions((Interaction(*r) for r in rows), positive_threshold)


def _write_jsonl(path: Path, records: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
