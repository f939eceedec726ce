"""The business rules of pay and fairness: pure functions, no database, no I/O.

A reader looking for "how much does a gradient earn" or "when is a miner's gradient refused
for dominating" finds it here by the file's name. Services call these with facts they read
under the campaign's lock; the rules themselves decide nothing about storage or order.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS_TARGET = "target"
BASIS_GAP = "gap"


@dataclass(frozen=True)
class Earning:
    """What an accepted gradient is paid, and what the formula gave before the cap."""

    amount_minor: int
    uncapped_minor: int

    @property
    def capped(self) -> bool:
        return self.amount_minor < self.uncapped_minor


def payout_basis_ppm(*, basis: str, target_ppm: int, start_ppm: int) -> int:
    """The denominator of the payout: the target (seed), or the gap from start to target.

    With the gap basis, accuracy gained from the start to the target sums to the whole bounty.
    A gap of zero cannot happen for an open campaign (launch refuses a start at the target),
    but is treated as the smallest gap so the rule never divides by zero.
    """
    if basis == BASIS_GAP:
        return max(target_ppm - start_ppm, 1)
    if basis != BASIS_TARGET:
        raise ValueError(f"Unknown payout basis {basis!r}; use {BASIS_TARGET!r} or {BASIS_GAP!r}.")
    return target_ppm


def payout_for(
    *, bounty_minor: int, basis_ppm: int, delta_ppm: int, remaining_minor: int
) -> Earning:
    """(accuracy increase / basis) × bounty, rounded down, capped at what is really left.

    Integer arithmetic on ppm: the seed's example (1,000.00, 80% target, +2 points) is exactly
    25.00. `remaining_minor` is the bounty not yet accrued, so the sum of payouts never exceeds
    the bounty; an increase of zero or less earns nothing.
    """
    if delta_ppm <= 0 or remaining_minor <= 0:
        return Earning(amount_minor=0, uncapped_minor=max(0, bounty_minor * delta_ppm // basis_ppm))
    uncapped = bounty_minor * delta_ppm // basis_ppm
    return Earning(amount_minor=min(uncapped, remaining_minor), uncapped_minor=uncapped)


def takeover_wait(*, min_other_accepted: int, accepted_from_others_since_own: int | None) -> int:
    """How many more accepted gradients from others an account must wait for (0: none).

    The anti-domination rule: between two accepted gradients of one payout account, at least
    `min_other_accepted` gradients of other accounts must have been accepted. `None` means the
    account has no accepted gradient yet.
    """
    if min_other_accepted == 0 or accepted_from_others_since_own is None:
        return 0
    return max(0, min_other_accepted - accepted_from_others_since_own)
