"""How well the step verifier reads real model completions, against claims a person wrote down for a sample.

    python benchmarks/verifier_real.py --eval_dir runs/eval/warm-start --labels benchmarks/labels/verifier_real.jsonl

`verifier_precision.py` measures the verifier on rerec's own wording; a model writes otherwise. This script
samples reasoning steps (seeded) from an evaluation's `predictions.jsonl` and compares the verifier's claims
with hand labels: for each sampled step, the claims a careful reader sees it make about the query's items, as
`[subject title, relation, entity name or, for "same X as", the other title]`. A step missing from the labels
file is written to `<labels>.todo.jsonl` with the verifier's reading as a starting point, to be checked by hand
and moved into the labels file; the metrics cover labelled steps only.

Reported: claim precision and recall of the verifier's reading (a claim counts when subject, relation and
entity all match), and for the "false" verdict — the one RAAE penalises and serving shows as ✗ — its
precision and recall against the labelled claims judged by the graph.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from common import write_result

from rerec.data.dataset import RecDataset
from rerec.eval.harness import PREDICTIONS, evaluated_split, read_predictions
from rerec.task.parsing import segments, step_text
from rerec.task.rows import row_titles
from rerec.task.verifier import Claim, StepVerifier


def claim_key(claim: Claim, ds: RecDataset) -> tuple[str, str, str]:
    """A claim as a person writes it down: titles and names, not ids."""
    other = ds.catalog[claim.other_item].display_title if claim.other_item else None
    entity = other or ds.graph.name(claim.entity) or claim.entity
    return (ds.catalog[claim.item].display_title, claim.relation, entity)


def labelled_verdict(key: list[str], ds: RecDataset, by_title: dict[str, str]) -> str:
    """What the graph says of a hand-labelled claim (same rules as the verifier: unknown without facts)."""
    subject, relation, entity = key
    item = by_title[subject]
    mine = ds.graph.entities(item, relation)
    if entity in by_title:  # "same <relation> as <other title>"
        theirs = ds.graph.entities(by_title[entity], relation)
        return "true" if mine & theirs else ("false" if mine and theirs else "unknown")
    names = {ds.graph.name(e) or e for e in mine}
    return "true" if entity in names else ("false" if mine else "unknown")


def sample_steps(eval_dir: Path, n: int, seed: int) -> tuple[list[dict], RecDataset]:
    """`n` steps drawn from all completions' steps (seeded), with or without claims, so recall is not flattered;
    each query's verifier knows the items its prompt showed, as in `rerec eval`."""
    rows, ds, _ = evaluated_split(eval_dir)
    by_id = {row["id"]: row for row in rows}
    steps = []
    for record in read_predictions(eval_dir / PREDICTIONS).values():
        verifier = StepVerifier(ds.graph, ds.catalog, row_titles(by_id[record["id"]]))
        for index, segment in enumerate(segments(record["completion"])):
            text = step_text(segment)
            claims = [list(claim_key(c, ds)) + [c.verdict] for c in verifier.claims(text)]
            steps.append({"key": f"{record['id']}#{index}", "step": text, "verifier": claims})
    return random.Random(seed).sample(steps, min(n, len(steps))), ds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval_dir", required=True)
    parser.add_argument("--labels", default="benchmarks/labels/verifier_real.jsonl")
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sampled, ds = sample_steps(Path(args.eval_dir), args.sample, args.seed)
    by_title = {item.display_title: item.item_id for item in ds.catalog}
    labels_path = Path(args.labels)
    labels = {}
    if labels_path.exists():
        labels = {r["key"]: r for r in map(json.loads, labels_path.read_text().splitlines())}
    todo = [s for s in sampled if s["key"] not in labels]
    if todo:
        path = labels_path.with_suffix(".todo.jsonl")
        path.write_text("".join(json.dumps({**s, "claims": [c[:3] for c in s["verifier"]]}) + "\n" for s in todo))
        print(f"{len(todo)} sampled steps have no label yet: check {path} by hand and move them into {labels_path}")
    read = correct = truth = 0
    flagged = flagged_right = false_total = 0
    for step in (s for s in sampled if s["key"] in labels):
        seen = {tuple(c[:3]): c[3] for c in step["verifier"]}
        wanted = {tuple(c) for c in labels[step["key"]]["claims"]}
        read, truth, correct = read + len(seen), truth + len(wanted), correct + len(set(seen) & wanted)
        false_claims = {c for c in wanted if labelled_verdict(list(c), ds, by_title) == "false"}
        flagged_claims = {c for c, verdict in seen.items() if verdict == "false"}
        flagged, flagged_right = flagged + len(flagged_claims), flagged_right + len(flagged_claims & false_claims)
        false_total += len(false_claims)
    steps = sum(s["key"] in labels for s in sampled)
    ratio = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
    result = {
        "eval_dir": args.eval_dir, "labelled_steps": steps, "claims_labelled": truth, "claims_read": read,
        "claim_precision": ratio(correct, read), "claim_recall": ratio(correct, truth),
        "false_flagged": flagged, "false_labelled": false_total,
        "false_precision": ratio(flagged_right, flagged), "false_recall": ratio(flagged_right, false_total),
    }  # fmt: skip
    markdown = (
        f"Verifier on {steps} hand-labelled steps sampled from `{args.eval_dir}` (seed {args.seed}).\n\n"
        "| claims labelled | claims read | precision | recall | ✗ flagged | false labelled | ✗ precision | ✗ recall"
        " |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| {truth} | {read} | {result['claim_precision']} | {result['claim_recall']} | {flagged} | {false_total} | "
        f"{result['false_precision']} | {result['false_recall']} |"
    )
    result = write_result("verifier_real", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
