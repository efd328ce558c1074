"""Does the assistant rank first a pick its own reasoning gets wrong? Before and after demoting refuted picks.

Two readings of the held-out test queries (explicit, implicit, misinformed; round-robin, held-out users):
- serving (default): each query is put to the assistant (`rerec recommend`'s pipeline: whole-catalog
  retrieval, prompt, generation, grounding, step verification); each completion is generated once and read
  twice, with `demote_refuted` off (before) and on (after);
- `--eval_dir`: the completions `rerec eval` stored (its own queries and shown candidates, one of them right),
  where Hit@1 means something: before is the model's boxed order, after moves its refuted picks behind the other
  candidates, as serving does.
Reported: the share of answers whose #1 item has a claim the knowledge graph refutes, Hit@1 of the final list
(a ground-truth item at #1), and each paired difference with a 95% bootstrap interval.

python benchmarks/refuted_picks.py --model runs/cpu-demo/final --prepared runs/ml100k --max_queries 90
python benchmarks/refuted_picks.py --eval_dir runs/eval/ReRec    # its queries, data and prompt
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from common import demoted_order, paired_interval, write_result
from tqdm import tqdm

from rerec.data.queries.schema import read_queries
from rerec.serve.assistant import Assistant, AssistantConfig, Request
from rerec.task.rows import balanced_subset


def record(kind: str, before: str | None, after: str | None, refuted: set[str], truth: set[str]) -> dict:
    """One query's row: its #1 item before and after demotion, checked against the refuted picks and the truth."""
    return {
        "type": kind,
        "refuted_first_before": float(before in refuted),
        "refuted_first_after": float(after in refuted),
        "hit1_before": float(before in truth),
        "hit1_after": float(after in truth),
        "any_refuted": float(bool(refuted)),
    }


def run(args: argparse.Namespace) -> dict:
    rows = read_queries(Path(args.prepared) / "queries" / f"{args.split}.parquet")
    rows = balanced_subset([r for r in rows if r["type"] in args.types], args.max_queries)
    cfg = AssistantConfig(model_name_or_path=args.model, prepared=args.prepared, dtype="float32")
    assistant = Assistant.load(cfg)
    known = set(assistant.ds.users) | set(assistant.ds.interactions.users)
    records = []
    for start in tqdm(range(0, len(rows), args.batch_size), desc="answering", unit="batch"):
        batch = rows[start : start + args.batch_size]
        requests = [Request(r["query"], r["user_id"] if r["user_id"] in known else None, (), args.k) for r in batch]
        plans = [assistant.plan(r) for r in requests]
        generated = assistant.generate([p["messages"] for p in plans])
        for row, request, plan, gen in zip(batch, requests, plans, generated, strict=True):
            truth = {g["item_id"] for g in row["ground_truth"]}
            assistant.cfg.demote_refuted = False
            before = assistant.respond(request, plan, gen.text)
            assistant.cfg.demote_refuted = True
            after = assistant.respond(request, plan, gen.text)
            refuted = {i["item_id"] for i in after.items if i["refuted"]}
            first = {name: r.items[0]["item_id"] if r.items else None for name, r in (("b", before), ("a", after))}
            records.append(record(row["type"], first["b"], first["a"], refuted, truth))
    return summarise(records, args)


def run_eval_dir(args: argparse.Namespace) -> dict:
    """The eval harness's stored completions, read as `rerec eval` reads them (the folder's own prompt settings)."""
    from rerec.data.grounding import TitleIndex
    from rerec.eval.harness import PREDICTIONS, evaluated_split, read_predictions
    from rerec.serve.refutation import refuted_picks
    from rerec.task.answer import AnswerReader
    from rerec.task.parsing import segments, step_text
    from rerec.task.rows import row_titles
    from rerec.task.score import truth_ids
    from rerec.task.verifier import StepVerifier

    rows, ds, settings = evaluated_split(Path(args.eval_dir))
    done = {key: record["completion"] for key, record in read_predictions(Path(args.eval_dir) / PREDICTIONS).items()}
    reader = AnswerReader(TitleIndex(ds.catalog, settings["grounding_threshold"]), "candidates")
    records = []
    for row in rows:
        if row["id"] not in done:
            continue
        text = done[row["id"]]
        shown = [c["item_id"] for c in row["candidates"]]
        picked = list(dict.fromkeys(i for i in reader.read(text, row["candidates"]).ranked if i is not None))
        verifier = StepVerifier(ds.graph, ds.catalog, row_titles(row))
        claims = [c for seg in segments(text) for c in verifier.claims(step_text(seg))]
        refuted = set(refuted_picks(claims, picked))
        after = demoted_order(picked, shown, refuted)
        truth = truth_ids(row["ground_truth"]) & set(shown)
        # An answer with no grounded pick has no #1 either way: it stays a miss, as in `rerec eval`.
        first, last = (picked[0], after[0]) if picked else (None, None)
        records.append(record(row["type"], first, last, refuted, truth))
    return summarise(records, args, settings)


def summarise(records: list[dict], args: argparse.Namespace, settings: dict | None = None) -> dict:
    """The result of either reading; `settings` are the evaluation folder's (eval-dir mode), which name the data,
    split and shown candidates that reading used."""

    def mean(key: str, kind: str | None = None) -> float:
        values = [r[key] for r in records if kind in (None, r["type"])]
        return round(statistics.fmean(values), 4) if values else 0.0

    kinds = sorted({r["type"] for r in records})
    out = {
        "model": args.eval_dir or args.model,
        "reading": "eval" if args.eval_dir else "serving",
        "prepared": settings["prepared"] if settings else args.prepared,
        "split": settings["split"] if settings else args.split,
        "shown_candidates": settings["max_candidates"] if settings else None,
        "queries": len(records),
        "k": args.k,
        "overall": {key: mean(key) for key in records[0] if key != "type"},
        "by_type": {kind: {key: mean(key, kind) for key in records[0] if key != "type"} for kind in kinds},
        "hit1_diff_ci95": paired_interval([r["hit1_before"] for r in records], [r["hit1_after"] for r in records]),
        "refuted_first_diff_ci95": paired_interval(
            [r["refuted_first_before"] for r in records], [r["refuted_first_after"] for r in records]
        ),
    }
    return out


def markdown(result: dict) -> str:
    o = result["overall"]
    how = {
        "serving": "serving pipeline (whole-catalog retrieval, 10 candidates), one generation read with demotion "
        "off and on.",
        "eval": f"`rerec eval`'s stored completions ({result['shown_candidates']} shown candidates), the boxed "
        "order vs refuted picks moved behind the other candidates.",
    }[result["reading"]]
    lines = [
        f"Model `{result['model']}`, {result['queries']} held-out {result['split']} queries of "
        f"`{result['prepared']}`, {how}",
        "",
        "| | before | after | paired difference, 95% CI |",
        "|---|---|---|---|",
        f"| #1 item has a refuted claim | {o['refuted_first_before']:.3f} | {o['refuted_first_after']:.3f} | "
        f"{result['refuted_first_diff_ci95']} |",
        f"| Hit@1 of the final list | {o['hit1_before']:.3f} | {o['hit1_after']:.3f} | {result['hit1_diff_ci95']} |",
        "",
        f"Answers with any refuted pick: {o['any_refuted']:.3f}.",
        "",
        "| type | refuted #1 before | after | Hit@1 before | after |",
        "|---|---|---|---|---|",
    ]
    for kind, m in result["by_type"].items():
        lines.append(
            f"| {kind} | {m['refuted_first_before']:.3f} | {m['refuted_first_after']:.3f} | "
            f"{m['hit1_before']:.3f} | {m['hit1_after']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/cpu-demo/final")
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--split", default="test")
    parser.add_argument("--types", nargs="+", default=["explicit", "implicit", "misinformed"])
    parser.add_argument("--max_queries", type=int, default=90)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument(
        "--eval_dir", help="read this `rerec eval` folder's completions (on its own queries) instead of generating"
    )
    parser.add_argument("--name", default="refuted_picks", help="result file name under benchmarks/results/")
    args = parser.parse_args()
    result = run_eval_dir(args) if args.eval_dir else run(args)
    write_result(args.name, result, markdown(result))
    print(markdown(result))  # noqa: T201


if __name__ == "__main__":
    main()
