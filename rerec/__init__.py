"""rerec: reinforcement fine-tuning of reasoning LLM recommendation assistants (ReRec)."""

__version__ = "0.1.0"
