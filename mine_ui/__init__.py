"""Mines, datasets, permissions, privacy budget and the mining loop."""
