"""Process-wide settings that make long CPU runs fast: how glibc's allocator treats PyTorch's large blocks.

A training step allocates and frees activations of tens of MB thousands of times. glibc serves every block above
its mmap threshold (at most 32 MiB) with a fresh `mmap` and unmaps it on free, so the kernel zeroes every 4 KiB
page again on the next use: millions of page faults per step. Telling glibc to serve all blocks from its heap and
to keep freed memory (instead of trimming it back to the OS) makes the pages fault once per process.
`keep_freed_memory()` does that through `mallopt` (a no-op where the C library is not glibc); every `rerec`
command calls it first. Measured on 2 AMD EPYC cores, a cpu-demo update (4 micro-batches) after a rollout
batch: 6.2 -> 1.9 million page faults, 64.5 -> 59.1 s; with huge pages as well (`rerec/__init__.py`), 31
thousand faults and 58.4 s.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
_TRIM_AT = 2**31 - 1  # the largest threshold mallopt takes: freed memory stays mapped


def keep_freed_memory() -> bool:
    """Serve large blocks from the heap and never trim it; True when glibc took both settings."""
    path = ctypes.util.find_library("c")
    if path is None:
        return False
    libc = ctypes.CDLL(path)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:  # musl and other C libraries: their allocator, their rules
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, _TRIM_AT))
    logger.debug("glibc allocator: large blocks from the heap, freed memory kept (%s)", done)
    return done
