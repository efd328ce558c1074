"""A small movie world built in code for the serving tests: exact graph facts, known answers."""

from __future__ import annotations

from collections.abc import Sequence

from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.interactions import Interaction, Interactions, User
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.eval.generation import Generated
from rerec.serve.assistant import Assistant, AssistantConfig

MOVIES = [
    ("1", "Jaws", 1975, ("Thriller",)),
    ("2", "Close Encounters of the Third Kind", 1977, ("Sci-Fi",)),
    ("3", "Raiders of the Lost Ark", 1981, ("Action", "Adventure")),
    ("4", "Alien", 1979, ("Horror", "Sci-Fi")),
    ("5", "Blade Runner", 1982, ("Sci-Fi",)),
    ("6", "Heat", 1995, ("Crime", "Thriller")),
    ("7", "Big", 1988, ("Comedy",)),
    ("8", "Men in Black", 1997, ("Comedy", "Sci-Fi")),
]
PEOPLE = {"person:spielberg": "Steven Spielberg", "person:scott": "Ridley Scott", "person:mann": "Michael Mann",
          "person:hanks": "Tom Hanks", "person:ford": "Harrison Ford"}  # fmt: skip
DIRECTED = {
    "1": "person:spielberg",
    "2": "person:spielberg",
    "3": "person:spielberg",
    "4": "person:scott",
    "5": "person:scott",
    "6": "person:mann",
}
STARRING = {"3": "person:ford", "5": "person:ford", "7": "person:hanks"}


def movie_world() -> RecDataset:
    catalog = Catalog((Item(i, t, y, {"genre": g}) for i, t, y, g in MOVIES), noun="movie")
    extra = [Triple(i, "directed_by", p) for i, p in DIRECTED.items()]
    extra += [Triple(i, "starring", p) for i, p in STARRING.items()]
    graph = KnowledgeGraph.from_catalog(catalog, extra, PEOPLE)
    rows = [Interaction(f"u{u}", str(i), 5.0 if (u + i) % 2 else 2.0, float(u * 10 + i)) for u in range(4)
            for i in range(1, 9)]  # fmt: skip
    users = {f"u{u}": User(f"u{u}", 20 + u, "F", "writer") for u in range(4)}
    return RecDataset("movies", catalog, graph, Interactions(rows), users, ("directed_by", "starring"))


class ScriptedAssistant(Assistant):
    """The real pipeline with generation replaced by fixed completions, for exact assertions."""

    def __init__(self, ds: RecDataset, completions: Sequence[str], **cfg):
        super().__init__(ds, None, None, AssistantConfig(sources=["graph", "attributes", "popular"], **cfg))
        self.completions = list(completions)
        self.prompts: list[list[dict]] = []

    def generate(self, prompts):
        self.prompts += prompts
        start = len(self.prompts) - len(prompts)
        return [Generated(self.completions[(start + n) % len(self.completions)], 5, 0.0) for n in range(len(prompts))]
