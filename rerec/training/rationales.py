"""Supervised warm-start targets: short numbered steps that state true graph facts, then the boxed answer.

A 135M model almost never writes `\\boxed{}` on its own, so plain GRPO sees groups whose rollouts all tie and
learns nothing. These rationales follow each training query's own knowledge-graph path, in the wording the step
verifier reads (`rewards.verifier.state`), so the warm start teaches the format and checkable steps; choosing
the right item is left to RL.
"""

from __future__ import annotations

from rerec.data.queries.templates import role_noun
from rerec.task.verifier import state


def _label(fact_or_condition: dict, key: str = "entity") -> str:
    return fact_or_condition.get(f"{key}_name") or fact_or_condition[key]


def rationale(record: dict, titles: dict[str, str]) -> str:
    """Steps + box for one training row (`titles`: item id -> title for candidates and hinted items)."""
    positive = titles[record["positive_id"]]
    steps: list[str] = []
    for cond in record["conditions"]:
        label = _label(cond)
        for via in cond["via_items"]:
            steps.append(state(titles[via], cond["relation"], label) or f"{titles[via]}: {cond['relation']} {label}.")
        role, hinted = role_noun(cond["relation"]), titles[cond["via_items"][0]] if cond["via_items"] else None
        for false_via in cond["false_via_items"]:
            wrong = state(titles[false_via], cond["relation"], _label(cond, "false_entity"))
            steps.append(f"{wrong} So that hint is wrong; I keep the {role} of {hinted}.")
        if cond["false_entity"] and not cond["false_via_items"] and hinted:  # the hint named the wrong entity
            steps.append(f"{_label(cond, 'false_entity')} is not the {role} of {hinted}, so that hint is wrong.")
        steps.append(state(positive, cond["relation"], label) or f"{positive}: {cond['relation']} {label}.")
    if not record["conditions"]:
        facts = [f for f in record["facts"] if f["item_id"] == record["positive_id"]][:3]
        steps += [state(positive, f["relation"], _label(f, "entity")) or "" for f in facts]
        steps.append(f"{positive} fits what was asked.")
    lines = [f"Step {i}: {s}" for i, s in enumerate(dict.fromkeys(s for s in steps if s), start=1)]
    return "\n".join(lines) + f"\n\\boxed{{{positive}}}"
