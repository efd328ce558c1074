"""Latency and throughput of `POST /v1/recommend` on loopback with the embedded model on CPU (k = 10).

Starts `rerec serve`'s app in this process (uvicorn on 127.0.0.1, a free port) and its HTTP clients in a second
process, so that what is timed is the server's work, not the clients' (on 2 AMD EPYC cores, 2026-12-03, the p50
was 5.66 s with the clients inside the server's process and 5.55 s outside: they were not the cost). Then:
1. one client, sequential requests: p50 / p95 latency and requests/s;
2. `--clients` concurrent clients for `--seconds`: requests/s, p50 / p95, and the batch sizes the server ran.
The queries are the held-out test split's own query texts (explicit, implicit, misinformed), in order.

python benchmarks/serve_latency.py --json                              # trained model if present, else base
python benchmarks/serve_latency.py --model smollm2-135m-instruct --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
from common import write_result

from rerec.data.queries.schema import read_queries
from rerec.serve.api import ServeConfig, background_server, create_app
from rerec.serve.assistant import Assistant, AssistantConfig
from rerec.serve.console import default_model


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def queries(prepared: Path, per_type: int = 20) -> list[str]:
    """Held-out test queries, the condition types interleaved."""
    rows = read_queries(prepared / "queries" / "test.parquet")
    kinds = ("explicit", "implicit", "misinformed")
    by_type = [[r["query"] for r in rows if r["type"] == t][:per_type] for t in kinds]
    return [q for trio in zip(*by_type, strict=False) for q in trio]


async def client(base: str, texts: list[str], start: int, until: float, latencies: list[float], timings: list[dict],
                 errors: list[int]):  # fmt: skip
    async with httpx.AsyncClient(base_url=base, timeout=300) as http:
        n = start
        while time.perf_counter() < until:
            began = time.perf_counter()
            resp = await http.post("/v1/recommend", json={"query": texts[n % len(texts)], "k": 10})
            if resp.status_code == 200:
                latencies.append(time.perf_counter() - began)
                timings.append(resp.json()["timings"])
            else:
                errors.append(resp.status_code)
            n += 1


def phase(base: str, texts: list[str], clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    timings: list[dict] = []  # the server's own account of each answer (`Response.timings`)
    errors: list[int] = []
    began = time.perf_counter()
    until = began + seconds

    async def run():
        await asyncio.gather(*(client(base, texts, c * 7, until, latencies, timings, errors) for c in range(clients)))

    asyncio.run(run())
    wall = time.perf_counter() - began
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "wall_s": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 3),
        "p50_s": round(percentile(latencies, 0.5), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        **{
            f"server_{key}_p50": round(percentile([t[key] for t in timings], 0.5), 3) if timings else None
            for key in ("retrieval_s", "generation_s", "verify_s", "tokens")
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="default: runs/cpu-demo/final if trained, else the base model")
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--dtype", default="bfloat16", help="weights, as `rerec serve --dtype`")
    parser.add_argument("--max_facts", type=int, default=AssistantConfig.max_facts, help="as `rerec serve`")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    model = args.model or default_model()
    cfg = AssistantConfig(model_name_or_path=model, prepared=args.prepared, dtype=args.dtype, max_facts=args.max_facts)
    assistant = Assistant.load(cfg)
    texts = queries(Path(args.prepared))
    app = create_app(assistant, ServeConfig(max_batch=args.clients, max_queue=4 * args.clients))
    clients = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    with clients, background_server(app) as base:
        clients.submit(phase, base, texts, 1, min(10.0, args.seconds / 4)).result()  # warm-up: one-off costs
        single = clients.submit(phase, base, texts, 1, args.seconds).result()
        before = len(app.state.batcher.batches)
        many = clients.submit(phase, base, texts, args.clients, args.seconds).result()
        many["mean_batch"] = round(statistics.fmean(app.state.batcher.batches[before:] or [0]), 2)
    ratio = round(many["requests_per_s"] / single["requests_per_s"], 2) if single["requests_per_s"] else None
    result = {
        "model": model,
        "dtype": args.dtype,
        "prepared": args.prepared,
        "k": 10,
        "max_facts": args.max_facts,
        "p50_s": single["p50_s"],
        f"throughput_ratio_{args.clients}_clients": ratio,
        "single": single,
        "concurrent": many,
        "goal": "p50 <= 1.5 s with one client; 8 clients >= 3x the single-client throughput",
    }
    rows = [
        "| clients | requests | errors | req/s | p50 s | p95 s |",
        "|---|---|---|---|---|---|",
        *(
            "| "
            + " | ".join(str(p[c]) for c in ("clients", "requests", "errors", "requests_per_s", "p50_s", "p95_s"))
            + " |"
            for p in (single, many)
        ),
    ]
    markdown = (
        f"Model `{model}` ({args.dtype}), k = 10, {args.max_facts} facts in the prompt, loopback.\n\n"
        + "\n".join(rows)
    )
    markdown += f"\n\nThroughput with {args.clients} clients: {ratio}x (mean batch {many['mean_batch']})."
    markdown += (
        f" One client, medians of the server's own timings: retrieval {single['server_retrieval_s_p50']} s, "
        f"generation {single['server_generation_s_p50']} s for {single['server_tokens_p50']} tokens, "
        f"verification {single['server_verify_s_p50']} s."
    )
    write_result("serve_latency" if args.dtype == "bfloat16" else f"serve_latency_{args.dtype}", result, markdown)
    print(json.dumps(result, indent=2) if args.json else markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
