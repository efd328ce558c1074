"""Wall time of the README's main command, `make demo`, on a fresh clone of this repository's HEAD.

python benchmarks/demo_time.py --json             # clone into a temporary folder, time `make demo` there
python benchmarks/demo_time.py --keep /tmp/demo   # keep the clone (its runs/ and report) for a look

The clone starts with nothing: `make demo` creates its virtual environment from the package registries,
converts the embedded model into an empty cache (`REREC_CACHE` points into the temporary folder), prepares the
data, evaluates, warm-starts, trains and reports. Pip's own download cache is left alone: the registries are
the network here, and re-downloading torch measures the link, not rerec. The stage lines
`rerec demo` prints are kept with their times, so a slow stage shows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from common import write_result

ROOT = Path(__file__).resolve().parent.parent
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")  # rerec's LOG_FORMAT starts with the time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="clone here and keep it (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone = args.keep or Path(tmp) / "rerec"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True)
        began = time.perf_counter()
        stages, printed = [], []
        env = {**os.environ, "REREC_CACHE": str(Path(tmp) / "cache")}
        with subprocess.Popen(["make", "demo"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) as proc:  # fmt: skip
            for line in proc.stdout:
                if "rerec.demo:" in line:  # the stage log of `rerec demo`
                    stage = line.split("rerec.demo:", 1)[1].strip()
                    stages.append({"at_s": round(time.perf_counter() - began, 1), "line": stage})
                    printed = []
                elif not LOG_LINE.match(line):  # what the demo prints after its last stage: table and examples
                    printed.append(line.rstrip("\n"))
        seconds = time.perf_counter() - began
        result = {
            "commit": head.stdout.strip(),
            "exit_code": proc.returncode,
            "minutes": round(seconds / 60, 1),
            "stages": stages,
            "printed": "\n".join(printed).strip(),
            "goal_minutes": 30,
        }
    rows = "\n".join(f"| {s['at_s'] / 60:.1f} | {s['line']} |" for s in stages)
    markdown = f"`make demo` on a fresh clone of {result['commit']}: {result['minutes']} min (exit {proc.returncode})."
    markdown += f"\n\n| minute | stage |\n|---|---|\n{rows}" if stages else ""
    markdown += f"\n\nWhat it printed:\n\n```text\n{result['printed']}\n```" if result["printed"] else ""
    write_result("demo_time", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
