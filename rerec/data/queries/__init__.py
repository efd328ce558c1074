"""The RecBench+-style query benchmark: five query types generated from any loaded `RecDataset`."""
