"""Output folders rerec may write: whole or nothing, and never over a folder that is not rerec's own.

Every command that writes a folder claims it first (`claim_folder`): the folder must be absent, empty, or a
folder rerec wrote before for the same command, recognisable by the marker file `.rerec-output.json` that every
such folder carries. A folder of the same kind is replaced only with `--overwrite` (or continued, by commands
that resume: `eval`, `train --resume`); anything else — a user's own folder, a plain file, the input data, the
current folder — is refused with the reason, before any work is done.

Whole folders (`prepare`, `fetch`) are built beside the target and swapped in with renames
(`atomic_folder`); a kill leaves at most a hidden staging folder, which the next run for the same target removes.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

MARKER = ".rerec-output.json"
RESUMABLE = ("train", "sft")  # kinds whose command has a --resume flag
_STAGING = re.compile(r"^\.(?P<name>.+)-(?:staging|old)-(?P<pid>\d+)-[^/]+$")


class OutputFolderError(ValueError):
    """rerec refuses to write an output folder; the message names the folder, the reason and the way out."""


def folder_kind(folder: Path) -> str | None:
    """The command that wrote `folder` (its marker's `kind`), or None when it carries no readable marker."""
    try:
        kind = json.loads((Path(folder) / MARKER).read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def mark(folder: Path, kind: str) -> None:
    """Write the marker that lets a later run recognise `folder` as rerec's `kind` output. Deterministic (no
    time stamp): a prepared folder stays byte-identical for one seed."""
    (Path(folder) / MARKER).write_text(json.dumps({"kind": kind, "written_by": "rerec"}) + "\n")


def check_folder(
    folder: Path, kind: str, overwrite: bool = False, reuse: bool = False, inputs: Sequence[Path | None] = ()
) -> None:
    """Raise `OutputFolderError` unless rerec may write its `kind` output to `folder`.

    Args:
        folder (`Path`): The output folder asked for.
        kind (`str`): The command writing it (`prepare`, `eval`, `train`, ...); the marker must name the same.
        overwrite (`bool`, *optional*, defaults to `False`): Replace an earlier output of the same kind.
        reuse (`bool`, *optional*, defaults to `False`): Write into an earlier output of the same kind again
            (commands that continue their own folder: `eval`, `retention`, `train --resume`).
        inputs (`Sequence[Path | None]`, *optional*): Folders the command reads; the output may be neither one
            of them, nor inside one, nor contain one.
    """
    target = Path(folder).expanduser().resolve()
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        raise OutputFolderError(
            f"{folder}: the output folder is the current folder or contains it; name a new folder, e.g. runs/{kind}"
        )
    for source in inputs:
        if source is None:
            continue
        src = Path(source).expanduser().resolve()
        if target == src or src in target.parents or target in src.parents:
            raise OutputFolderError(
                f"{folder}: the output folder would overlap the input folder {source}; write it somewhere else"
            )
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        raise OutputFolderError(f"{folder} exists and is not a folder; rerec will not replace it")
    if not any(target.iterdir()):
        return
    found = folder_kind(target)
    if found is None:
        raise OutputFolderError(
            f"{folder} exists and was not written by rerec (no {MARKER}); rerec never replaces such a folder: "
            "choose a new output folder, or move this one away yourself. (A rerec folder from before markers: "
            f"""echo '{{"kind": "{kind}"}}' > {Path(folder) / MARKER})"""
        )
    if found != kind:
        raise OutputFolderError(f"{folder} holds a rerec {found!r} output, not a {kind!r} one; choose another folder")
    if not (overwrite or reuse):
        also = " (or --resume to continue it)" if kind in RESUMABLE else ""
        raise OutputFolderError(f"{folder} holds an earlier rerec {kind} output; pass --overwrite to replace it{also}")


def claim_folder(
    folder: Path, kind: str, overwrite: bool = False, reuse: bool = False, inputs: Sequence[Path | None] = ()
) -> Path:
    """`check_folder`, then create `folder` and mark it: for commands that write their files in place. With
    `overwrite`, an earlier output of the same kind is emptied first (no stale checkpoint or plot survives)."""
    check_folder(folder, kind, overwrite, reuse, inputs)
    folder = Path(folder)
    if overwrite and not reuse and folder_kind(folder) == kind:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if folder_kind(folder) != kind:
        mark(folder, kind)
    return folder


@contextlib.contextmanager
def atomic_folder(target: Path, kind: str, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces `target` (checked again by `check_folder` first), on any
    error it is deleted. Staging folders of earlier, killed runs for the same target are removed first."""
    target = Path(target)
    check_folder(target, kind, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-staging-{os.getpid()}-", dir=target.parent))
    try:
        yield staging
        mark(staging, kind)
        os.chmod(staging, 0o755)
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale_staging(target: Path) -> list[Path]:
    """Delete hidden `.name-staging-PID-*` / `.name-old-PID-*` siblings of `target` whose process is gone (a
    kill mid-write); a live process's staging folder is left alone. Returns what was removed."""
    removed = []
    for entry in Path(target).parent.glob(f".{glob.escape(Path(target).name)}-*"):
        match = _STAGING.match(entry.name)
        if match and match["name"] == Path(target).name and not _alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def swap_in(staging: Path, target: Path) -> None:
    """Move the finished folder `staging` to `target` by renames on one file system; an old `target` is moved
    aside first and deleted after, so a kill at any point leaves the old folder or the new one under the name."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-{os.getpid()}-", dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, target)
