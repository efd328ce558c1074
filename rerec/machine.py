"""The machine a number was measured on (one line for benchmark results and reports) and what it computes fastest:
its matmul peak per dtype, and whether bfloat16 pays on its CPU."""

from __future__ import annotations

import functools
import os
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def machine() -> str:
    """CPU model, core count and Python version, e.g. "Intel(R) Xeon(R) Processor, 2 cores, Python 3.11.7"."""
    cpu = platform.processor() or "unknown cpu"
    info = Path("/proc/cpuinfo")
    if info.is_file():
        lines = info.read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), cpu)
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def cpu_flags(names: tuple[str, ...] = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")) -> list[str]:
    """Which of `names` the CPU reports (`/proc/cpuinfo`; none elsewhere): the features that decide whether bf16
    runs natively. Recorded beside kept results because a session's host can change under the same files."""
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.is_file() else []
    flags = set(next((ln.split(":", 1)[1].split() for ln in lines if ln.startswith("flags")), ()))
    return [name for name in names if name in flags]


def matmul_peak(dtype: torch.dtype, size: int = 2048, budget_s: float = 1.0) -> float:
    """FLOP/s of a square `size` matmul in `dtype` on this process's threads: the ceiling a training step's share
    of peak is measured against (a fixed number per CPU would hide the ~2x spread between the boxes here). Runs
    about `budget_s`: an emulated dtype (bf16 without AVX512-BF16) takes seconds per matmul."""
    import torch

    small = 512  # a probe first: an emulated dtype takes a minute for one 2048 matmul
    a, b = torch.randn(small, small, dtype=dtype), torch.randn(small, small, dtype=dtype)
    a @ b
    start = time.perf_counter()
    a @ b
    probe = time.perf_counter() - start
    if probe * (size / small) ** 3 > budget_s:
        return 2 * small**3 / probe
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b  # warm-up: kernel selection, page faults
    start, count = time.perf_counter(), 0
    while count < 3 or time.perf_counter() - start < budget_s:
        a @ b
        count += 1
    return 2 * size**3 * count / (time.perf_counter() - start)


@functools.cache
def bf16_faster_on_cpu() -> bool:
    """Whether bfloat16 matmuls beat fp32 on this CPU, measured once per process (about a second). Natively
    (AVX512-BF16, AMX) bf16 ran several times fp32 on the boxes here; emulated (an AVX2-only EPYC) a 512 matmul
    took 767 ms vs 29 ms in fp32. Measuring rather than reading CPU flags also catches a CPU that has the flag
    but not the kernels for it."""
    import torch

    return matmul_peak(torch.bfloat16, budget_s=0.3) > matmul_peak(torch.float32, budget_s=0.3)
