"""Evaluation: the harness, baselines, statistics, reports, learning curves and the retention suite."""
