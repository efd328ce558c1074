"""Chat prompts built from query records — the same builder for training, evaluation and serving.

Prompt length is the main CPU cost of RL (forward + backward over prompt + completion), so the format is
terse: the query, the numbered candidates, and (facts mode) one line per item with its relevant triples.
Unnamed entities (Freebase MIDs) appear by id, which is also how the step verifier recognises them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

SYSTEM = (
    "You recommend {noun}s. Reason in a few short steps, one fact per line (Step 1: ...). "
    "Then give the answer as \\boxed{{title}}; for several, \\boxed{{first; second}}, best first."
)
CANDIDATES_RULE = "Choose from the candidates."
FACTS_ORDERS = ("record", "hops", "evidence")
OPEN_RULE = "Recommend {noun}s that exist, by exact title and year."


@dataclass
class PromptConfig:
    """How a query record becomes a chat prompt."""

    facts: bool = field(default=True, metadata={"help": "Add the knowledge-graph facts block to the prompt."})
    max_facts: int = field(default=60, metadata={"help": "Cap on fact triples shown (prompt length is CPU time)."})
    max_candidates: int | None = field(
        default=None, metadata={"help": "Show at most this many candidates (the positive always among them)."}
    )
    facts_by: str = field(
        default="entity",
        metadata={
            "help": "'entity': one line per entity with the items that have it, so items sharing a director or "
            "studio stand on one line (a multi-hop hint's answer is then read, not searched for; "
            "README, Training); 'item': one line per item with its facts (models trained before 2026-11-27)."
        },
    )

    facts_order: str = field(
        default="record",
        metadata={
            "help": "'record': the query file's order (candidates, then hinted items); 'hops': under max_facts, "
            "the hinted items' facts first, then the candidates' facts sharing their entities. In record order "
            "the cap cut the first hop from 53% of 5-candidate multi-hop prompts at 15 facts (91% with 20). "
            "'evidence': first the facts on an entity the query names or a hinted item shares with another "
            "item (`evidence_first`): at 30 facts and 20 candidates, 0.89-1.00 of each condition type's "
            "validation prompts showed every condition's evidence, against 0.58-0.66 by 'hops' (docs/study.md)."
        },
    )

    def __post_init__(self) -> None:
        if self.max_facts < 0:
            raise ValueError("max_facts must be >= 0")
        if self.facts_order not in FACTS_ORDERS:
            raise ValueError(f"facts_order={self.facts_order!r}: use one of {FACTS_ORDERS}")
        if self.facts_by not in ("item", "entity"):
            raise ValueError(f"facts_by={self.facts_by!r}: use 'item' or 'entity'")
        if self.max_candidates is not None and self.max_candidates < 2:
            raise ValueError("max_candidates must be >= 2 (the positive and a negative)")


def entity_label(fact: dict) -> str:
    return fact.get("entity_name") or fact["entity_id"]


def facts_lines(facts: Sequence[dict], titles: dict[str, str], limit: int, by: str = "item") -> list[str]:
    """At most `limit` triples, in first-seen order, one line per item (`Title: relation label, relation label`)
    or, `by="entity"`, one line per entity (`relation label: Title; Title`).

    >>> facts = [{"item_id": "1", "relation": "directed_by", "entity_id": "m.1"},
    ...          {"item_id": "2", "relation": "directed_by", "entity_id": "m.1"}]
    >>> facts_lines(facts, {"1": "Jaws (1975)", "2": "Duel (1971)"}, 10, by="entity")
    ['directed_by m.1: Jaws (1975); Duel (1971)']
    """
    by_item: dict[str, list[str]] = {}
    by_entity: dict[str, list[str]] = {}
    for fact in list(facts)[:limit]:
        label = f"{fact['relation']} {entity_label(fact)}"
        by_item.setdefault(fact["item_id"], []).append(label)
        by_entity.setdefault(label, []).append(titles.get(fact["item_id"], fact["item_id"]))
    if by == "entity":
        return [f"{label}: {'; '.join(items)}" for label, items in by_entity.items()]
    return [f"{titles.get(item, item)}: {', '.join(labels)}" for item, labels in by_item.items()]


def named_in(text: str, name: str | None) -> bool:
    """Whether `text` names `name` as whole words, ignoring case ("Heat" is not named by "heated")."""
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def evidence_first(facts: Sequence[dict], query: str, hinted: set[str]) -> list[dict]:
    """`facts` with the evidence a query asks to check first, each group in its given order (a stable sort).

    Evidence is a fact on an entity the query names (an explicit condition: "starring James Woods") or on one a
    hinted item shares with another item of the prompt (the bridge of a multi-hop condition: "the director of
    Jaws", whichever of its entities it is). Within it, the hinted items' facts lead. Nothing here knows the
    positive: a hard negative meeting one condition is listed beside it on that condition's line. Why: the
    `max_facts` cap otherwise cuts a third of 20-candidate prompts' evidence, and on those the study's warm start
    answered Hit@1 0.00-0.06 against 0.71-0.89 where it was shown (validation; docs/study.md, 2026-12-04).

    >>> facts = [{"item_id": "3", "relation": "directed_by", "entity_id": "m.2", "entity_name": "Michael Mann"},
    ...          {"item_id": "2", "relation": "directed_by", "entity_id": "m.1", "entity_name": None},
    ...          {"item_id": "1", "relation": "directed_by", "entity_id": "m.1", "entity_name": None}]
    >>> [f["item_id"] for f in evidence_first(facts, "Films by the director of Jaws?", {"1"})]
    ['1', '2', '3']
    """
    hint_entities = {f["entity_id"] for f in facts if f["item_id"] in hinted}
    other_entities = {f["entity_id"] for f in facts if f["item_id"] not in hinted}
    names = {f["entity_id"]: f.get("entity_name") for f in facts}  # one search per entity, not per fact
    named = {entity for entity, name in names.items() if named_in(query, name)}
    evidence = named | (hint_entities & other_entities)
    return sorted(facts, key=lambda f: (f["entity_id"] not in evidence, f["item_id"] not in hinted))


def shown_candidates(record: dict, limit: int | None) -> list[dict]:
    """The candidates a prompt lists: all, or the positive plus the first negatives in the record's (already
    shuffled) order, keeping that order — deterministic, so reward and prompt always agree."""
    cands = list(record.get("candidates") or ())
    if limit is None or len(cands) <= limit:
        return cands
    negatives = [c for c in cands if c["item_id"] != record.get("positive_id")][: limit - 1]
    keep = {c["item_id"] for c in negatives} | {record.get("positive_id")}
    return [c for c in cands if c["item_id"] in keep]


def build_messages(
    record: dict,
    cfg: PromptConfig,
    mode: str = "candidates",
    noun: str = "movie",
    titles: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """System + user messages for one record in `mode` ("candidates" or "open"). `titles` names items outside
    the candidates (hinted items) so their facts read by title."""
    cands = shown_candidates(record, cfg.max_candidates)
    known = {c["item_id"]: c["title"] for c in cands}
    known.update(titles or {})
    lines = [record["query"]]
    if mode == "candidates":
        lines += [CANDIDATES_RULE, "Candidates:"]
        lines += [f"{i}. {c['title']}" for i, c in enumerate(cands, start=1)]
    else:
        lines.append(OPEN_RULE.format(noun=noun))
    facts = [f for f in record.get("facts") or () if f["item_id"] in known]
    if cfg.facts_order == "hops":  # the hinted items' facts, the candidates' sharing an entity, then the rest
        hinted = set(titles or ()) - {c["item_id"] for c in cands}
        hops = {f["entity_id"] for f in facts if f["item_id"] in hinted}
        facts.sort(key=lambda f: (f["item_id"] not in hinted, f["entity_id"] not in hops))
    elif cfg.facts_order == "evidence":  # a hinted item may be a shown candidate too (a hard negative)
        facts = evidence_first(facts, record["query"], set(titles or ()))
    if cfg.facts and facts:
        lines += ["Facts:", *facts_lines(facts, known, cfg.max_facts, cfg.facts_by)]
    return [
        {"role": "system", "content": SYSTEM.format(noun=noun)},
        {"role": "user", "content": "\n".join(lines)},
    ]
