"""`OnlineCurriculum`: a `GRPOTrainer` mixin that serves training queries from `rerec.training.curriculum`'s
sampler, feeds its difficulty tracker from each scored batch, and keeps the tracker in every checkpoint so that
`--resume` continues the same curriculum."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from accelerate.utils import gather_object

from rerec.training.checkpoints import last_complete_checkpoint
from rerec.training.curriculum import CurriculumSampler, CurriculumSettings, DifficultyTracker
from rerec.training.dynamic_sampling import tied_groups

logger = logging.getLogger(__name__)

CURRICULUM_FILE = "curriculum.json"


class OnlineCurriculum:
    """Active when `args.curriculum`; `tracker` is None otherwise. Place it before `AtomicCheckpoints`, whose
    `save_extra_state` is the no-op this overrides."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker: DifficultyTracker | None = None
        if self.args.curriculum:
            a = self.args
            settings = CurriculumSettings(
                tau=a.curriculum_tau, replay=a.curriculum_replay, park_after=a.curriculum_park_after,
                park_epochs=a.curriculum_park_epochs, min_active=a.curriculum_min_active,
                round_size=a.curriculum_round_size, order=a.curriculum_order,
            )  # fmt: skip
            data = self.train_dataset
            self.tracker = DifficultyTracker(data["type"], data["num_conditions"], settings)

    def _get_train_sampler(self, dataset=None):
        if self.tracker is None:
            return super()._get_train_sampler(dataset)
        return CurriculumSampler(
            self.tracker,
            mini_repeat_count=self.num_generations,
            batch_size=self.args.generation_batch_size // self.num_generations,
            repeat_count=self.num_iterations * self.args.steps_per_generation,
            seed=self.args.seed,
        )

    def _update_curriculum(self, inputs, signal: torch.Tensor, rewards: torch.Tensor) -> None:
        """Each group's difficulty from `signal` (the accuracy or the total reward of every process's rollouts);
        a group counts as tied on the total `rewards`, TRL's zero-std test."""
        indices = gather_object([row["query_index"] for row in inputs])
        size = self.num_generations
        tied = tied_groups(rewards, size)
        values = signal.tolist()
        for group, start in enumerate(range(0, len(indices), size)):
            self.tracker.update(int(indices[start]), values[start : start + size], tied=tied[group])
        metrics = self._metrics["train"]
        for name, count in self.tracker.counts().items():
            metrics[f"curriculum/{name}"].append(float(count))
        for i, count in enumerate(self.tracker.histogram()):
            metrics[f"curriculum/difficulty_bin{i}"].append(float(count))

    def save_extra_state(self, folder: Path) -> None:
        if self.tracker is not None:
            (folder / CURRICULUM_FILE).write_text(json.dumps(self.tracker.state_dict()))
        super().save_extra_state(folder)

    def train(self, resume_from_checkpoint=None, **kwargs):
        if resume_from_checkpoint is True:
            required = (CURRICULUM_FILE,) if self.tracker is not None else ()
            resume_from_checkpoint = last_complete_checkpoint(Path(self.args.output_dir), required)
        if resume_from_checkpoint and self.tracker is not None:
            path = Path(resume_from_checkpoint) / CURRICULUM_FILE
            if path.is_file():
                self.tracker.load_state_dict(json.loads(path.read_text()))
                logger.info("curriculum state restored from %s", path)
        return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)
