"""Dual-graph reward shaping: parsing, NDCG, QAS (item–attribute graph), PAS (LightGCN) and format."""
