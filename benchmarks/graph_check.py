"""What rerec's graph check (`rerec eval --graph_check`, `rerec/task/graph_check.py`) does to an evaluation. Each
`rerec eval` folder's completions are scored again with the check into `<out>/<name>+graph[-seed<N>]` (nothing is
generated: the same answers), then per query type: the paired Hit@1 difference checked − unchecked, how often
the check changed the lead, and how often that fixed or broke the answer. Also serving's ordering rules read on the
same answers: refuted picks moved down (`demote_refuted`), alone and with the check (serving's defaults).

    python benchmarks/graph_check.py --out reports/graph-check/val \
        --evals reports/study-runs/val/warm-start runs/study/curves/grpo-seed0/checkpoint-48

Why: on explicit requests the model trails BM25, and a step the graph refutes marks most of its wrong answers
(docs/study.md). The rule was designed on the validation split and fixed before the test split was read. Writes
`graph_check.json` and `graph_check.md`; the checked folders are `rerec eval` folders that `rerec report` reads.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from common import demoted_order, write_pair

from rerec.data.grounding import TitleIndex
from rerec.eval.harness import PREDICTIONS, evaluated_split, read_predictions, read_scores, rescore
from rerec.eval.report import paired_lines
from rerec.eval.stats import PairedDifference, paired_difference
from rerec.serve.refutation import refuted_picks
from rerec.task.answer import AnswerReader
from rerec.task.graph_check import checked_lead
from rerec.task.parsing import segments, step_text
from rerec.task.rows import row_titles
from rerec.task.score import truth_ids
from rerec.task.verifier import StepVerifier


def checked(folder: Path, out: Path) -> Path:
    """`folder`'s completions scored with the graph check, in a `rerec eval` folder under `out`."""
    target = out / re.sub(r"(-seed\d+)?$", r"+graph\1", folder.name, count=1)  # rerec-seed0 -> rerec+graph-seed0
    rescore(folder, target, graph_check=True)
    return target


def serving_hits(folder: Path) -> dict[str, dict[str, float]]:
    """Per query, Hit@1 of `folder`'s answers under serving's ordering rules on the shown candidates: refuted picks
    moved behind every other candidate (`demote_refuted`), without and with the graph check's lead before them
    (serving's defaults). Why: moving refuted picks down cost Hit@1 on the 5-candidate demo (docs/serving.md)."""
    rows, ds, settings = evaluated_split(folder)
    done = read_predictions(folder / PREDICTIONS)
    reader = AnswerReader(TitleIndex(ds.catalog, settings["grounding_threshold"]), "candidates")
    out = {}
    for row in rows:
        text = done[row["id"]]["completion"]
        answer = reader.read(text, row["candidates"])
        shown = [c["item_id"] for c in row["candidates"]]
        picked = list(dict.fromkeys(i for i in answer.ranked if i is not None))
        verifier = StepVerifier(ds.graph, ds.catalog, row_titles(row))
        claims = [c for seg in segments(text) for c in verifier.claims(step_text(seg))]
        refuted = refuted_picks(claims, picked)
        demoted = demoted_order(picked, shown, refuted)[0] if picked else None
        lead = checked_lead(ds.graph, row["query"], shown, answer, claims, picked)
        lead = None if lead in refuted else lead  # as serving: a refuted pick is never first
        truth = truth_ids(row["ground_truth"]) & set(shown)
        out[row["id"]] = {"demoted": float(demoted in truth), "demoted_checked": float((lead or demoted) in truth)}
    return out


def compare(before: Path, after: Path) -> dict[str, dict]:
    """By query type (and `all`): the paired Hit@1 difference after − before, the check's changes, and serving's
    orders (`serving_hits`) against the model's own."""
    first, second, serving = read_scores(before), read_scores(after), serving_hits(before)
    by_type: dict[str, list[str]] = defaultdict(list)
    for query, score in first.items():
        by_type[score["type"]].append(query)
        by_type["all"].append(query)
    out = {}
    for kind, ids in sorted(by_type.items()):
        led = [i for i in ids if second[i]["graph_led"]]
        out[kind] = {
            "n": len(ids),
            "paired": asdict(paired_difference([second[i]["hit@1"] for i in ids], [first[i]["hit@1"] for i in ids])),
            "led": len(led),
            "fixed": sum(second[i]["hit@1"] > first[i]["hit@1"] for i in led),
            "broke": sum(second[i]["hit@1"] < first[i]["hit@1"] for i in led),
            **{
                f"serving_{order}": asdict(
                    paired_difference([serving[i][order] for i in ids], [first[i]["hit@1"] for i in ids])
                )
                for order in ("demoted", "demoted_checked")
            },
        }
    return out


def markdown(result: dict) -> str:
    lines = ["# Graph check", ""]
    for folder, row in result.items():
        lines += [f"## `{folder}` → `{row['checked']}`", ""]
        lines += ["| type | n | lead changed | fixed | broke |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {t['n']} | {t['led']} | {t['fixed']} | {t['broke']} |" for k, t in row["types"].items()]
        lines.append("")
        differences = {kind: PairedDifference(**t["paired"]) for kind, t in row["types"].items()}
        lines += paired_lines("hit@1", "checked", "unchecked", differences)
        for order, name in (("demoted", "refuted picks moved down"), ("demoted_checked", "moved down + check")):
            differences = {kind: PairedDifference(**t[f"serving_{order}"]) for kind, t in row["types"].items()}
            lines += paired_lines("hit@1", name, "the model's order", differences)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evals", nargs="+", type=Path, required=True, help="`rerec eval` folders of models")
    parser.add_argument("--out", type=Path, required=True, help="the checked folders and graph_check.json / .md")
    args = parser.parse_args()
    result = {}
    for folder in args.evals:
        target = checked(folder, args.out)
        result[str(folder)] = {"checked": str(target), "types": compare(folder, target)}
    write_pair(args.out, "graph_check", result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
