"""The only holder of private keys: key custody, decrypt-and-score, final delivery."""
