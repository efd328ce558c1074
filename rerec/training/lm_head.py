"""TRL's fused LM head on a CPU: score the labelled positions only.

TRL (1.16) computes GRPO's log-probs and SFT's loss through a fused, tiled LM head that never holds the whole
`(tokens, vocabulary)` logits. Where its Triton kernels run it projects only the positions that have a label (the
completion); everywhere else it projects every position and masks afterwards, because on accelerators that
compile per shape (Neuron) a varying number of positions would recompile each batch. A CPU compiles nothing, yet
takes the all-positions path: a `cpu-demo` rollout of ~60 completion tokens behind a ~490-token prompt sent all
~550 positions of each row through the 49k-word head, forward and backward, in fp32 tiles of 32,768 words
(profiled on 2 AMD EPYC cores: the tile's exp/sub/mul/copy alone took 3.4 s of a 4-row micro-batch).

`compact_fused_head_on_cpu()` points TRL's choice at its compact path on a CPU as well. It changes only the
positions projected, not the kernel (TRL's kernels pick Triton or PyTorch tiles through their own binding of the
same test), so log-probs and loss are the same numbers.
"""

from __future__ import annotations

import torch
import trl.trainer.utils as trl_utils


def compact_fused_head_on_cpu() -> None:
    """Make TRL's fused LM head project only labelled positions on a CPU too (idempotent)."""
    choose = getattr(trl_utils, "_use_triton", None)
    if choose is None:
        raise RuntimeError("trl.trainer.utils._use_triton is gone: this TRL is not the 1.16 rerec pins")
    if getattr(choose, "compact_on_cpu", False):
        return

    def compact(device: torch.device) -> bool:
        return device.type == "cpu" or choose(device)

    compact.compact_on_cpu, compact.wrapped = True, choose
    trl_utils._use_triton = compact
