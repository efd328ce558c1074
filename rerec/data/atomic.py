"""Write a whole output folder or nothing: build it beside the target, then swap it in with renames."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces `target`, on any error it is deleted.

    A crash or kill mid-way leaves at most a hidden `.name-*` staging folder, never a half-written target.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def swap_in(staging: Path, target: Path) -> None:
    """Move the finished folder `staging` to `target` by renames on one file system; an old `target` is moved
    aside first and deleted after, so a kill at any point leaves the old folder or the new one under the name."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, target)
