"""Loaders, one module per data source; each returns a `RecDataset` or raises `DataError`."""
