"""What rerec's graph check (`rerec eval --graph_check`, `rerec/task/graph_check.py`) does to an evaluation. Each
`rerec eval` folder's completions are scored again with the check into `<out>/<name>+graph[-seed<N>]` (nothing is
generated: the same answers), then per query type: the paired Hit@1 difference checked − unchecked, how often
the check changed the lead, and how often that fixed or broke the answer.

    python benchmarks/graph_check.py --out reports/graph-check/val \
        --evals reports/study-runs/val/warm-start runs/study/curves/grpo-seed0/checkpoint-48

Why: on explicit requests the model trails BM25, and a step the graph refutes marks most of its wrong answers
(docs/study.md). The rule was designed on the validation split; the test split is read once, at the end of the
study. Writes `graph_check.json` and `graph_check.md`; the checked folders are `rerec eval` folders that
`rerec report` reads.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from collections import defaultdict
from dataclasses import asdict, fields
from pathlib import Path

from common import write_pair

from rerec.data.atomic import claim_folder
from rerec.eval.harness import PREDICTIONS, SETTINGS, EvalConfig, evaluate, read_scores
from rerec.eval.report import paired_lines
from rerec.eval.stats import PairedDifference, paired_difference
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments


def _config(cls, settings: dict, **changes):
    return cls(**{f.name: settings[f.name] for f in fields(cls) if f.name in settings}, **changes)


def checked(folder: Path, out: Path) -> Path:
    """`folder`'s completions scored with the graph check, in a `rerec eval` folder under `out`."""
    settings = json.loads((folder / SETTINGS).read_text())
    if settings.get("baseline"):
        raise ValueError(f"{folder} is a baseline's evaluation: the graph check reads a model's reasoning")
    target = out / re.sub(r"(-seed\d+)?$", r"+graph\1", folder.name, count=1)  # rerec-seed0 -> rerec+graph-seed0
    data, prompt = _config(TrainDataArguments, settings), _config(PromptConfig, settings)
    cfg = _config(EvalConfig, settings, output_dir=str(target), graph_check=True)
    claim_folder(target, "eval", reuse=True, inputs=[Path(data.prepared)])
    shutil.copyfile(folder / PREDICTIONS, target / PREDICTIONS)
    evaluate(data, prompt, cfg, settings["model"])  # every prediction exists: scoring only, no model
    return target


def compare(before: Path, after: Path) -> dict[str, dict]:
    """By query type (and `all`): the paired Hit@1 difference after − before, and the check's changes."""
    first, second = read_scores(before), read_scores(after)
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
