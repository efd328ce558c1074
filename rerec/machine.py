"""One line describing the machine a number was measured on, for benchmark results and reports."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """CPU model, core count and Python version, e.g. "Intel(R) Xeon(R) Processor, 2 cores, Python 3.11.7"."""
    cpu = platform.processor() or "unknown cpu"
    info = Path("/proc/cpuinfo")
    if info.is_file():
        lines = info.read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), cpu)
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
