"""The graph check of an answer: where the graph refutes the model's reasoning and confirms exactly one candidate
for everything the request names, that candidate leads the answer.

Why both conditions. A request that states its conditions outright ("a Drama made by Regency Enterprises") can be
checked candidate by candidate against the graph; a small model still picks wrong there, and when it does its
own steps usually say something the graph refutes. Either sign alone is weak: moving refuted picks down cost
serving Hit@1 (docs/serving.md), and a request that names a film or a taste ("directed by the director of
Jaws") names only part of its conditions, so a candidate that meets the named part need not be the answer.
Together they single out the case the graph can settle: the model's reasoning is refuted and only one
candidate has every entity the request names. Designed on the validation split (docs/study.md, 2026-12-04).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.task.answer import Answer
from rerec.task.verifier import Claim, mentioned_entities


def applies(answer: Answer, claims: Iterable[Claim]) -> bool:
    """Whether the check looks at an answer at all: it is boxed and one of its claims the graph refutes."""
    return answer.boxed and any(c.verdict == "false" for c in claims)


def confirmed(graph: KnowledgeGraph, query: str, candidates: Sequence[str]) -> list[str]:
    """The candidates the graph links to every entity `query` names (under any relation that entity takes);
    none when it names none.

    >>> from rerec.data.knowledge_graph import KnowledgeGraph, Triple
    >>> g = KnowledgeGraph([Triple("1", "genre", "genre:Drama"), Triple("2", "genre", "genre:Comedy")],
    ...                    {"genre:Drama": "Drama", "genre:Comedy": "Comedy"})
    >>> confirmed(g, "a drama", ["1", "2"]), confirmed(g, "anything", ["1", "2"])
    (['1'], [])
    """
    named = mentioned_entities(graph, query)
    if not named:
        return []
    return [c for c in candidates if all(any(graph.has(c, r, e) for r in graph.relations_of(e)) for e in named)]


def graph_lead(
    graph: KnowledgeGraph, query: str, candidates: Sequence[str], ranked: Sequence[str | None]
) -> str | None:
    """The candidate that should lead an answer whose reasoning the graph refuted: the only one confirmed for
    every entity `query` names, unless it already leads `ranked`; else `None` (the answer stands)."""
    found = confirmed(graph, query, candidates)
    if len(found) != 1 or (ranked and ranked[0] == found[0]):
        return None
    return found[0]


def checked_lead(
    graph: KnowledgeGraph,
    query: str,
    candidates: Sequence[str],
    answer: Answer,
    claims: Iterable[Claim],
    ranked: Sequence[str | None],
) -> str | None:
    """The whole check: `graph_lead` against `ranked` for an answer the check looks at (`applies`), else `None`.
    `ranked` is the answer's order as the caller reads it (serving compares with its grounded picks, eval with
    the reader's ranking)."""
    return graph_lead(graph, query, candidates, ranked) if candidates and applies(answer, claims) else None


def led_by(lead: str, ranked: Sequence[str | None]) -> tuple[str | None, ...]:
    """`ranked` with `lead` first and the rest in their order."""
    return (lead, *(i for i in ranked if i != lead))
