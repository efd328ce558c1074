"""Catalog, knowledge graph, interactions, users, LightGCN embeddings, their loaders and the query benchmark
generator."""
