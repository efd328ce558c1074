"""Wall time of `rerec prepare` on the embedded ml-100k, end to end in a fresh process.

python benchmarks/prepare_time.py --json            # prints a JSON object
python benchmarks/prepare_time.py --repeats 3       # and writes benchmarks/results/prepare_time.{json,md}
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import write_result


def run_once(out: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "rerec.cli", "prepare", "--dataset", "ml-100k", "--out", str(out), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    times, summary = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            seconds, summary = run_once(Path(tmp) / f"run{i}")
            times.append(seconds)
    result = {
        "dataset": "ml-100k",
        "repeats": args.repeats,
        "seconds_median": round(statistics.median(times), 2),
        "seconds_all": [round(t, 2) for t in times],
        "total_queries": summary.get("total_queries"),
        "queries": summary.get("queries"),
    }
    rows = "\n".join(f"| {k} | {v['train']} | {v['val']} | {v['test']} |" for k, v in result["queries"].items())
    markdown = (
        f"`rerec prepare` on ml-100k (queries + LightGCN), median wall time over {args.repeats} fresh processes: "
        f"**{result['seconds_median']} s** ({', '.join(map(str, result['seconds_all']))}).\n\n"
        f"| type | train | val | test |\n|---|---|---|---|\n{rows}"
    )
    result = write_result("prepare_time", result, markdown)
    print(json.dumps(result, indent=2) if args.json else f"prepare: {result['seconds_median']} s (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
