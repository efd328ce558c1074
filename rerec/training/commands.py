"""`rerec train` and `rerec sft`: what to do with an earlier run in the output folder, a short help page, then
the run (`training/run.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import HfArgumentParser


@dataclass
class RunFolderArguments:
    """What to do when `output_dir` holds an earlier run of the same command."""

    resume: bool = field(default=False, metadata={"help": "Continue from the last checkpoint in output_dir."})
    overwrite: bool = field(
        default=False,
        metadata={"help": "Start over in an output_dir an earlier run of this command wrote (its checkpoints go)."},
    )


def split_run_folder_flags(argv: list[str]) -> tuple[RunFolderArguments, list[str]]:
    """`--resume`/`--overwrite`, and the rest of the command line for the run's own parser."""
    parser = HfArgumentParser(RunFolderArguments, add_help=False, allow_abbrev=False)
    return parser.parse_args_into_dataclasses(args=argv, return_remaining_strings=True)


def short_help(argv: list[str], command: str) -> bool:
    """Print rerec's own switches for `--help` (True when printed); `--help-all` becomes the full TRL/Transformers
    `--help`."""
    if "--help-all" in argv:
        argv[argv.index("--help-all")] = "--help"
        return False
    if not {"-h", "--help"} & set(argv):
        return False
    from trl import GRPOConfig, ModelConfig, SFTConfig

    from rerec.rewards.shaping import RewardConfig
    from rerec.task.prompts import PromptConfig
    from rerec.task.rows import TrainDataArguments
    from rerec.training.config import ReRecConfig, WarmStartConfig
    from rerec.training.help import short_help as page

    if command == "train":
        own = [RunFolderArguments, TrainDataArguments, RewardConfig, PromptConfig]
        text = page("rerec train", own, ReRecConfig, GRPOConfig, ModelConfig)
    else:
        own = [RunFolderArguments, TrainDataArguments, PromptConfig]
        text = page("rerec sft", own, WarmStartConfig, SFTConfig, ModelConfig)
    print(text, end="")
    return True


def train(argv: list[str]) -> int:
    from rerec.training.run import train_from_args

    if short_help(argv, "train"):
        return 0
    flags, rest = split_run_folder_flags(argv)
    print(f"trained model in {train_from_args(rest, flags.resume, flags.overwrite)}")
    return 0


def sft(argv: list[str]) -> int:
    from rerec.training.run import sft_from_args

    if short_help(argv, "sft"):
        return 0
    flags, rest = split_run_folder_flags(argv)
    final = sft_from_args(rest, flags.resume, flags.overwrite)
    print(f"warm-started model in {final}; train on it with --model_name_or_path {final}")
    return 0
