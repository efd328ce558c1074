"""Reasoning-aware advantage estimation (method.md §4), the parts that need no model.

A completion's reasoning is split into segments (`rewards.parsing.segments`). A segment is *incorrect* when
the final answer is wrong and the segment names a wrong answered item (paper), or — with a step verifier,
i.e. facts in the prompt — when it makes a claim the graph contradicts (rerec). Tokens of incorrect segments
get the token reward `r - w·|r|` (= `(1 - w)·r` for the usual positive r; for a negative r the paper's
scaling would *raise* the reward, so rerec subtracts the magnitude). Advantages use the group's scalar mean
and std, so with no penalised token they are exactly GRPO's; the penalty's own scale has a floor
(`penalty_scales`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import torch
from trl.trainer.utils import nanstd

from rerec.rewards.answer import Answer
from rerec.rewards.parsing import Segment, segments
from rerec.rewards.verifier import StepVerifier, norm_text, title_key


def wrong_titles(answer: Answer, truth: Collection[str], titles: Mapping[str, str]) -> list[str]:
    """How the wrong answered items are written — empty when the answer is right (top item correct) or absent.

    An entry that grounds to no allowed item (e.g. the item a hint names, boxed instead of a candidate) is wrong
    too and is looked for as the model wrote it; otherwise a bare non-candidate answer would escape every
    penalty that a wrong candidate gets, and RL learns to box the hint (seen in the first cpu-demo runs)."""
    if not answer.boxed or not answer.ranked or answer.ranked[0] in truth:
        return []
    out = []
    for item, written in zip(answer.ranked, answer.titles, strict=True):
        if item is None:
            out.append(written)
        elif item not in truth and item in titles:
            out.append(titles[item])
    return out


def incorrect_segments(
    text: str,
    answer: Answer,
    truth: Collection[str],
    titles: Mapping[str, str],
    verifier: StepVerifier | None = None,
) -> tuple[list[Segment], int]:
    """`(incorrect segments, number of segments)` of one completion; the box itself is never a segment."""
    steps = segments(text)
    keys = [title_key(title) for title in wrong_titles(answer, truth, titles)]
    bad = []
    for step in steps:
        norm = norm_text(step.text)
        if any(key.strip() and key in norm for key in keys):
            bad.append(step)
        elif verifier is not None and any(c.verdict == "false" for c in verifier.claims(step.text)):
            bad.append(step)
    return bad, len(steps)


def token_mask(offsets: Sequence[tuple[int, int]], spans: Sequence[Segment]) -> list[bool]:
    """Per token: does its character span overlap an incorrect segment?"""
    return [any(start < s.end and end > s.start for s in spans) for start, end in offsets]


def penalty_scales(
    rewards: torch.Tensor, group_size: int, scale_rewards: str = "group", floor: float = 0.25
) -> torch.Tensor:
    """Per completion, the denominator of its penalised tokens' shift `w·|r| / scale`: the one TRL scaled its
    advantages by (group std + 1e-4, batch std + 1e-4, or 1 for `scale_rewards="none"`), but never below
    `floor`. A group whose rewards tie — exactly, or up to the 0.01-weighted QAS/PAS terms — has a std near 0
    and GRPO gives it (near) zero advantage; dividing its penalty by that std turned a 0.015 shift into -150 or
    more (measured: losses of 30-650 on the steps where all groups tied, and collapsed answers, in the first
    cpu-demo runs). With the floor, a penalty stays within `w·|r| / floor` (1.3 at most for the default
    rewards), the size of an ordinary GRPO advantage, and a tied group of wrong answers still learns which of
    its steps named the wrong item.

    >>> [round(x, 4) for x in penalty_scales(torch.tensor([1.0, 0.0, 0.5, 0.5]), 2).tolist()]
    [0.7072, 0.7072, 0.25, 0.25]
    """
    if scale_rewards == "none":
        return torch.ones_like(rewards)
    if scale_rewards == "batch":
        scale = (nanstd(rewards) + 1e-4).expand_as(rewards)
    else:
        scale = (nanstd(rewards.view(-1, group_size), dim=1) + 1e-4).repeat_interleave(group_size)
    return scale.clamp(min=floor)


def token_advantages(
    advantage: float, reward: float, scale: float, mask: Sequence[bool], penalty: float
) -> list[float]:
    """`A_t = (r_t - mean_g) / scale` with `r_t = r - penalty·|r|` on masked tokens, written from GRPO's scalar
    `advantage = (r - mean_g) / scale`, so unmasked tokens keep it exactly.

    >>> token_advantages(0.5, 1.0, 2.0, [False, True], 0.3)
    [0.5, 0.35]
    """
    shift = penalty * abs(reward) / scale
    return [advantage - shift if m else advantage for m in mask]
