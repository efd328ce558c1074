"""`ReRecTrainer`: TRL's `GRPOTrainer` plus RAAE token advantages, the online curriculum and rerec's speed and
sampling options, each a mixin in its own module.

The seams on TRL, and who takes them:
- `_calculate_rewards`: kept here (the gathered per-function rewards), timed by `StepTiming`;
- `_generate_and_score_completions`: here, TRL's generation and scoring, then ReRec's shaping (the curriculum's
  difficulty update, RAAE's (B, T) advantages, which TRL's loss accepts as they are) and, with dynamic sampling,
  tied groups replaced (`DynamicSampling`);
- `_get_train_sampler`, `save_extra_state`, `train`: `OnlineCurriculum`;
- `_generate_single_turn`: `SharedPrefillRollouts` (each prompt encoded once for its G copies);
- `_get_per_token_logps_and_entropies`: `SharedPrefixLoss` (the same, in the log-prob and loss forwards);
- `_generate`, `training_step`: `StepTiming` (generation / scoring / log-probs / update per step).
Every rollout, its rewards and its penalised steps go to `rollouts.jsonl` (`RolloutLog`).
Checkpoints are Transformers' own, staged and renamed by `AtomicCheckpoints`.
"""

from __future__ import annotations

import torch
from trl import GRPOTrainer

from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.rewards.shaping import weighted_rewards
from rerec.task.answer import AnswerReader
from rerec.training.checkpoints import AtomicCheckpoints
from rerec.training.dynamic_sampling import DynamicSampling, tied_groups
from rerec.training.metrics_log import JsonlMetrics
from rerec.training.online_curriculum import OnlineCurriculum
from rerec.training.raae_advantages import RAAEAdvantages
from rerec.training.rollout_log import RolloutLog
from rerec.training.rollouts import SharedPrefillRollouts
from rerec.training.shared_prefix import SharedPrefixLoss
from rerec.training.timing import StepTiming


class ReRecTrainer(
    OnlineCurriculum,
    AtomicCheckpoints,
    DynamicSampling,
    RAAEAdvantages,
    RolloutLog,
    SharedPrefixLoss,
    SharedPrefillRollouts,
    StepTiming,
    GRPOTrainer,
):
    """GRPO with ReRec's components; `reader`, `graph` and `catalog` are the ones the rewards use, `facts` whether
    the prompts show graph facts."""

    def __init__(self, *args, reader: AnswerReader, graph: KnowledgeGraph, catalog, facts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.reader, self.graph, self.catalog, self.facts = reader, graph, catalog, facts
        self._rewards_per_func: torch.Tensor | None = None
        self.add_callback(JsonlMetrics())

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self._rewards_per_func

    def _generate_and_score_completions(self, inputs):
        output = self._scored(inputs)
        if self.args.dynamic_sampling and self.model.training:
            output = self._refill_tied_groups(inputs, output)
        return output

    def _scored(self, inputs):
        """TRL's generation and scoring of `inputs`, then ReRec's reward shaping."""
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training or self._rewards_per_func is None:
            return output
        with self._timed("scoring"):
            return self._reward_shaping(inputs, output)

    def _reward_shaping(self, inputs, output: dict) -> dict:
        """The curriculum's difficulty update and RAAE's token-level advantages, from the rewards TRL computed;
        `groups/accuracy_tied`: the share of groups whose rollouts are all equally right (NDCG), which gives no
        accuracy signal even where format or QAS/PAS make the total reward differ (TRL's `frac_reward_zero_std`)."""
        per_func = self._rewards_per_func
        rewards, accuracy = weighted_rewards(per_func, self.reward_weights), self._accuracy_rewards(per_func)
        if "ndcg_reward" in self.reward_func_names:
            tied = tied_groups(accuracy, self.num_generations)
            self._metrics["train"]["groups/accuracy_tied"].append(sum(tied) / len(tied))
        if self.tracker is not None:
            signal = accuracy if self.args.curriculum_signal == "accuracy" else rewards
            self._update_curriculum(inputs, signal, rewards)
        token_advantages, penalised = (
            self._token_advantages(inputs, output, rewards) if self.args.raae else (None, None)
        )
        self._log_rollouts(inputs, output, per_func, penalised)  # with TRL's scalar advantages, before RAAE's
        if token_advantages is not None:
            output["advantages"] = token_advantages
        return output

    def _accuracy_rewards(self, per_func: torch.Tensor) -> torch.Tensor:
        """The accuracy (NDCG) column of per-function rewards (all processes), or the total reward where no
        accuracy reward is trained."""
        if "ndcg_reward" not in self.reward_func_names:
            return weighted_rewards(per_func, self.reward_weights)
        return per_func[:, self.reward_func_names.index("ndcg_reward")]
