"""Evaluation: metrics shared with the rewards, and (later) the harness, baselines and reports."""
