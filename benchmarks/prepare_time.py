"""Wall time and peak memory of `rerec prepare`, end to end in a fresh process (default: the embedded ml-100k).

python benchmarks/prepare_time.py --json            # prints a JSON object
python benchmarks/prepare_time.py --repeats 3       # and writes benchmarks/results/prepare_time.{json,md}
python benchmarks/prepare_time.py --dataset bookcrossing --data_dir ~/.cache/rerec/data/bookcrossing --repeats 1
                                                    # -> results/prepare_time_bookcrossing.{json,md}
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import write_result


def run_once(out: Path, dataset: str, data_dir: str | None) -> tuple[float, dict]:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "rerec.cli", "prepare", "--dataset", dataset, "--out", str(out), "--json"]
    proc = subprocess.run(cmd + (["--data_dir", data_dir] if data_dir else []), capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"prepare failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--data_dir", help="source files (required for every dataset but ml-100k)")
    args = parser.parse_args()
    times, summary = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            seconds, summary = run_once(Path(tmp) / f"run{i}", args.dataset, args.data_dir)
            times.append(seconds)
    # The largest resident set of any child so far: the prepare processes (Linux reports KiB).
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    result = {
        "dataset": args.dataset,
        "peak_rss_gib": round(peak_gib, 2),
        "repeats": args.repeats,
        "seconds_median": round(statistics.median(times), 2),
        "seconds_all": [round(t, 2) for t in times],
        "total_queries": summary.get("total_queries"),
        "catalog_items": summary.get("catalog_items"),
        "interactions": summary.get("interactions"),
        "queries": summary.get("queries"),
    }
    rows = "\n".join(f"| {k} | {v['train']} | {v['val']} | {v['test']} |" for k, v in result["queries"].items())
    markdown = (
        f"`rerec prepare` on {args.dataset} ({result['catalog_items']:,} items, {result['interactions']:,} "
        f"interactions; queries + LightGCN), median wall time over {args.repeats} fresh processes: "
        f"**{result['seconds_median']} s** ({', '.join(map(str, result['seconds_all']))}); peak memory "
        f"{result['peak_rss_gib']} GiB.\n\n"
        f"| type | train | val | test |\n|---|---|---|---|\n{rows}"
    )
    name = "prepare_time" if args.dataset == "ml-100k" else f"prepare_time_{args.dataset}"
    result = write_result(name, result, markdown)
    print(json.dumps(result, indent=2) if args.json else f"prepare: {result['seconds_median']} s (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
