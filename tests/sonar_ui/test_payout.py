"""The payout formula: (accuracy increase / target accuracy) × bounty, rounded down, capped."""

from __future__ import annotations

from sonar_ui.rules import payout_for


def test_the_seed_example_pays_exactly_25_00():
    # $1,000 bounty, 80% target, +2 points.
    assert (
        payout_for(
            bounty_minor=100_000, target_ppm=800_000, delta_ppm=20_000, remaining_minor=100_000
        )
        == 2_500
    )


def test_payouts_round_down_to_the_minor_unit():
    # 1/3 of a point of a 100% target on 1.00 is 0.0033..., which rounds down to 0.
    assert payout_for(bounty_minor=100, target_ppm=1_000_000, delta_ppm=3_333,
                      remaining_minor=100) == 0  # fmt: skip
    assert payout_for(bounty_minor=999, target_ppm=700_000, delta_ppm=7_000,
                      remaining_minor=999) == 9  # fmt: skip


def test_the_last_payout_is_capped_at_what_is_left_of_the_bounty():
    assert (
        payout_for(
            bounty_minor=100_000, target_ppm=800_000, delta_ppm=400_000, remaining_minor=1_234
        )
        == 1_234
    )


def test_no_increase_earns_nothing():
    assert (
        payout_for(bounty_minor=100_000, target_ppm=800_000, delta_ppm=0, remaining_minor=100_000)
        == 0
    )
