"""One line describing the machine a number was measured on, for benchmark results and reports."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# CPU features that run bfloat16 matmuls natively. Without them PyTorch emulates bf16 on the CPU: measured on a
# 2-core AMD EPYC (AVX2 only), a 512x576x1536 matmul took 767 ms under bf16 autocast vs 29 ms in fp32.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (x86 `flags`, Arm `Features`); empty where unreadable."""
    info = Path("/proc/cpuinfo")
    if not info.is_file():
        return set()
    for line in info.read_text().splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def native_cpu_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (else bf16 is many times slower than fp32 here)."""
    return bool(cpu_flags() & set(NATIVE_BF16_FLAGS))


def machine() -> str:
    """CPU model, core count and Python version, e.g. "Intel(R) Xeon(R) Processor, 2 cores, Python 3.11.7"."""
    cpu = platform.processor() or "unknown cpu"
    info = Path("/proc/cpuinfo")
    if info.is_file():
        lines = info.read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), cpu)
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


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
