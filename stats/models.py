"""Models of stats."""
