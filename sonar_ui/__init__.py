"""Campaigns, model versions, gradient submissions, evaluation and payouts."""
