"""Checkpoints that are whole or absent: each save is staged in a hidden folder, then renamed into place.

Transformers writes `checkpoint-N/` file by file, so a kill or a full disk in the middle of a save used to
leave a folder that looked like a checkpoint. `AtomicCheckpoints`, mixed into any `transformers.Trainer`, points
the save at `.staging-checkpoint-N/`, lets the trainer add its own resumable state (`save_extra_state`), and
renames the finished folder into place. A failed save deletes its staging folder (on a full disk that frees the
space again) and re-raises; a killed one leaves only the hidden folder, removed by the next save.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints, sort_checkpoints

from rerec.data.atomic import swap_in

STAGING_PREFIX = ".staging-"

logger = logging.getLogger(__name__)


class AtomicCheckpoints:
    """Mixin placed before the trainer class: `class T(AtomicCheckpoints, GRPOTrainer)`.

    The seam is `_get_output_dir`, which Transformers' `_save_checkpoint` asks for the run folder: during a save
    it answers with the staging folder, so every file the trainer and its parents write lands there. Every
    process uses the same staging path (ZeRO-3 shards are written by all ranks); only the main one renames.
    """

    _staging_dir: str | None = None

    def _get_output_dir(self, trial) -> str:
        return self._staging_dir or super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial) -> None:
        run_dir = Path(super()._get_output_dir(trial))
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staging = run_dir / f"{STAGING_PREFIX}{name}"
        main = self.args.should_save
        if main:
            for stale in run_dir.glob(f"{STAGING_PREFIX}*"):  # left by a kill during an earlier save
                shutil.rmtree(stale, ignore_errors=True)
        self.accelerator.wait_for_everyone()
        self._staging_dir = str(staging)
        try:
            super()._save_checkpoint(model, trial)
            if main:
                self.save_extra_state(staging / name)
            self.accelerator.wait_for_everyone()
            if main:
                swap_in(staging / name, run_dir / name)
        except BaseException:
            if main:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            self._staging_dir = None
        if main:
            shutil.rmtree(staging, ignore_errors=True)  # empty now, unless a parent wrote beside the checkpoint
            best = self.state.best_model_checkpoint
            if best and best.startswith(str(staging)):
                self.state.best_model_checkpoint = str(run_dir / Path(best).name)
            rotate_checkpoints(str(run_dir), self.args.save_total_limit, self.state.best_model_checkpoint)
        self.accelerator.wait_for_everyone()

    def save_extra_state(self, folder: Path) -> None:
        """Write the trainer's own resumable state into the staged checkpoint `folder` (main process only)."""


def complete_checkpoints(output_dir: Path, required: Sequence[str] = ()) -> list[str]:
    """Checkpoints whose save finished, oldest first: their `trainer_state.json` and each `required` file (a
    trainer's extra state) parse. Saves are staged and renamed, so this guards folders written another way, e.g.
    by an older rerec; one that fails is skipped with a warning."""
    out = []
    for folder in sort_checkpoints(str(output_dir)):  # Transformers' order, the one rotation keeps
        if all(_parses(Path(folder) / name) for name in ("trainer_state.json", *required)):
            out.append(folder)
        else:
            logger.warning("skipping %s: its save did not finish", folder)
    return out


def last_complete_checkpoint(output_dir: Path, required: Sequence[str] = ()) -> str | None:
    """The newest of `complete_checkpoints`, or None."""
    done = complete_checkpoints(output_dir, required)
    return done[-1] if done else None


def _parses(path: Path) -> bool:
    try:
        json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return True
