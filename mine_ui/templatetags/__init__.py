"""Template filters of mine_ui."""
