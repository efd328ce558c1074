"""rerec: reinforcement fine-tuning of reasoning LLM recommendation assistants (ReRec)."""

import os

# PyTorch backs CPU tensors of 2 MiB and more with transparent huge pages when this is set before its first
# allocation (it reads it once): a training step's activations then fault in 2 MiB pages instead of 4 KiB ones
# (measured: 6.2 million -> 31 thousand page faults per cpu-demo update). An explicit value is respected.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__version__ = "0.1.0"
