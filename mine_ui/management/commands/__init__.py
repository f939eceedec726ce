"""mine_ui commands: mine_import."""
