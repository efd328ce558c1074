"""ReRec training: reasoning-aware advantages (RAAE), the online curriculum and the GRPO trainer subclass."""
