"""Generate the five RecBench+ query types from a `RecDataset`, split by source user.

Users are shuffled once (seeded) into train/val/test; every user-based query inherits its source user's
split, so val/test users never appear in training queries. Demographic groups are split the same way.
All randomness comes from `random.Random` seeded with strings (stable across processes, unlike `hash`)
and every set is sorted before sampling, so one seed gives byte-identical output.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from rerec.config import DataConfig
from rerec.data.dataset import RecDataset
from rerec.data.queries import templates
from rerec.data.queries.candidates import CandidateSampler, NegativeMix, facts_block
from rerec.data.queries.conditions import MAX_HARD_FANOUT, Condition, ConditionSampler, EntityRule
from rerec.data.queries.profiles import demographic_groups, distinctive_items, interest_split

logger = logging.getLogger(__name__)

CONDITION_TYPES = ("explicit", "implicit", "misinformed")
SIMILAR_POOL = 50
ATTEMPTS_PER_QUERY = 30


@dataclass
class GenerationReport:
    """What the generator aimed for and what the data supported, per query type."""

    target: dict[str, int] = field(default_factory=dict)
    produced: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)


class QueryGenerator:
    def __init__(self, ds: RecDataset, cfg: DataConfig):
        self.ds, self.cfg = ds, cfg
        self.graph, self.catalog = ds.graph, ds.catalog
        self.users = [u for u in ds.interactions.users if ds.interactions.positives(u)]
        if not self.users:  # every query's ground truth is made of liked items: with none, no query exists
            top = max((r.rating for u in ds.interactions.users for r in ds.interactions.history(u)), default=None)
            raise ValueError(
                f"{ds.name}: no interaction reaches the positive threshold {ds.interactions.positive_threshold:g} "
                f"(highest rating: {top}); lower --positive_threshold"
            )
        self.positives = {u: ds.interactions.positives(u) for u in self.users}
        self.split = self._assign(sorted(ds.interactions.users), "users")
        hop_relations = cfg.hop_relations if cfg.hop_relations is not None else ds.hop_relations
        rule = EntityRule(cfg.min_entity_items, cfg.max_entity_share)
        self.conditions = ConditionSampler(self.graph, self.catalog.ids, hop_relations, rule)
        mix = NegativeMix(*cfg.negative_mix)
        self.candidates = CandidateSampler(self.catalog.ids, ds.interactions.popularity(), mix, cfg.num_candidates)
        # Profile queries state no condition; their facts are the item file's own attributes (genre, decade,
        # author): a cast list per candidate would fill the prompt with names no profile asks about.
        self.profile_relations = ds.attribute_relations
        self.report = GenerationReport()

    def generate(self) -> list[dict]:
        queries: list[dict] = []
        targets = {"explicit": self.cfg.num_explicit, "implicit": self.cfg.num_implicit}
        targets["misinformed"] = self.cfg.num_misinformed
        for kind in CONDITION_TYPES:
            queries += self._condition_queries(kind, targets[kind])
        queries += self._interest_queries()
        queries += self._demographic_queries()
        return queries

    # -- splits ---------------------------------------------------------------------------------------------
    def _assign(self, keys: list[str], salt: str) -> dict[str, str]:
        rng = random.Random(f"{self.cfg.seed}:{salt}")
        order = list(keys)
        rng.shuffle(order)
        n_test, n_val = round(len(order) * self.cfg.test_fraction), round(len(order) * self.cfg.val_fraction)
        return {k: "test" if i < n_test else "val" if i < n_test + n_val else "train" for i, k in enumerate(order)}

    # -- condition-based --------------------------------------------------------------------------------------
    def _condition_queries(self, kind: str, target: int) -> list[dict]:
        rng = random.Random(f"{self.cfg.seed}:{kind}")
        weights = self.cfg.condition_weights[: self.cfg.max_conditions]
        seen: set[tuple] = set()
        out: list[dict] = []
        attempts = 0
        bar = tqdm(total=target, desc=f"{kind} queries", leave=False, disable=None)
        while len(out) < target and attempts < target * ATTEMPTS_PER_QUERY:
            attempts += 1
            user = self.users[rng.randrange(len(self.users))]
            positives = self.positives[user]
            n = rng.choices(range(1, len(weights) + 1), weights=weights)[0]
            anchor = positives[rng.randrange(len(positives))]
            if kind == "explicit":
                conds = self.conditions.explicit(anchor, n, rng)
            else:
                conds = self.conditions.implicit(anchor, n, set(positives), rng, misinformed=kind == "misinformed")
            if not conds or (user, tuple(conds)) in seen:
                continue
            truth = self.conditions.ground_truth(positives, conds)
            if not truth or len(truth) > self.cfg.max_ground_truth:
                continue
            record = self._condition_record(kind, len(out), user, conds, truth, rng)
            if record is None:
                continue
            seen.add((user, tuple(conds)))
            out.append(record)
            bar.update()
        bar.close()
        self._note(kind, target, len(out), attempts)
        return out

    def _condition_record(
        self, kind: str, index: int, user: str, conds: list[Condition], truth: list[str], rng: random.Random
    ) -> dict | None:
        excluded = self.conditions.satisfying(conds) | set(truth)
        positive = truth[rng.randrange(len(truth))]
        candidates = self.candidates.draw(positive, excluded, self.conditions.partial(conds) - excluded, rng)
        if candidates is None:
            return None
        clauses = self._clauses(conds, rng)
        linked = [i for c in conds for i in c.via_items + c.false_via_items]
        keys = [c.entity for c in conds] + [c.false_entity for c in conds if c.false_entity]
        facts = facts_block(self.graph, candidates + linked, {c.relation for c in conds}, keys)
        history = [i for i in self.positives[user] if i not in set(truth)][-self.cfg.history_size :]
        return self._record(
            kind,
            index,
            templates.condition_query(self.catalog.noun, clauses, rng),
            user,
            history,
            truth,
            candidates,
            positive,
            facts,
            conditions=[c.to_record(self.graph) for c in conds],
        )

    def _clauses(self, conds: list[Condition], rng: random.Random) -> list[str]:
        """One clause per hop condition, one per relation for stated ones, in shuffled order."""
        stated: dict[str, list[str]] = {}
        clauses = []
        for cond in conds:
            if not cond.via_items:
                stated.setdefault(cond.relation, []).append(self.graph.name(cond.entity) or cond.entity)
                continue
            clause = templates.hop_clause(cond.relation, [self.catalog[i].display_title for i in cond.via_items])
            if cond.false_via_items:
                false_titles = [self.catalog[i].display_title for i in cond.false_via_items]
                clause += templates.misinformed_aside(cond.relation, false_titles, rng)
            elif cond.false_entity:
                false_name = self.graph.name(cond.false_entity) or cond.false_entity
                clause += templates.misinformed_name(cond.relation, false_name, rng)
            clauses.append(clause)
        clauses += [templates.explicit_clause(rel, names) for rel, names in sorted(stated.items())]
        rng.shuffle(clauses)
        return clauses

    # -- profile-based ----------------------------------------------------------------------------------------
    def _interest_queries(self) -> list[dict]:
        rng = random.Random(f"{self.cfg.seed}:interest")
        need = self.cfg.interest_ground_truth + self.cfg.interest_mentions
        out = []
        for user in self.users:
            positives = self.positives[user]
            if len(positives) < need:
                continue
            history, truth = interest_split(positives, self.cfg.interest_ground_truth, self.cfg.history_size)
            mentioned = history[-self.cfg.interest_mentions :]
            seen_items = {r.item_id for r in self.ds.interactions.history(user)}
            positive = truth[rng.randrange(len(truth))]
            candidates = self.candidates.draw(positive, seen_items, self._similar(positive, seen_items), rng)
            if candidates is None:
                continue
            titles = [self.catalog[i].display_title for i in mentioned]
            query = templates.interest_query(self.catalog.noun, titles, rng)
            facts = facts_block(self.graph, candidates + mentioned, self.profile_relations)
            out.append(self._record("interest", len(out), query, user, history, truth, candidates, positive, facts))
        self._note("interest", len(self.users), len(out), len(self.users))
        return out

    def _demographic_queries(self) -> list[dict]:
        rng = random.Random(f"{self.cfg.seed}:demographic")
        # Members are users with at least one like: accounts without any would only dilute a group's support.
        active = {u: self.ds.users[u] for u in self.users if u in self.ds.users}
        groups = demographic_groups(active, self.cfg.demographic_min_users)
        population = Counter(i for u in self.users for i in set(self.positives[u]))
        split = self._assign([g.key for g in groups], "groups")
        out = []
        for group in groups:
            truth = distinctive_items(
                group,
                self.ds.interactions,
                population,
                len(self.users),
                self.cfg.demographic_top_k,
                self.cfg.demographic_min_support,
            )
            if len(truth) < min(3, self.cfg.demographic_top_k):
                continue
            positive = truth[rng.randrange(len(truth))]
            candidates = self.candidates.draw(positive, set(truth), self._similar(positive, set(truth)), rng)
            if candidates is None:
                continue
            phrase = templates.profile_phrase(group.age_group, group.gender, group.occupation)
            query = templates.demographic_query(self.catalog.noun, phrase, rng)
            facts = facts_block(self.graph, candidates, self.profile_relations)
            record = self._record("demographic", len(out), query, None, [], truth, candidates, positive, facts)
            record.update(split=split[group.key], profile=group.profile, group_size=len(group.members))
            out.append(record)
        self._note("demographic", len(groups), len(out), len(groups))
        return out

    def _similar(self, item: str, excluded: set[str]) -> list[str]:
        """Items sharing the most graph attributes with `item`: the "close" hard negatives of profile queries."""
        overlap: Counter = Counter()
        for relation, entity in self.graph.attributes(item):
            linked = self.graph.items_with(relation, entity)
            if len(linked) <= MAX_HARD_FANOUT:  # a near-universal attribute makes nothing "close"
                overlap.update(linked)
        ranked = sorted((-n, i) for i, n in overlap.items() if i != item and i not in excluded)
        return [i for _n, i in ranked[:SIMILAR_POOL]]

    # -- records ----------------------------------------------------------------------------------------------
    def _record(
        self,
        kind: str,
        index: int,
        query: str,
        user: str | None,
        history: list[str],
        truth: list[str],
        candidates: list[str],
        positive: str,
        facts: list[dict],
        conditions: list[dict] | None = None,
    ) -> dict:
        conditions = conditions or []
        return {
            "id": f"{kind}-{index:05d}",
            "type": kind,
            "num_conditions": len(conditions),
            "hops": max((c["hops"] for c in conditions), default=0),
            "conditions": conditions,
            "query": query,
            "user_id": user,
            "history": [self._ref(i) for i in history],
            "ground_truth": [self._ref(i) for i in truth],
            "candidates": [self._ref(i) for i in candidates],
            "positive_id": positive,
            "facts": facts,
            "profile": None,
            "group_size": None,
            "split": self.split[user] if user is not None else "train",
        }

    def _ref(self, item_id: str) -> dict:
        return {"item_id": item_id, "title": self.catalog[item_id].display_title}

    def _note(self, kind: str, target: int, produced: int, attempts: int) -> None:
        self.report.target[kind], self.report.produced[kind], self.report.attempts[kind] = target, produced, attempts
        if produced < target:
            logger.warning("%s: produced %d of %d queries (the data supports no more)", kind, produced, target)
