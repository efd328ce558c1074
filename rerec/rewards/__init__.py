"""Dual-graph reward shaping: the reward functions (NDCG, QAS from the item–attribute graph, PAS from LightGCN,
format) and their weighted assembly."""
