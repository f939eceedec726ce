"""People, roles (data scientist, miner) and their PGP keys."""
