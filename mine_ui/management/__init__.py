"""Management commands of mine_ui."""
