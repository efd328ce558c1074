"""The assistant pipeline: request -> whole-catalog candidates -> prompt -> generation -> grounded, verified answer.

The prompt comes from the same builder as training (`data.prompts.build_messages`, candidates mode with facts),
so a model trained by `rerec train` sees what it was trained on. Every reasoning step of the answer is checked
against the knowledge graph by the same verifier RAAE uses, and a request whose premise the graph contradicts
("the director of A, the same as B's") gets a warning. Requests are answered in batches: one `generate` call
for everything the server queued together.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rerec.data.dataset import RecDataset
from rerec.data.grounding import TitleIndex
from rerec.data.lightgcn import Embeddings
from rerec.data.queries.candidates import facts_block
from rerec.eval.generation import Generated, generate_batches
from rerec.serve.limits import k_problem, query_problem
from rerec.serve.refutation import refuted_picks, why_demoted
from rerec.serve.retrieval import SOURCES, RetrievalConfig, Retriever, SemanticIndex
from rerec.task.answer import AnswerReader
from rerec.task.graph_check import checked_lead
from rerec.task.parsing import segments, step_text
from rerec.task.prompts import PromptConfig, build_messages
from rerec.task.verifier import StepVerifier, mentioned_entities, verdict_of

logger = logging.getLogger(__name__)

VERDICTS = {"verified": "true", "false": "false", "unchecked": "unknown"}
ROLE_NOUNS = {
    "directed_by": "director",
    "starring": "actor",
    "written_by": "writer",
    "produced_by": "producer",
    "cinematography": "cinematographer",
    "production_company": "studio",
    "author": "author",
    "publisher": "publisher",
}
_SHARING = re.compile(r"\b(both|same|also|too|as well|shares?|shared)\b", re.IGNORECASE)


class RequestError(ValueError):
    """A request the assistant cannot answer as asked; the message says what to change."""


class NotFoundError(RequestError):
    """The request names something the prepared data does not have (a user, a liked title)."""


class UnknownUserError(NotFoundError):
    """The request names a user id the prepared data does not know."""


@dataclass
class AssistantConfig:
    """What `rerec recommend`, `rerec chat` and `rerec serve` load and how they answer. The commands take the
    prepared folder and the prompt's facts settings from the model's `rerec.json` unless a flag sets them."""

    model_name_or_path: str = field(
        default="smollm2-135m-instruct",
        metadata={
            "aliases": ["--model"],
            "help": "Model folder or HF id (default on the command line: runs/cpu-demo/final if trained, else base).",
        },
    )
    prepared: str = field(
        default="runs/ml100k",
        metadata={
            "help": "Folder written by `rerec prepare` (on the command line: the model's, from its rerec.json)."
        },
    )
    num_candidates: int = field(default=10, metadata={"help": "Catalog items retrieved into the prompt."})
    sources: list[str] = field(default_factory=lambda: list(SOURCES), metadata={"help": f"Of {SOURCES}."})
    max_facts: int = field(
        default=15,
        metadata={
            "help": "Knowledge-graph triples shown in the prompt (on the command line: as the model was trained, "
            "from its rerec.json). 15, as the presets train: on 90 held-out queries with 10 candidates Hit@1 was "
            "level with 30 (0.122 vs 0.100, paired CI [-0.078, 0.033]) and generation 1.6x faster."
        },
    )
    facts_by: str = field(default="entity", metadata={"help": "Facts layout, 'entity' or 'item' (as trained)."})
    facts_order: str = field(
        default="record", metadata={"help": "Facts order under max_facts, as trained: 'record', 'hops' or 'evidence'."}
    )
    grounding_threshold: float = field(
        default=0.85, metadata={"help": "rapidfuzz ratio for a fuzzy title match of a boxed answer."}
    )
    max_new_tokens: int = field(default=160, metadata={"help": "Generation budget per answer."})
    dtype: str = field(
        default="bfloat16",
        metadata={
            "help": "Weights' dtype. On 2 CPU cores bfloat16 serves batches of 8 with 1.6x fp32's throughput but "
            "answers a single request slower (4.2 vs 3.3 s p50): `rerec recommend` and `chat` use float32."
        },
    )
    trust_remote_code: bool = field(
        default=False, metadata={"help": "Run the model repository's own Python. Only for models you trust."}
    )
    demote_refuted: bool = field(
        default=True,
        metadata={"help": "Move picks whose claims the knowledge graph refutes below every other item, and say so."},
    )
    graph_check: bool = field(
        default=True,
        metadata={
            "help": "When the answer's reasoning has a step the knowledge graph refutes and exactly one candidate "
            "has every entity the request names, put that candidate first, and say so (rerec/task/graph_check.py)."
        },
    )

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be >= 1")
        RetrievalConfig(self.num_candidates, tuple(self.sources))  # validates both
        PromptConfig(max_facts=self.max_facts, facts_by=self.facts_by, facts_order=self.facts_order)  # and these


@dataclass
class Request:
    """One question. `liked`: titles the user liked; `exclude`: item ids ruled out and `years`: an inclusive
    release-year range (chat follow-ups); `history`: earlier chat turns as messages, before this question."""

    query: str
    user_id: str | None = None
    liked: Sequence[str] = ()
    k: int = 10
    exclude: Sequence[str] = ()
    history: Sequence[dict] = ()
    years: tuple[int | None, int | None] = (None, None)


@dataclass
class Response:
    """Ranked items, the reasoning steps with their graph verdicts, warnings, and where the time went."""

    items: list[dict]
    steps: list[dict]
    warnings: list[str]
    completion: str
    candidates: list[str]
    timings: dict[str, float]

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("items", "steps", "warnings", "completion", "candidates", "timings")}


class Assistant:
    """Answers requests with one model over one prepared catalog.

    Args:
        ds (`RecDataset`): The catalog and graphs (a `rerec prepare` folder, loaded).
        model, tokenizer: A causal LM and its (left-padding) tokenizer.
        cfg (`AssistantConfig`): Retrieval and generation settings.
        embeddings (`Embeddings`, *optional*): LightGCN embeddings for the taste source.
        semantic (`SemanticIndex`, *optional*): MiniLM item index for the semantic source.
    """

    def __init__(self, ds: RecDataset, model, tokenizer, cfg: AssistantConfig, embeddings=None, semantic=None):
        self.ds, self.model, self.tokenizer, self.cfg = ds, model, tokenizer, cfg
        self.index = TitleIndex(ds.catalog, cfg.grounding_threshold)
        self.reader = AnswerReader(self.index, "candidates")
        self.retriever = Retriever(
            ds, self.index, embeddings, semantic, RetrievalConfig(cfg.num_candidates, tuple(cfg.sources))
        )
        self.prompt = PromptConfig(facts=True, max_facts=cfg.max_facts, facts_by=cfg.facts_by,
                                   facts_order=cfg.facts_order)  # fmt: skip

    @classmethod
    def load(cls, cfg: AssistantConfig) -> Assistant:
        """Model, catalog, LightGCN embeddings (when the folder has them) and the MiniLM index (when asked)."""
        from rerec.assets import resolve_model
        from rerec.models import ModelArguments, load_model

        resolve_model(cfg.model_name_or_path)  # a missing model folder is named before anything loads
        folder = Path(cfg.prepared)
        if not (folder / "dataset.json").exists():
            raise FileNotFoundError(f"{folder} is not a prepared folder; run `rerec prepare --out {folder}` first")
        ds = RecDataset.load(folder)
        emb_path = folder / "lightgcn.safetensors"
        embeddings = Embeddings.load(emb_path) if emb_path.exists() else None
        semantic = SemanticIndex(ds) if "semantic" in cfg.sources else None
        model_args = ModelArguments(cfg.model_name_or_path, dtype=cfg.dtype, trust_remote_code=cfg.trust_remote_code)
        model, tokenizer = load_model(model_args)
        return cls(ds, model, tokenizer, cfg, embeddings, semantic)

    def resolve_liked(self, titles: Sequence[str]) -> list[str]:
        """Item ids of liked titles; an unknown title is an error that names it (nothing is silently dropped)."""
        ids, unknown = [], []
        for title in titles:
            item = self.index.ground(title)
            (ids if item else unknown).append(item or title)
        if unknown:
            raise NotFoundError(f"not in the catalog: {'; '.join(unknown)} (check spelling, or add the year)")
        return ids

    def check(self, request: Request) -> None:
        """Clear errors for requests that cannot be answered, before any model time is spent."""
        if not isinstance(request.query, str):
            raise RequestError("the query is empty; ask for something, e.g. 'a 90s crime thriller'")
        problem = query_problem(request.query) or k_problem(request.k)
        if problem:
            raise RequestError(problem)
        user = request.user_id
        if user is not None and user not in self.ds.users and not self.ds.interactions.history(user):
            raise UnknownUserError(f"unknown user {user!r}: not in the prepared data")  # no server paths

    def answer(self, request: Request) -> Response:
        return self.answer_batch([request])[0]

    def answer_batch(self, requests: Sequence[Request]) -> list[Response]:
        """Answers for several requests with one `generate` call; each is checked first (`RequestError`)."""
        for request in requests:
            self.check(request)
        began = time.perf_counter()
        plans = [self.plan(r) for r in requests]
        retrieval_s = (time.perf_counter() - began) / max(len(requests), 1)
        began = time.perf_counter()
        generated = self.generate([plan["messages"] for plan in plans])
        generation_s = time.perf_counter() - began
        out = []
        for request, plan, gen in zip(requests, plans, generated, strict=True):
            began = time.perf_counter()
            response = self.respond(request, plan, gen.text)
            response.timings = {
                "retrieval_s": retrieval_s,
                "generation_s": generation_s,
                "verify_s": time.perf_counter() - began,
                "tokens": gen.tokens,
            }
            out.append(response)
        return out

    def generate(self, prompts: Sequence[list[dict]]) -> list[Generated]:
        """Greedy completions for chat prompts, all in one batch."""
        batches = generate_batches(self.model, self.tokenizer, prompts, len(prompts), self.cfg.max_new_tokens)
        return list(itertools.chain.from_iterable(batches))

    def plan(self, request: Request) -> dict:
        """Retrieval and the prompt for `request` (everything before generation)."""
        liked = self.resolve_liked(request.liked)
        found = self.retriever.retrieve(request.query, request.user_id, liked, request.exclude, request.years)
        catalog = self.ds.catalog
        hinted = list(dict.fromkeys([*found.linked, *liked]))
        relations = set(self.retriever.mentioned_relations(request.query)) or set(self.ds.hop_relations)
        relations |= set(self.ds.attribute_relations)
        key_entities = {e for i in hinted for r in relations for e in self.ds.graph.entities(i, r)}
        key_entities |= set(self.retriever.mentioned_attributes(request.query, found.linked))
        query = request.query.strip()
        if liked:
            query += " I liked " + "; ".join(catalog[i].display_title for i in liked) + "."
        record = {
            "query": query,
            "candidates": [{"item_id": i, "title": catalog[i].display_title} for i in found.candidates],
            "facts": facts_block(self.ds.graph, [*hinted, *found.candidates], relations, key_entities),
        }
        titles = {i: catalog[i].display_title for i in hinted}
        messages = build_messages(record, self.prompt, "candidates", catalog.noun, titles)
        messages = [messages[0], *request.history, messages[1]]
        return {"messages": messages, "found": found, "hinted": hinted, "record": record}

    def respond(self, request: Request, plan: dict, text: str) -> Response:
        """The answer to `request` from the completion `text`: grounded picks fused with retrieval, steps with
        their verdicts, picks the steps' refuted claims concern moved below the rest (`demote_refuted`), and the
        graph's own pick first where it settles a refuted answer (`graph_check`)."""
        found = plan["found"]
        answer = self.reader.read(text, plan["record"]["candidates"])
        picked = list(dict.fromkeys(i for i in answer.ranked if i is not None))
        verifier = StepVerifier(self.ds.graph, self.ds.catalog, [*plan["hinted"], *found.candidates])
        steps, claims = [], []
        for seg in segments(text):
            step_claims = verifier.claims(step_text(seg))
            claims += step_claims
            facts = [self._fact(c) for c in step_claims]
            steps.append({"text": seg.text, "verdict": VERDICTS[verdict_of(step_claims)], "facts": facts})
        refuted = refuted_picks(claims, picked) if self.cfg.demote_refuted else {}
        lead = None
        if self.cfg.graph_check:
            lead = checked_lead(self.ds.graph, request.query, found.candidates, answer, claims, picked)
            lead = None if lead in refuted else lead  # a refuted pick is never first, even one the graph confirms
        items = self._rank(picked, found.candidates, request.k, found.sources, set(refuted), lead)
        warnings = self.premise_warnings(request.query, found.linked)
        if lead is not None:
            warnings.append(self.why_led(lead, request.query))
        warnings += [why_demoted(item, why, self.ds.catalog, self.ds.graph) for item, why in refuted.items()]
        if len(items) < request.k:
            warnings.append(
                f"{len(items)} of the {request.k} items asked for: only {len(found.candidates)} candidates were "
                f"retrieved (raise --num_candidates to see more)"
            )
        if not answer.boxed:
            warnings.append("the model gave no \\boxed{} answer; the list is the retrieval order")
        elif not picked:
            warnings.append("the model's answer names no candidate; the list is the retrieval order")
        return Response(items, steps, warnings, text, found.candidates, {})

    def _rank(
        self,
        picked: list[str],
        candidates: list[str],
        k: int,
        sources: dict[str, list[str]],
        refuted: set[str],
        lead: str | None = None,
    ) -> list[dict]:
        """Reciprocal-rank fusion of the model's ranking and the retrieval order, equal weights: the model's
        first pick leads unless refuted; candidates it did not name follow in retrieval order. Refuted picks lose
        the model's vote and come after every other item. The graph check's `lead`, if any, comes first."""
        model_rank = {item: r for r, item in enumerate(i for i in picked if i not in refuted)}
        retrieval_rank = {item: r for r, item in enumerate(candidates)}
        pool = list(dict.fromkeys([*picked, *candidates]))
        scores = {
            i: (0.5 / (1 + model_rank[i]) if i in model_rank else 0.0)
            + (0.5 / (1 + retrieval_rank[i]) if i in retrieval_rank else 0.0)
            for i in pool
        }
        ranked = sorted(pool, key=lambda i: (i != lead, i in refuted, -scores[i]))[:k]
        catalog = self.ds.catalog
        return [
            {
                "item_id": i,
                "title": catalog[i].display_title,
                "year": catalog[i].year,
                "score": round(scores[i], 4),
                "by": (["model"] if i in model_rank or i in refuted else [])
                + (["graph"] if i == lead else [])
                + sources.get(i, []),
                "refuted": i in refuted,
            }
            for i in ranked
        ]

    def why_led(self, item: str, query: str) -> str:
        """One sentence for the answer's warnings on the graph check's lead."""
        named = "; ".join(self.ds.graph.name(e) or e for e in mentioned_entities(self.ds.graph, query))
        return (
            f"put {self.ds.catalog[item].display_title} first: a step of the answer is refuted by the knowledge "
            f"graph, and it is the only candidate the graph confirms for everything the request names ({named})"
        )

    def _fact(self, claim) -> dict:
        catalog, graph = self.ds.catalog, self.ds.graph
        out = {"item": catalog[claim.item].display_title, "relation": claim.relation, "verdict": claim.verdict}
        if claim.entity is not None:
            out["entity"] = graph.name(claim.entity) or claim.entity
        if claim.other_item is not None:
            out["same_as"] = catalog[claim.other_item].display_title
        return out

    def premise_warnings(self, query: str, linked: Sequence[str]) -> list[str]:
        """A request that names two items, a relation and a sharing cue ("the director of A, the same as B's",
        "the actor of both A and B") says they share it; when the graph knows both sides and they share
        nothing, that premise is false: say so."""
        if not _SHARING.search(query):
            return []
        graph, catalog = self.ds.graph, self.ds.catalog
        out = []
        for relation in self.retriever.mentioned_relations(query):
            for a, b in itertools.combinations(linked, 2):
                ea, eb = graph.entities(a, relation), graph.entities(b, relation)
                if ea and eb and not ea & eb:
                    out.append(
                        f"the knowledge graph has no {ROLE_NOUNS.get(relation, relation)} shared by "
                        f"{catalog[a].display_title} and {catalog[b].display_title}: one of those hints is wrong"
                    )
        return out
