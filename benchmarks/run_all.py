"""Every benchmark in one command: runs each script in its own process, gathers their JSON, and writes
`benchmarks/results/<date>-<machine>.json` (`results/quick/...` with `--quick`) plus a Markdown table of the
headline numbers. A run with `--only` updates its benchmarks in that day's file and keeps the others.

python benchmarks/run_all.py --quick --json      # small settings, about 10 min on 2 cores
python benchmarks/run_all.py                     # the settings the docs quote (an hour or more on 2 cores)
python benchmarks/run_all.py --only reward_throughput serve_latency
python benchmarks/run_all.py --docs              # also rewrite docs/performance.md's table from the results

Each script also keeps writing its own `results/<name>.json` (`results/quick/<name>.json` with `--quick`, so small
settings never replace the full numbers). A script that fails is reported with its exit
code and the end of its output; the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from common import RESULTS

from rerec.machine import machine

HERE = Path(__file__).parent
PERFORMANCE_DOC = HERE.parent / "docs" / "performance.md"
MARKERS = ("<!-- benchmarks:start -->", "<!-- benchmarks:end -->")


@dataclass(frozen=True)
class Bench:
    """One script: its arguments in quick and full mode and how its result reads in one table cell."""

    name: str
    quick: tuple[str, ...]
    full: tuple[str, ...]
    headline: Callable[[dict], str]
    what: str


def _verifier(r: dict) -> str:
    o = r["overall"]
    return f"'false' precision {o['false_precision']:.3f}, recall {o['false_recall']:.3f} ({o['statements']:,} claims)"


def _throughput(r: dict) -> str:
    s = r["settings"]
    return ", ".join(f"{name} {row['tokens_per_s']:.0f} tok/s" for name, row in s.items())


def _step_profile(r: dict) -> str:
    return (
        f"update {r['update_peak_share']:.0%} of matmul peak; drift {r['drift']} (per token {r['drift_per_token']}); "
        f"peak RSS {r['peak_rss_gb']} GB; {r['step_s_median']} s/step"
    )


def _serve(r: dict) -> str:
    one, many = r["single"], r["concurrent"]
    ratio = r[f"throughput_ratio_{many['clients']}_clients"]
    return (
        f"p50 {one['p50_s']} s / p95 {one['p95_s']} s (1 client); {many['clients']} clients "
        f"{ratio}x the throughput, p50 {many['p50_s']} s; "
        f"errors {one['errors'] + many['errors']}"
    )


def _decode(r: dict) -> str:
    rows = "; ".join(
        f"{p['rows']} row{'s' * (p['rows'] > 1)} {p['step_ms']} ms a step ({p['split_ms']['matmuls']} matmuls)"
        for p in r["profiles"]
    )
    return f"{rows}; the weights alone {r['weights_alone_ms']} ms ({r['weights_alone_gb_per_s']} GB/s)"


def _curriculum(r: dict) -> str:
    text = f"zero-variance {r['zero_std_share_on']:.1%} on vs {r['zero_std_share_off']:.1%} off (ratio {r['ratio']})"
    if r.get("after_first_pass_ratio") is not None:
        text += f"; after the first pass {r['after_first_pass_on']:.1%} vs {r['after_first_pass_off']:.1%}"
    return text


BENCHES = (
    Bench("prepare_time", ("--repeats", "1"), ("--repeats", "3"),
          lambda r: f"{r['seconds_median']} s ({r['total_queries']:,} queries)", "`rerec prepare` on ml-100k"),
    Bench("reward_throughput", ("--completions", "4000"), (),
          lambda r: f"{r['completions_per_s']:,} completions/s; open grounding {r['open_grounding_titles_per_s']:,} "
                    f"titles/s, {r['open_grounding_accuracy']:.1%} right", "all rewards, one core"),
    Bench("lightgcn_quality", (), (),
          lambda r: f"recall@20 {r['lightgcn_recall@20']} vs popularity {r['popularity_recall@20']}",
          "LightGCN on held-out likes"),
    Bench("verifier_precision", ("--queries", "100"), (), _verifier, "step verifier on generated statements"),
    Bench("train_throughput", ("--steps", "1", "--length", "256"), (), _throughput, "training tokens/s"),
    Bench("train_overhead", ("--steps", "2"), ("--model", "runs/cpu-sft/final", "--completion", "128", "--steps", "5"),
          lambda r: f"ratio {r['step_time_ratio']} ({r['rerec_step_s']} vs {r['plain_step_s']} s/step)",
          "ReRec vs plain TRL GRPO step time"),
    Bench("train_step_profile", ("--steps", "3", "--model", "smollm2-135m-instruct"), ("--steps", "50"),
          _step_profile, "a real `cpu-demo` step: share of peak, drift, memory"),
    Bench("generation_speed",
          ("--model", "smollm2-135m-instruct", "--new_tokens", "16", "--eval_prompts", "4", "--eval_tokens", "32",
           "--repeats", "1"), (),
          lambda r: f"{r['speedup']}x plain `generate` (rollouts), greedy {r['greedy_speedup']}x with "
                    f"{r['greedy_match_share']:.0%} identical answers", "rerec's generation path vs `generate`"),
    Bench("decode_profile", ("--model", "smollm2-135m-instruct", "--rows", "1", "--short", "8", "--long", "24"), (),
          _decode, "a decoded token: matmuls, attention, other ops, Python"),
    Bench("curriculum_efficiency", ("--steps", "6", "--queries", "12"), (), _curriculum, "curriculum on vs off"),
    Bench("serve_latency", ("--seconds", "20"), ("--seconds", "60"), _serve, "`POST /v1/recommend`, k = 10"),
    Bench("prompt_settings", ("--max_queries", "12", "--out", "runs/prompt-settings-quick"), (),
          lambda r: ", ".join(f"{k} Hit@1 {v['hit@1']:.3f} ({v['prompt_tokens_mean']} prompt tokens)"
                              for k, v in r["settings"].items()), "serving prompt: facts and candidates shown"),
    Bench("demo_time", (), (), lambda r: f"{r['minutes']} min", "`rerec demo` from a fresh clone (full mode only)"),
)  # fmt: skip


def run(bench: Bench, quick: bool) -> dict:
    script = HERE / f"{bench.name}.py"
    argv = [sys.executable, str(script), *(bench.quick if quick else bench.full), "--json"]
    folder = RESULTS / "quick" if quick else RESULTS
    env = {**os.environ, "REREC_BENCH_RESULTS": str(folder)}
    began = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=HERE.parent, env=env)
    seconds = round(time.perf_counter() - began, 1)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-2000:]
        return {"ok": False, "exit_code": proc.returncode, "seconds": seconds, "tail": tail}
    # the script's own result file, not its stdout, which may carry log lines before the JSON
    written = folder / f"{bench.name}.json"
    if not written.is_file() or written.stat().st_mtime < time.time() - seconds:
        return {"ok": False, "exit_code": 0, "seconds": seconds, "tail": f"{written} was not written"}
    return {"ok": True, "seconds": seconds, "result": json.loads(written.read_text())}


def table(results: dict[str, dict]) -> str:
    rows = ["| benchmark | what | result | run time |", "|---|---|---|---|"]
    for bench in BENCHES:
        entry = results.get(bench.name)
        if entry is None:
            continue
        cell = bench.headline(entry["result"]) if entry["ok"] else f"FAILED (exit {entry['exit_code']})"
        rows.append(f"| `{bench.name}.py` | {bench.what} | {cell} | {entry['seconds']} s |")
    return "\n".join(rows)


def rewrite_docs(markdown: str, stamp: str) -> None:
    text = PERFORMANCE_DOC.read_text()
    start, end = MARKERS
    if start not in text or end not in text:
        raise SystemExit(f"{PERFORMANCE_DOC} has no {start} ... {end} block to rewrite")
    block = f"{start}\n{stamp}\n\n{markdown}\n{end}"
    PERFORMANCE_DOC.write_text(re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _m: block, text, flags=re.S))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small settings (about 10 min on 2 cores)")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES], help="run just these")
    parser.add_argument("--docs", action="store_true", help="rewrite the benchmark table in docs/performance.md")
    parser.add_argument("--json", action="store_true", help="print the gathered results as JSON")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if (args.only is None or b.name in args.only)]
    if args.quick:
        chosen = [b for b in chosen if b.name != "demo_time"]  # half an hour: full mode only
    today, where = date.today().isoformat(), machine()
    slug = re.sub(r"[^a-z0-9]+", "-", where.casefold()).strip("-")[:60]
    mode = "quick" if args.quick else "full"
    folder = RESULTS / "quick" if args.quick else RESULTS
    path = folder / f"{today}-{slug}.json"
    results = json.loads(path.read_text())["benchmarks"] if path.is_file() else {}
    for bench in chosen:
        print(f"running {bench.name} ...", file=sys.stderr, flush=True)
        results[bench.name] = run(bench, args.quick)
        status = "ok" if results[bench.name]["ok"] else "FAILED"
        print(f"  {status} in {results[bench.name]['seconds']} s", file=sys.stderr, flush=True)
    gathered = {"date": today, "machine": where, "mode": mode, "benchmarks": results}
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gathered, indent=2) + "\n")
    markdown = table(results)
    stamp = f"{where}, {today}, `run_all.py{' --quick' if args.quick else ''}`."
    path.with_suffix(".md").write_text(f"# All benchmarks ({mode})\n\n{stamp}\n\n{markdown}\n")
    if args.docs:
        rewrite_docs(markdown, stamp)
    print(json.dumps(gathered, indent=2) if args.json else markdown)
    return 0 if all(results[b.name]["ok"] for b in chosen) else 1


if __name__ == "__main__":
    raise SystemExit(main())
