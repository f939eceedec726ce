"""The business rules of pay and fairness, pure functions with no database.

A reader looking for "how much does a gradient earn" or "when is a miner's gradient refused
for dominating" finds it here by the file's name.
"""

from __future__ import annotations


def payout_for(*, bounty_minor: int, target_ppm: int, delta_ppm: int, remaining_minor: int) -> int:
    """(accuracy increase / target accuracy) × bounty, rounded down, capped at what is left.

    Integer arithmetic on ppm: the seed's example (1,000.00, 80%, +2 points) is exactly 25.00.
    """
    if delta_ppm <= 0:
        return 0
    return min(bounty_minor * delta_ppm // target_ppm, remaining_minor)
