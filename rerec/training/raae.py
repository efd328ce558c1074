"""Reasoning-aware advantage estimation (method.md §4), the parts that need no model.

A completion's reasoning is split into segments (`rewards.parsing.segments`). A segment is *incorrect* when
the final answer is wrong and the segment names a wrong answered item (paper), or — with a step verifier,
i.e. facts in the prompt — when it makes a claim the graph contradicts (rerec). Tokens of incorrect segments
get the token reward `r - w·|r|` (= `(1 - w)·r` for the usual positive r; for a negative r the paper's
scaling would *raise* the reward, so rerec subtracts the magnitude). Advantages use the group's scalar mean
and std, so with no penalised token they are exactly GRPO's; the penalty's own scale has a floor
(`penalty_scales`).

That rule barely acts here: a wrong candidate's reward is ~0.06, so its tokens move by ~3% of their advantage
(`method-audit.md` §2). Two variants that do not vanish with the reward, each a switch (`raae_norm`):
- `"advantage"`: penalised tokens get `A - w`, a fixed step in advantage space;
- `"token"`: the paper's formula read per token — the group's mean and std are taken over all its completions'
  token rewards, so a tied group (GRPO's zero) still contrasts the penalised steps against the rest of the
  same answers at a bounded, scale-free size (clipped to `±clip`). Groups without a penalised token keep GRPO's.
Which steps count is switchable too: steps the verifier refutes (`false_steps`), and whether a step naming the
wrong item is spared when the graph confirms everything it claims (`spare_verified`: the correct first hop about
a hinted film the model then boxed is reasoning, not the error).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import torch
from trl.trainer.utils import nanstd

from rerec.task.answer import Answer
from rerec.task.parsing import Segment, segments
from rerec.task.verifier import StepVerifier, norm_text, title_key

RAAE_NORMS = (
    "scalar",
    "advantage",
    "token",
)  # how a penalty becomes an advantage (`penalty_shift`, `token_normalised`)
RAAE_TARGETS = ("mentions", "unverified")  # which steps of a wrong answer count (`incorrect_segments`)


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
    false_steps: bool = True,
    spare_verified: bool = False,
) -> tuple[list[Segment], int]:
    """`(incorrect segments, number of segments)` of one completion; the box itself is never a segment.

    A step is incorrect when it names a wrong answered item (unless `spare_verified` and the verifier confirms
    every claim it makes, at least one), or — with `false_steps` — when the verifier refutes a claim in it."""
    steps = segments(text)
    keys = [title_key(title) for title in wrong_titles(answer, truth, titles)]
    bad = []
    for step in steps:
        claims = verifier.claims(step.text) if verifier is not None else []
        if any(key.strip() and key in norm_text(step.text) for key in keys):
            if not (spare_verified and claims and all(c.verdict == "true" for c in claims)):
                bad.append(step)
        elif false_steps and any(c.verdict == "false" for c in claims):
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


def token_advantages(advantage: float, shift: float, mask: Sequence[bool]) -> list[float]:
    """The completion's scalar `advantage` on every token, `shift` lower on the masked (penalised) ones.

    >>> token_advantages(0.5, 0.15, [False, True])
    [0.5, 0.35]
    """
    return [advantage - shift if m else advantage for m in mask]


def penalty_shift(norm: str, penalty: float, reward: float, scale: float) -> float:
    """How far a penalised token's advantage falls below its completion's. `"scalar"` (the paper, read with the
    group's scalar mean and std): `A_t = (r_t - mean_g) / scale` with `r_t = r - penalty·|r|`, i.e. a shift of
    `penalty·|r| / scale`; `"advantage"`: `penalty` itself, whatever the reward.

    >>> penalty_shift("scalar", 0.3, 1.0, 2.0), penalty_shift("advantage", 0.3, 1.0, 2.0)
    (0.15, 0.3)
    """
    return penalty if norm == "advantage" else penalty * abs(reward) / scale


def token_normalised(
    rewards: torch.Tensor,
    lengths: Sequence[int],
    masks: Sequence[Sequence[bool] | None],
    group_size: int,
    penalty: float,
    clip: float = 3.0,
) -> list[list[float] | None]:
    """Per completion, its tokens' advantages under the token reading of RAAE, or None where its group has no
    penalised token (GRPO's scalar advantage stands there).

    Token rewards are `r` and, on penalised tokens, `r - penalty·|r|`; each group's mean and (unbiased) std are
    taken over all its completions' `lengths[i]` tokens, and `A_t = (r_t - mean) / (std + 1e-4)`, clipped to
    `±clip` (a group with few penalised tokens would otherwise give them a huge negative value). A completion's
    tokens past its mask (offsets that could not be mapped) count as unpenalised. NaN rewards (no reward
    function scored it) give None.

    >>> rows = token_normalised(torch.tensor([0.5, 0.5]), [2, 2], [[True, False], None], 2, 0.2)
    >>> [[round(a, 2) for a in row] for row in rows]
    [[-1.5, 0.5], [0.5, 0.5]]
    """
    out: list[list[float] | None] = []
    for start in range(0, len(rewards), group_size):
        group = range(start, start + group_size)
        penalised = [sum(masks[i]) if masks[i] is not None else 0 for i in group]
        if not any(penalised) or any(torch.isnan(rewards[i]) for i in group):
            out.extend([None] * group_size)
            continue
        values = []
        for i in group:
            r = float(rewards[i])
            hit = list(masks[i] or []) + [False] * (lengths[i] - len(masks[i] or []))
            values.append([r - penalty * abs(r) if h else r for h in hit[: lengths[i]]])
        flat = torch.tensor([v for row in values for v in row], dtype=torch.float64)
        mean, std = flat.mean(), (flat.std() if flat.numel() > 1 else torch.tensor(0.0))
        out.extend(((torch.tensor(row, dtype=torch.float64) - mean) / (std + 1e-4)).clamp(-clip, clip).tolist()
                   for row in values)  # fmt: skip
    return out
