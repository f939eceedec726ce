"""Models of mine_ui."""
