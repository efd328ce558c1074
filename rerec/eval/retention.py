"""General-ability retention: verifiable prompts written in code, scored by rules, base vs fine-tuned model.

Fine-tuning a small model on one task can cost it general skills (the ReRec paper reports this for SFT). The
suite asks plain chat questions — no recommendation system prompt — whose answers a rule can check:
IFEval-style format constraints (word limit, JSON object, required words, bullet count) and word problems with a
known answer (arithmetic, comparison). Prompts come from a seeded generator, so every model sees the same ones.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rerec.data.atomic import claim_folder

TOPICS = ["the ocean", "a city at night", "coffee", "winter", "a library", "trains", "the moon", "gardening"]
THINGS = ["fruits", "colours", "animals", "countries", "musical instruments", "sports"]
WORDS = ["river", "light", "quiet", "paper", "green", "window", "stone", "music"]
PEOPLE = ["Tom", "Ana", "Li", "Sara", "Omar", "Mia"]
OBJECTS = ["apples", "books", "coins", "pencils", "stamps", "marbles"]


@dataclass(frozen=True)
class Probe:
    """One prompt and the rule its answer must pass."""

    category: str
    prompt: str
    check: Callable[[str], bool]


@dataclass
class RetentionConfig:
    """How many probes per category and where the results go."""

    output_dir: str = field(default="runs/retention", metadata={"help": "Answers and pass rates are written here."})
    per_category: int = field(default=12, metadata={"help": "Probes per category (6 categories)."})
    seed: int = field(default=1234, metadata={"help": "Seed of the probe generator (same for every model)."})
    batch_size: int = field(default=16, metadata={"help": "Prompts per generation batch."})
    max_new_tokens: int = field(default=96, metadata={"help": "Answer length limit."})

    def __post_init__(self) -> None:
        if self.per_category < 1 or self.batch_size < 1 or self.max_new_tokens < 1:
            raise ValueError("per_category, batch_size and max_new_tokens must be >= 1")


def last_number(text: str) -> float | None:
    found = re.findall(r"-?\d+(?:\.\d+)?", text.replace(",", ""))
    return float(found[-1]) if found else None


def json_object(text: str) -> dict | None:
    """The first `{...}` of the answer that parses as a JSON object (text around it, e.g. code fences, allowed)."""
    decoder, start = json.JSONDecoder(), text.find("{")
    while start != -1:
        try:
            value, _end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        return value if isinstance(value, dict) else None
    return None


def bullets(text: str) -> int:
    return sum(bool(re.match(r"\s*[-*•]\s+\S", line)) for line in text.splitlines())


def _word_limit(rng: random.Random) -> Probe:
    n, topic = rng.randint(8, 15), rng.choice(TOPICS)
    return Probe("word_limit", f"Write one sentence about {topic} in at most {n} words.",
                 lambda a: 0 < len(a.split()) <= n)  # fmt: skip


def _json(rng: random.Random) -> Probe:
    keys = rng.sample(["name", "city", "age", "hobby", "colour"], 2)
    prompt = f'Invent a person and answer only with a JSON object with the keys "{keys[0]}" and "{keys[1]}".'
    return Probe("json", prompt, lambda a: (obj := json_object(a)) is not None and set(keys) <= set(obj))


def _keywords(rng: random.Random) -> Probe:
    topic, (w1, w2) = rng.choice(TOPICS), rng.sample(WORDS, 2)
    prompt = f'Write two sentences about {topic} that use the words "{w1}" and "{w2}".'
    return Probe("keywords", prompt, lambda a: all(re.search(rf"\b{w}\b", a, re.IGNORECASE) for w in (w1, w2)))


def _bullet_count(rng: random.Random) -> Probe:
    n, things = rng.randint(3, 5), rng.choice(THINGS)
    prompt = f'List exactly {n} {things} as a bulleted list, one per line starting with "- ", and nothing else.'
    return Probe("bullets", prompt, lambda a: bullets(a) == n)


def _arithmetic(rng: random.Random) -> Probe:
    who, what = rng.choice(PEOPLE), rng.choice(OBJECTS)
    a, b = rng.randint(3, 40), rng.randint(2, 20)
    if rng.random() < 0.5:
        prompt, answer = f"{who} has {a} {what} and gets {b} more. How many {what} does {who} have now?", a + b
    else:
        a += b
        prompt, answer = f"{who} has {a} {what} and gives away {b}. How many {what} are left?", a - b
    return Probe("arithmetic", prompt + " End with the number.", lambda t: last_number(t) == answer)


def _comparison(rng: random.Random) -> Probe:
    a, b = rng.sample(range(10, 100), 2)
    prompt = f"Which number is larger, {a} or {b}? Answer with the number only."
    return Probe("comparison", prompt, lambda t: last_number(t) == max(a, b))


GENERATORS = [_word_limit, _json, _keywords, _bullet_count, _arithmetic, _comparison]


def probes(per_category: int, seed: int) -> list[Probe]:
    rng = random.Random(seed)
    return [gen(rng) for gen in GENERATORS for _ in range(per_category)]


def run_retention(cfg: RetentionConfig, model, tokenizer) -> dict:
    """Answer every probe greedily; writes `answers.jsonl` and `retention.json` (pass rate and counts per
    category and overall) to `cfg.output_dir`."""
    from rerec.eval.generation import generate_batches

    suite = probes(cfg.per_category, cfg.seed)
    messages = [[{"role": "user", "content": p.prompt}] for p in suite]
    answers = [g for batch in generate_batches(model, tokenizer, messages, cfg.batch_size, cfg.max_new_tokens)
               for g in batch]  # fmt: skip
    passed: dict[str, list[bool]] = defaultdict(list)
    records = []
    for probe, answer in zip(suite, answers, strict=True):
        ok = bool(probe.check(answer.text))
        passed[probe.category].append(ok)
        records.append({"category": probe.category, "prompt": probe.prompt, "answer": answer.text, "passed": ok})
    result = {name: {"passed": sum(v), "n": len(v), "rate": sum(v) / len(v)} for name, v in passed.items()}
    total = [ok for v in passed.values() for ok in v]
    result["all"] = {"passed": sum(total), "n": len(total), "rate": sum(total) / len(total)}
    folder = claim_folder(Path(cfg.output_dir), "retention", reuse=True)
    (folder / "answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "retention.json").write_text(json.dumps(result, indent=2, sort_keys=True))
    return result
