"""Catalog, knowledge graph, interactions, users, their loaders and the query benchmark generator."""
