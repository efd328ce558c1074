"""`rerec train` configuration: `ReRecConfig`, a `GRPOConfig` with ReRec's switches.

Vanilla GRPO is ReRec with every component off (`--qas false --pas false --raae false --curriculum false`, and
`--dynamic_sampling false` where a preset such as `cpu-demo` turns it on), everything else identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig, SFTConfig

from rerec.training.curriculum import CURRICULUM_ORDERS
from rerec.training.metrics_log import available_trackers
from rerec.training.raae import RAAE_NORMS, RAAE_TARGETS


@dataclass
class AutoReportTo:
    """Mixin for a transformers `TrainingArguments` subclass: `report_to` defaults to `"auto"`, the installed ones
    of TensorBoard and trackio (transformers' own default, `"none"`, would hide the curves unless asked)."""

    report_to: None | str | list[str] = field(
        default="auto",
        metadata={"help": "'auto' (TensorBoard/trackio when installed), 'none', 'all' or integration names."},
    )

    def __post_init__(self) -> None:
        if self.report_to in ("auto", ["auto"]):
            self.report_to = available_trackers() or "none"
        super().__post_init__()


@dataclass
class WarmStartConfig(AutoReportTo, SFTConfig):
    """`rerec sft`'s configuration: TRL's `SFTConfig` with `report_to: auto`."""


@dataclass
class ReRecConfig(AutoReportTo, GRPOConfig):
    r"""
    Configuration for [`ReRecTrainer`]: every [`~trl.GRPOConfig`] field, plus:

    > New Parameters

    raae (`bool`, *optional*, defaults to `True`):
        Reasoning-aware advantages: penalise the tokens of incorrect reasoning segments.
    raae_penalty (`float`, *optional*, defaults to `0.3`):
        w_penalty: penalised tokens get the reward `r - w·|r|`.
    raae_scale_floor (`float`, *optional*, defaults to `0.25`):
        Smallest denominator of a penalised token's shift `w·|r| / scale` (rerec): groups whose rewards tie up to
        the 0.01-weighted QAS/PAS terms would otherwise multiply the penalty by up to 10^4.
    raae_norm (`str`, *optional*, defaults to `"scalar"`):
        How a penalty becomes an advantage: `"scalar"` (the paper with the group's scalar mean and std: a shift of
        `w·|r| / scale`), `"advantage"` (a shift of `w` in advantage space) or `"token"` (mean and std over the
        group's token rewards, clipped to `±raae_clip`; groups without a penalty keep GRPO's advantages).
    raae_clip (`float`, *optional*, defaults to `3.0`):
        Bound of `"token"` advantages.
    raae_verifier (`bool`, *optional*, defaults to `True`):
        Also penalise steps whose claims the knowledge graph refutes, in right answers too (rerec; facts prompts).
    raae_target (`str`, *optional*, defaults to `"mentions"`):
        Which steps of a wrong answer are penalised: `"mentions"` (every step naming a wrong answered item, the
        paper) or `"unverified"` (the same, sparing a step whose claims the graph all confirms, such as the
        correct first hop about a hinted film the model then boxed; facts prompts).
    curriculum (`bool`, *optional*, defaults to `True`):
        Order training queries easy to hard from live rollout difficulty.
    curriculum_tau (`float`, *optional*, defaults to `0.1`):
        Queries with difficulty below this are mastered and dropped (but for the replay share).
    curriculum_replay (`float`, *optional*, defaults to `0.1`):
        Share of mastered queries re-admitted to each round, against forgetting.
    curriculum_park_after (`int`, *optional*, defaults to `1`):
        Park a query after this many consecutive stuck looks: difficulty 1, or a group with no reward variance
        that is not mastered. Such a look gives GRPO no gradient; a parked query returns after
        `curriculum_park_epochs`.
    curriculum_park_epochs (`int`, *optional*, defaults to `1`):
        Epochs a parked query sits out after the current one.
    curriculum_round_size (`int`, *optional*, defaults to `64`):
        Queries per round; each round re-sorts the unvisited queries by their latest difficulty.
    curriculum_min_active (`int`, *optional*, defaults to `8`):
        Fewer active queries than this and a round takes the whole set.
    curriculum_signal (`str`, *optional*, defaults to `"accuracy"`):
        Difficulty from the accuracy (NDCG) reward or the whole `"shaped"` reward.
    curriculum_order (`str`, *optional*, defaults to `"easy_first"`):
        `"easy_first"` (paper) or `"learnability"` (rerec): a round takes and serves first the queries whose
        difficulty is nearest 0.5, where rollouts disagree; mastered replays and all-wrong queries go last.
    dynamic_sampling (`bool`, *optional*, defaults to `False`):
        DAPO-style dynamic sampling (rerec): a group whose rollouts are all equally right (the same accuracy
        reward) is replaced by the group of a fresh training prompt that disagrees, so fewer updates carry no
        accuracy signal. Costs the refills' rollouts; needs each process's generation batch to hold whole groups.
    dynamic_sampling_rounds (`int`, *optional*, defaults to `2`):
        Refill rounds per generation batch at most; groups still tied after them are trained as GRPO would.
    log_rollouts (`bool`, *optional*, defaults to `True`):
        Write every rollout (query, text, each reward, TRL's advantage, the steps RAAE penalised) to
        `<output_dir>/rollouts.jsonl`: which steps RAAE moved and which queries tied, not only how many.
    shared_prefix_loss (`bool`, *optional*, defaults to `False`):
        Score each distinct prompt once per micro-batch in the log-prob and loss forwards (`rerec.training.
        shared_prefix`), not once per rollout: the same numbers, a fraction of the tokens when prompts are long.
        Needs `gradient_checkpointing=False` and one process.
    shared_prefill (`bool`, *optional*, defaults to `True`):
        Roll out with rerec's generation path (`rerec.generation`: each prompt encoded once for its
        `num_generations` copies, a preallocated cache) instead of TRL's plain `generate`. Only for the
        transformers backend; vLLM and continuous batching keep their own.
    """

    raae: bool = field(default=True, metadata={"help": "Reasoning-aware advantage estimation."})
    raae_penalty: float = field(default=0.3, metadata={"help": "w_penalty for tokens of incorrect segments."})
    raae_scale_floor: float = field(
        default=0.25, metadata={"help": "Smallest std a penalty is divided by (tied groups would amplify it 10^4x)."}
    )
    raae_norm: str = field(
        default="scalar", metadata={"help": "'scalar' (paper: shift w|r|/std), 'advantage' (shift w) or 'token'."}
    )
    raae_clip: float = field(default=3.0, metadata={"help": "Bound of 'token' advantages."})
    raae_verifier: bool = field(default=True, metadata={"help": "Also penalise steps the graph refutes (rerec)."})
    raae_target: str = field(
        default="mentions", metadata={"help": "'mentions' (paper) or 'unverified' (spare steps the graph confirms)."}
    )
    curriculum: bool = field(default=True, metadata={"help": "Online easy-to-hard curriculum."})
    curriculum_tau: float = field(default=0.1, metadata={"help": "Mastery threshold on difficulty."})
    curriculum_replay: float = field(default=0.1, metadata={"help": "Replay share of mastered queries."})
    curriculum_park_after: int = field(default=1, metadata={"help": "Stuck looks in a row before parking."})
    curriculum_park_epochs: int = field(default=1, metadata={"help": "Epochs a parked query sits out."})
    curriculum_round_size: int = field(default=64, metadata={"help": "Queries per re-sorted round."})
    curriculum_min_active: int = field(default=8, metadata={"help": "Below this, a round uses every query."})
    curriculum_signal: str = field(default="accuracy", metadata={"help": "'accuracy' or 'shaped'."})
    curriculum_order: str = field(
        default="easy_first",
        metadata={"help": "'easy_first' (paper) or 'learnability' (difficulty nearest 0.5 first)."},
    )
    dynamic_sampling: bool = field(
        default=False, metadata={"help": "Replace groups tied on accuracy by fresh groups that disagree (DAPO)."}
    )
    dynamic_sampling_rounds: int = field(default=2, metadata={"help": "Refill rounds per generation batch, at most."})
    log_rollouts: bool = field(default=True, metadata={"help": "Write every rollout to rollouts.jsonl."})
    shared_prefix_loss: bool = field(
        default=False, metadata={"help": "Encode each distinct prompt once in log-prob forwards."}
    )
    shared_prefill: bool = field(
        default=True, metadata={"help": "Encode each prompt once for its rollouts (rerec.generation), not per copy."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.raae_penalty <= 1:
            raise ValueError("raae_penalty must be in [0, 1]")
        if self.raae_scale_floor <= 0 or self.raae_clip <= 0:
            raise ValueError("raae_scale_floor and raae_clip must be > 0")
        if self.raae_norm not in RAAE_NORMS:
            raise ValueError(f"raae_norm={self.raae_norm!r}: use one of {RAAE_NORMS}")
        if self.raae_target not in RAAE_TARGETS:
            raise ValueError(f"raae_target={self.raae_target!r}: use one of {RAAE_TARGETS}")
        if self.raae and self.multi_objective_aggregation != "sum_then_normalize":
            raise ValueError(
                "raae needs multi_objective_aggregation='sum_then_normalize' (it rescales that advantage)"
            )
        if not 0 <= self.curriculum_tau <= 1 or not 0 <= self.curriculum_replay <= 1:
            raise ValueError("curriculum_tau and curriculum_replay must be in [0, 1]")
        if self.curriculum_order not in CURRICULUM_ORDERS:
            raise ValueError(f"curriculum_order={self.curriculum_order!r}: use one of {CURRICULUM_ORDERS}")
        if self.curriculum_signal not in ("accuracy", "shaped"):
            raise ValueError("curriculum_signal must be 'accuracy' or 'shaped'")
        if self.curriculum_park_after < 1 or self.curriculum_park_epochs < 0 or self.curriculum_min_active < 1:
            raise ValueError("curriculum_park_after >= 1, curriculum_park_epochs >= 0, curriculum_min_active >= 1")
        if self.dynamic_sampling_rounds < 1:
            raise ValueError("dynamic_sampling_rounds must be >= 1")
        local_batch = self.per_device_train_batch_size * self.steps_per_generation
        if self.dynamic_sampling and local_batch % self.num_generations:
            raise ValueError(
                f"dynamic_sampling needs whole groups on each process: per_device_train_batch_size × "
                f"steps_per_generation ({local_batch}) must be a multiple of num_generations ({self.num_generations})"
            )
        if self.shared_prefix_loss and (self.gradient_checkpointing or self.world_size > 1):
            raise ValueError(
                "shared_prefix_loss needs gradient_checkpointing=False (a replayed layer would write the prompt's "
                "cache twice) and a single process"
            )
        if self.curriculum_round_size < 1:
            raise ValueError("curriculum_round_size must be >= 1 (a round holds at least one step's queries anyway)")
