"""Picks the knowledge graph refutes: the model's own steps say something of an item that the graph contradicts.

A model that writes "The English Patient (1996) is a war film from the 1970s" and then ranks it first should not
have it shown first: the answer's own reasoning about that pick is false. `refuted_picks` collects, for each
picked item, the claims about it that the step verifier marks false; the assistant moves such picks below every
other item and says why (`why_demoted`). A claim that only compares an item with itself proves nothing and is
never made (`StepVerifier` skips it), so it cannot stand as evidence either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rerec.data.catalog import Catalog
from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.task.verifier import Claim


def refuted_picks(claims: Iterable[Claim], picked: Sequence[str]) -> dict[str, list[Claim]]:
    """The picked items with at least one false claim about them (as subject, or as the other side of a "same
    director as" comparison), each with those claims, in pick order.

    >>> false = Claim("9", "decade", "decade:1970s", "false")
    >>> refuted_picks([false, Claim("4", "genre", "genre:War", "true")], ["9", "4"])
    {'9': [Claim(item='9', relation='decade', entity='decade:1970s', verdict='false', other_item=None)]}
    """
    wanted = set(picked)
    found: dict[str, list[Claim]] = {}
    for claim in claims:
        if claim.verdict != "false":
            continue
        for item in dict.fromkeys((claim.item, claim.other_item)):
            if item in wanted:
                found.setdefault(item, []).append(claim)
    return {item: found[item] for item in picked if item in found}


def why_demoted(item: str, claims: Sequence[Claim], catalog: Catalog, graph: KnowledgeGraph) -> str:
    """One sentence for the answer's warnings, e.g. "moved The English Patient (1996) down: the knowledge graph
    contradicts the answer's claim that it is from the 1970s"."""
    said = []
    for claim in dict.fromkeys(claims):
        if claim.other_item is not None:
            other = catalog[claim.other_item if claim.item == item else claim.item].display_title
            said.append(f"it shares its {claim.relation.replace('_', ' ')} with {other}")
        else:
            entity = graph.name(claim.entity) or claim.entity
            said.append(f"{claim.relation.replace('_', ' ')}: {entity}")
    return (
        f"moved {catalog[item].display_title} down: the knowledge graph contradicts what the answer says of it "
        f"({'; '.join(said)})"
    )
