"""`rerec eval`: generate answers for a prepared split and score them per query type with the rewards' own reader.

Predictions are appended to `predictions.jsonl` batch by batch, so a stopped evaluation resumes where it was;
`scores.jsonl` (each query's scores, the unit of a paired comparison between two evaluations) and `metrics.json` /
`metrics.md` are rewritten from all predictions at the end.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from rerec.assets import resolve_model
from rerec.data.atomic import claim_folder
from rerec.data.dataset import RecDataset
from rerec.data.grounding import TitleIndex
from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.data.lightgcn import EMBEDDINGS_FILE, Embeddings
from rerec.eval.baselines import BASELINES, Ranker, build_ranker
from rerec.eval.generation import generate_batches, generate_batches_vllm
from rerec.rewards.shaping import RewardConfig, build_rewards, weighted_rewards
from rerec.task.answer import Answer, AnswerReader
from rerec.task.graph_check import checked_lead, led_by
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments, load_split, row_titles
from rerec.task.score import score_answer
from rerec.task.verifier import StepVerifier, step_claims, step_tally

logger = logging.getLogger(__name__)

PREDICTIONS = "predictions.jsonl"
SCORES = "scores.jsonl"
SETTINGS = "eval_settings.json"


@dataclass
class EvalConfig:
    """What to evaluate on and where the results go."""

    output_dir: str = field(default="runs/eval", metadata={"help": "Predictions and metrics are written here."})
    split: str = field(default="test", metadata={"help": "'train', 'val' or 'test' (held-out users)."})
    mode: str = field(default="candidates", metadata={"help": "'candidates' or 'open' (whole catalog)."})
    k: int = field(default=10, metadata={"help": "Cut-off of NDCG@K over the boxed ranked list."})
    grounding_threshold: float = field(
        default=0.85, metadata={"help": "rapidfuzz ratio for a fuzzy title match (the model's, from its rerec.json)."}
    )
    batch_size: int = field(default=16, metadata={"help": "Prompts per generation batch."})
    max_new_tokens: int = field(default=128, metadata={"help": "Completion length limit."})
    backend: str = field(
        default="transformers",
        metadata={"help": "'transformers' (any machine) or 'vllm' (a CUDA machine with vLLM installed)."},
    )
    baseline: str | None = field(
        default=None, metadata={"help": f"Evaluate a non-LLM baseline instead of the model: one of {BASELINES}."}
    )

    graph_check: bool = field(
        default=False,
        metadata={
            "help": "Score each answer after rerec's graph check: a boxed answer with a step the graph refutes, "
            "where exactly one candidate has every entity the query names, leads with that candidate "
            "(rerec/task/graph_check.py). Off: the model's own answer. Scores say where it fired (graph_led)."
        },
    )
    checkpoints: bool = field(
        default=False,
        metadata={
            "help": "Read --model_name_or_path as a training run's folder: evaluate each finished checkpoint-N "
            "into output_dir/checkpoint-N and write curve.json and curve.png there (a learning curve)."
        },
    )

    def __post_init__(self) -> None:
        if self.split not in ("train", "val", "test"):
            raise ValueError(f"split={self.split!r}: use 'train', 'val' or 'test'")
        if self.mode not in ("candidates", "open"):
            raise ValueError(f"mode={self.mode!r}: use 'candidates' or 'open'")
        if self.backend not in ("transformers", "vllm"):
            raise ValueError(f"backend={self.backend!r}: use 'transformers' or 'vllm'")
        if self.baseline is not None and self.baseline not in BASELINES:
            raise ValueError(f"baseline={self.baseline!r}: use one of {BASELINES}")
        if self.k < 1 or self.batch_size < 1 or self.max_new_tokens < 1:
            raise ValueError("k, batch_size and max_new_tokens must be >= 1")


def score_row(
    row: dict,
    text: str,
    reader: AnswerReader,
    graph: KnowledgeGraph,
    verifier: StepVerifier | None,
    k: int,
    graph_check: bool = False,
) -> dict:
    """Per-prediction scores of a completion: the same reading and NDCG as the rewards (an unboxed answer scores 0
    here, not the reward's −0.5); how many of its step claims, and of its steps with a claim, the verifier could
    check and found false; and whether it boxed an item the query itself names (`hint_boxed`, None when the query
    names none): a first hop mistaken for the answer. With `graph_check` (and a verifier) the ranking metrics are
    those of the checked answer and `graph_led` says whether the check changed its lead."""
    per_step = step_claims(verifier, text) if verifier else []
    claims = [c for step in per_step for c in step]
    answer = reader.read(text, row["candidates"] or None)
    led = None
    if graph_check:
        shown = [c["item_id"] for c in row["candidates"] or ()]
        led = checked_lead(graph, row["query"], shown, answer, claims, answer.ranked)
        if led is not None:
            answer = replace(answer, ranked=led_by(led, answer.ranked))
    scores = score_answer(answer, row, k, graph)
    hinted = [h["item_id"] for h in row.get("hinted") or ()]
    hint_boxed = None
    if hinted:
        hint_boxed = float(bool(answer.titles) and reader.index.ground(answer.titles[0], hinted) is not None)
    return {
        **scores,
        "hint_boxed": hint_boxed,
        "claims": len(claims),
        "false_claims": sum(c.verdict == "false" for c in claims),
        **step_tally(per_step),
        **({"graph_led": float(led is not None)} if graph_check else {}),
    }


def held_out_rewards(
    rows: list[dict], completions: list[str], folder: Path, ds, reader: AnswerReader
) -> list[float | None]:
    """The training reward at its defaults (format, NDCG, QAS, and PAS where `rerec prepare` wrote LightGCN
    embeddings) of each completion: what RL maximises, read on queries it never trained on. `reader` is the
    evaluation's own, so the catalog's title index is built once."""
    threshold = reader.index.threshold
    cfg = RewardConfig(mode=reader.mode, pas=(folder / EMBEDDINGS_FILE).is_file(), grounding_threshold=threshold)
    funcs, weights = build_rewards(folder, cfg, ds, reader)
    columns = {key: [row[key] for row in rows] for key in ("ground_truth", "candidates", "conditions")}
    scores = [[torch.nan if v is None else v for v in func(completions, **columns)] for func in funcs]
    rewards = weighted_rewards(torch.tensor(scores, dtype=torch.float64).T, weights).tolist()
    return [None if math.isnan(r) else r for r in rewards]  # every function abstained: no reward, not 0


CLAIM_KEYS = ("claims", "false_claims", "checked_steps", "false_steps")  # summed, not averaged
COST_KEYS = (*CLAIM_KEYS, "tokens", "seconds")


def summarise(scored: list[dict]) -> dict:
    """Means of the per-prediction scores (over the predictions where a score applies), the false-claim share over
    all checked claims, the false-step share over all steps with a checkable claim, and cost."""
    n = len(scored)
    out: dict = {}
    for key in (k for k in scored[0] if k not in COST_KEYS):
        values = [s[key] for s in scored if s[key] is not None]
        out[key] = sum(values) / len(values) if values else None
    claims = sum(s["claims"] for s in scored)
    out["false_claim_share"] = sum(s["false_claims"] for s in scored) / claims if claims else 0.0
    steps = sum(s["checked_steps"] for s in scored)
    out["false_step_share"] = sum(s["false_steps"] for s in scored) / steps if steps else 0.0
    out["mean_tokens"] = sum(s["tokens"] for s in scored) / n
    seconds = sum(s["seconds"] for s in scored)
    out["seconds_per_query"] = seconds / n
    out["tokens_per_s"] = sum(s["tokens"] for s in scored) / seconds if seconds else 0.0
    out["n"] = n
    return out


def table_columns(mode: str, k: int) -> list[str]:
    ranking = ["format", "reward", "hit@1", f"ndcg@{k}"]
    if mode == "open":
        ranking += [f"recall@{k}", f"precision@{k}", "in_catalog", "failed", "condition_satisfied"]
    return ["n", *ranking, "hint_boxed", "false_claim_share", "false_step_share", "mean_tokens", "seconds_per_query"]


def markdown_table(metrics: dict, columns: list[str]) -> str:
    lines = ["| type | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in metrics.items():
        cells = [str(row["n"])] + ["–" if row[c] is None else f"{row[c]:.3f}" for c in columns[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def read_predictions(path: Path) -> dict[str, dict]:
    """The predictions on disk; a line cut off by a kill is dropped from the file (its query is generated again)
    so that the next append starts on a line of its own."""
    if not path.is_file():
        return {}
    done, broken = {}, 0
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
            done[record["id"]] = record
        except (json.JSONDecodeError, KeyError, TypeError):
            broken += 1
    if broken:
        logger.warning("%s: %d unreadable line(s) dropped; those queries are generated again", path, broken)
        path.write_text("".join(json.dumps(r) + "\n" for r in done.values()))
    return done


def _check_settings(folder: Path, settings: dict) -> None:
    """Refuse to mix predictions of different models or prompts in one folder. A setting added to rerec after
    the folder was written (absent from its file) is not held against it."""
    path = folder / SETTINGS
    if path.is_file():
        before = json.loads(path.read_text())
        changed = sorted(k for k in settings if k in before and before[k] != settings[k])
        if changed:
            raise ValueError(f"{folder} holds predictions made with other settings {changed}; use another output_dir")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=2, sort_keys=True))


def _model_predictions(
    todo: list[dict], model, tokenizer, model_name: str, cfg: EvalConfig, trust_remote_code: bool
) -> Iterator[list[dict]]:
    prompts = [row["prompt"] for row in todo]
    if cfg.backend == "vllm":
        path = resolve_model(model_name)
        batches = generate_batches_vllm(path, prompts, cfg.batch_size, cfg.max_new_tokens, trust_remote_code)
    else:
        batches = generate_batches(model, tokenizer, prompts, cfg.batch_size, cfg.max_new_tokens)
    for batch in batches:
        yield [{"completion": g.text, "tokens": g.tokens, "seconds": g.seconds} for g in batch]


def _ranker_predictions(
    todo: list[dict], ranker: Ranker, catalog_ids: list[str], cfg: EvalConfig
) -> Iterator[list[dict]]:
    for rows in _chunks(todo, cfg.batch_size):
        batch = []
        for row in rows:
            began = time.perf_counter()
            pool = [c["item_id"] for c in row["candidates"]] if cfg.mode == "candidates" else catalog_ids
            ranked = ranker.rank(row, pool)[: cfg.k]
            batch.append({"ranked": ranked, "tokens": 0, "seconds": time.perf_counter() - began})
        yield batch


def evaluate(
    data: TrainDataArguments,
    prompt: PromptConfig,
    cfg: EvalConfig,
    model_name: str,
    model=None,
    tokenizer=None,
    trust_remote_code: bool = False,
) -> dict:
    """Predict what is missing (the model, or `cfg.baseline`), score everything, write `metrics.json` and
    `metrics.md`; returns the metrics. `trust_remote_code` matters only where the vLLM backend loads the model
    itself."""
    folder = claim_folder(Path(cfg.output_dir), "eval", reuse=True, inputs=[Path(data.prepared)])
    rows, ds = load_split(data, prompt, cfg.mode, cfg.split)
    settings = {"model": f"baseline:{cfg.baseline}" if cfg.baseline else model_name}
    settings.update({**asdict(data), **asdict(prompt), **asdict(cfg)})
    for key in ("output_dir", "batch_size", "checkpoints"):
        settings.pop(key)
    _check_settings(folder, settings)
    done = read_predictions(folder / PREDICTIONS)
    todo = [row for row in rows if row["id"] not in done]
    if todo:
        if cfg.baseline:
            path = Path(data.prepared) / EMBEDDINGS_FILE
            ranker = build_ranker(cfg.baseline, ds, Embeddings.load(path) if path.is_file() else None)
            batches = _ranker_predictions(todo, ranker, ds.catalog.ids, cfg)
        else:
            batches = _model_predictions(todo, model, tokenizer, model_name, cfg, trust_remote_code)
        bar = tqdm(total=len(rows), initial=len(rows) - len(todo), desc="predicting", unit="query")
        with (folder / PREDICTIONS).open("a") as handle:
            for row_batch, batch in zip(_chunks(todo, cfg.batch_size), batches, strict=True):
                for row, pred in zip(row_batch, batch, strict=True):
                    done[row["id"]] = {"id": row["id"], "type": row["type"], **pred}
                    handle.write(json.dumps(done[row["id"]]) + "\n")
                handle.flush()
                bar.update(len(batch))
        bar.close()
    scored = row_scores(rows, done, ds, prompt.facts, cfg, Path(data.prepared))
    (folder / SCORES).write_text(
        "".join(json.dumps({"id": r["id"], "type": r["type"], **s}) + "\n" for r, s in zip(rows, scored, strict=True))
    )
    metrics = metrics_by_type(rows, scored)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
    (folder / "metrics.md").write_text(markdown_table(metrics, table_columns(cfg.mode, cfg.k)))
    return metrics


def _from_settings(cls, settings: dict, **changes):
    return cls(**({f.name: settings[f.name] for f in fields(cls) if f.name in settings} | changes))


def inputs_of(settings: dict) -> tuple[TrainDataArguments, PromptConfig]:
    """The data and prompt an evaluation folder's `eval_settings.json` was made with."""
    return _from_settings(TrainDataArguments, settings), _from_settings(PromptConfig, settings)


def evaluated_split(folder: Path) -> tuple[list[dict], RecDataset, dict]:
    """The rows (prompts as the model saw them), dataset and settings of an evaluation folder, for a reader of its
    stored answers: a verifier must know the items each prompt showed, and those follow the prompt's settings."""
    settings = json.loads((folder / SETTINGS).read_text())
    rows, ds = load_split(*inputs_of(settings), settings["mode"], settings["split"])
    return rows, ds, settings


RESCORING = ("graph_check", "k", "grounding_threshold")  # settings that change the scores, not the completions


def rescore(source: Path, target: Path, **changes) -> dict:
    """`source`'s completions scored again into the `rerec eval` folder `target`, under `source`'s settings with
    `changes` to those in `RESCORING` (e.g. `graph_check=True`); nothing is generated, so no model is loaded.
    Returns the metrics."""
    if other := sorted(set(changes) - set(RESCORING)):
        raise ValueError(f"{other} change what is generated: run `rerec eval` again instead of rescoring")
    settings = json.loads((source / SETTINGS).read_text())
    if settings.get("baseline"):
        raise ValueError(f"{source} is a baseline's evaluation: it has no completions to score again")
    data, prompt = inputs_of(settings)
    cfg = _from_settings(EvalConfig, settings, output_dir=str(target), **changes)
    claim_folder(target, "eval", reuse=True, inputs=[Path(data.prepared)])
    shutil.copyfile(source / PREDICTIONS, target / PREDICTIONS)
    return evaluate(data, prompt, cfg, settings["model"])


def read_scores(folder: Path) -> dict[str, dict]:
    """An evaluation folder's per-query scores by query id (`scores.jsonl`, written by `evaluate`)."""
    path = folder / SCORES
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `rerec eval` into {folder} first")
    return {record["id"]: record for record in map(json.loads, path.read_text().splitlines())}


def _chunks(rows: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def metrics_by_type(rows: list[dict], scored: list[dict]) -> dict:
    """Metrics per query type and over all (`"all"`) from each row's scores."""
    by_type: dict[str, list[dict]] = defaultdict(list)
    for row, scores in zip(rows, scored, strict=True):
        by_type[row["type"]].append(scores)
    metrics = {kind: summarise(group) for kind, group in by_type.items()}
    metrics["all"] = summarise(list(scored))
    return metrics


def row_scores(
    rows: list[dict], done: dict[str, dict], ds, facts: bool, cfg: EvalConfig, prepared: Path
) -> list[dict]:
    """Each row's scores (hit@k, ndcg@k, format, claims, reward, tokens, seconds), in `rows`' order."""
    reader = AnswerReader(TitleIndex(ds.catalog, cfg.grounding_threshold), cfg.mode)
    generated = [row for row in rows if "completion" in done[row["id"]]]
    texts = [done[row["id"]]["completion"] for row in generated]
    values = held_out_rewards(generated, texts, prepared, ds, reader) if generated else []
    rewards = dict(zip((row["id"] for row in generated), values, strict=True))
    out = []
    for row in rows:
        pred = done[row["id"]]
        if "ranked" in pred:
            answer = Answer(True, (), tuple(pred["ranked"]))
            scores = {**score_answer(answer, row, cfg.k, ds.graph), "hint_boxed": None, **dict.fromkeys(CLAIM_KEYS, 0)}
        else:
            verifier = StepVerifier(ds.graph, ds.catalog, row_titles(row)) if facts else None
            scores = score_row(row, pred["completion"], reader, ds.graph, verifier, cfg.k, cfg.graph_check)
        scores["reward"] = rewards.get(row["id"])  # None for a baseline: it writes no completion
        out.append({**scores, "tokens": pred["tokens"], "seconds": pred["seconds"]})
    return out
