"""The pure rules of sonar_ui/rules.py: what a gradient earns, and who must wait their turn."""

from __future__ import annotations

import pytest

from sonar_ui.rules import payout_basis_ppm, payout_for, takeover_wait


def test_the_seed_example_pays_exactly_25_00():
    # $1,000 bounty, 80% target, +2 points.
    earning = payout_for(
        bounty_minor=100_000, basis_ppm=800_000, delta_ppm=20_000, remaining_minor=100_000
    )
    assert earning.amount_minor == 2_500
    assert not earning.capped


def test_payouts_round_down_to_the_minor_unit():
    # 1/3 of a point of a 100% target on 1.00 is 0.0033..., which rounds down to 0.
    assert payout_for(bounty_minor=100, basis_ppm=1_000_000, delta_ppm=3_333,
                      remaining_minor=100).amount_minor == 0  # fmt: skip
    assert payout_for(bounty_minor=999, basis_ppm=700_000, delta_ppm=7_000,
                      remaining_minor=999).amount_minor == 9  # fmt: skip


def test_the_last_payout_is_capped_at_what_is_really_left_of_the_bounty():
    earning = payout_for(
        bounty_minor=100_000, basis_ppm=800_000, delta_ppm=400_000, remaining_minor=1_234
    )
    assert earning.amount_minor == 1_234
    assert earning.uncapped_minor == 50_000
    assert earning.capped


def test_no_increase_earns_nothing():
    for delta in (0, -5_000):
        earning = payout_for(
            bounty_minor=100_000, basis_ppm=800_000, delta_ppm=delta, remaining_minor=100_000
        )
        assert earning.amount_minor == 0


def test_a_spent_bounty_pays_nothing_more():
    earning = payout_for(bounty_minor=100_000, basis_ppm=800_000, delta_ppm=10_000,
                         remaining_minor=0)  # fmt: skip
    assert earning.amount_minor == 0


def test_the_gap_basis_spends_the_whole_bounty_from_start_to_target():
    # The wine example: 32.5% start, 99% target, 100,000 bounty.
    basis = payout_basis_ppm(basis="gap", target_ppm=990_000, start_ppm=325_000)
    assert basis == 665_000
    steps = [200_000, 300_000, 165_000]  # 32.5% -> 52.5% -> 82.5% -> 99%
    remaining, paid = 100_000, 0
    for step in steps:
        amount = payout_for(
            bounty_minor=100_000, basis_ppm=basis, delta_ppm=step, remaining_minor=remaining
        ).amount_minor
        paid += amount
        remaining -= amount
    assert 99_997 <= paid <= 100_000  # each step rounds down by less than one minor unit


def test_the_target_basis_is_the_seed_formula():
    assert payout_basis_ppm(basis="target", target_ppm=800_000, start_ppm=500_000) == 800_000


def test_an_unknown_payout_basis_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="Unknown payout basis 'median'"):
        payout_basis_ppm(basis="median", target_ppm=800_000, start_ppm=0)


def test_the_takeover_rule_makes_an_account_wait_for_others():
    assert takeover_wait(min_other_accepted=2, accepted_from_others_since_own=None) == 0
    assert takeover_wait(min_other_accepted=2, accepted_from_others_since_own=0) == 2
    assert takeover_wait(min_other_accepted=2, accepted_from_others_since_own=1) == 1
    assert takeover_wait(min_other_accepted=2, accepted_from_others_since_own=3) == 0
    assert takeover_wait(min_other_accepted=0, accepted_from_others_since_own=0) == 0
