"""Public statistics and usage."""
