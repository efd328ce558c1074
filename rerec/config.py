"""Typed configs in the TRL style: dataclasses whose `help` metadata becomes the CLI's `--help`."""

from __future__ import annotations

from dataclasses import dataclass, field

QUERY_TYPES = ("explicit", "implicit", "misinformed", "interest", "demographic")
DATASETS = ("ml-100k", "ml-1m", "bookcrossing", "custom", "recbench")
ML100K_GRAPHS = ("wikidata", "freebase")  # people and studios for ml-100k: named (default) or RecBole's MIDs


@dataclass
class DataConfig:
    """How `rerec prepare` loads a source and generates the RecBench+-style query benchmark.

    Every count below is a target: the generator stops early, and says so, when the data cannot honestly
    support more queries of a type.
    """

    dataset: str = field(default="ml-100k", metadata={"help": f"Source to load, one of {DATASETS}."})
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "Folder with the source files; unset: the embedded copy for ml-100k (required for the others)."
        },
    )
    out: str | None = field(
        default=None, metadata={"help": "Output folder, written atomically; unset: runs/<dataset>."}
    )
    overwrite: bool = field(
        default=False,
        metadata={"help": "Replace an earlier `rerec prepare` output at --out (other existing folders are refused)."},
    )
    kg: str | None = field(
        default=None,
        metadata={
            "help": "ml-100k's graph of people and studios: 'wikidata' (named, the default) or 'freebase' "
            "(RecBole's MIDs, for comparison with RecBole/KB4Rec work)."
        },
    )
    seed: int = field(default=0, metadata={"help": "Seed for splits, query sampling and candidate order."})
    positive_threshold: float | None = field(
        default=None,
        metadata={"help": "Ratings at or above this are positives; unset: the source's own (e.g. 4 of 5 stars)."},
    )
    val_fraction: float = field(default=0.1, metadata={"help": "Share of users held out for validation."})
    test_fraction: float = field(default=0.1, metadata={"help": "Share of users held out for test."})
    num_explicit: int = field(default=1500, metadata={"help": "Target number of explicit-condition queries."})
    num_implicit: int = field(default=1500, metadata={"help": "Target number of implicit (multi-hop) queries."})
    num_misinformed: int = field(default=1500, metadata={"help": "Target number of misinformed queries."})
    max_conditions: int = field(default=4, metadata={"help": "Most conditions in one query (RecBench+: 4)."})
    condition_weights: list[float] = field(
        default_factory=lambda: [0.4, 0.3, 0.2, 0.1],
        metadata={"help": "Sampling weights of 1, 2, ... max_conditions conditions per query."},
    )
    max_ground_truth: int = field(
        default=20, metadata={"help": "Skip condition sets satisfied by more of the user's items than this."}
    )
    history_size: int = field(default=10, metadata={"help": "Items of user history stored with each query."})
    interest_ground_truth: int = field(
        default=3, metadata={"help": "Latest positives held out as an interest query's ground truth."}
    )
    interest_mentions: int = field(default=3, metadata={"help": "History items named in an interest query."})
    demographic_top_k: int = field(default=10, metadata={"help": "Items kept per demographic group."})
    demographic_min_users: int = field(default=10, metadata={"help": "Smallest demographic group queried."})
    demographic_min_support: float = field(
        default=0.1, metadata={"help": "An item must be liked by this share of the group to represent it."}
    )
    num_candidates: int = field(default=20, metadata={"help": "Candidates per query: 1 positive + negatives."})
    negative_mix: list[float] = field(
        default_factory=lambda: [0.5, 0.25, 0.25],
        metadata={"help": "Shares of hard, popular and random negatives (renormalised)."},
    )
    min_entity_items: int = field(
        default=3,
        metadata={
            "help": "A person, studio or other entity becomes a query condition only when this many catalog items "
            "have it: one a user can ask about and a model can know, not a one-off credit."
        },
    )
    max_entity_share: float = field(
        default=0.5,
        metadata={"help": "... and when at most this share of the catalog has it ('in English' selects nothing)."},
    )
    hop_relations: list[str] | None = field(
        default=None, metadata={"help": "Relations usable for multi-hop hints; unset: the source's own list."}
    )

    def __post_init__(self) -> None:
        if self.out is None:
            self.out = f"runs/{self.dataset}"
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset={self.dataset!r} is unknown; use one of {DATASETS}")
        if self.kg is not None and (self.dataset != "ml-100k" or self.kg not in ML100K_GRAPHS):
            raise ValueError(f"kg={self.kg!r}: --kg chooses ml-100k's graph, 'wikidata' or 'freebase'")
        if self.dataset != "ml-100k" and not self.data_dir:
            raise ValueError(f"dataset={self.dataset!r} needs --data_dir pointing at its files")
        if not (
            0 <= self.val_fraction < 1 and 0 <= self.test_fraction < 1 and self.val_fraction + self.test_fraction < 1
        ):
            raise ValueError("val_fraction and test_fraction must be in [0, 1) and sum to less than 1")
        if not 1 <= self.max_conditions <= 4:
            raise ValueError("max_conditions must be between 1 and 4")
        if len(self.condition_weights) < self.max_conditions or any(w < 0 for w in self.condition_weights):
            raise ValueError(f"condition_weights needs {self.max_conditions} non-negative weights")
        if self.num_candidates < 2:
            raise ValueError("num_candidates must be at least 2 (one positive and one negative)")
        if len(self.negative_mix) != 3 or any(w < 0 for w in self.negative_mix) or sum(self.negative_mix) == 0:
            raise ValueError("negative_mix needs three non-negative shares (hard, popular, random), not all 0")
        for name in ("num_explicit", "num_implicit", "num_misinformed", "history_size", "demographic_top_k"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.min_entity_items < 1 or not 0 < self.max_entity_share <= 1:
            raise ValueError("min_entity_items must be >= 1 and max_entity_share in (0, 1]")
        if self.interest_ground_truth < 1:
            raise ValueError("interest_ground_truth must be >= 1")
