"""A mine's earnings: promised when accepted, paid once Sonar says the campaign settled."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from mine_ui.earnings import contributions_settle_refresh, mine_earnings, mine_earnings_by_day
from mine_ui.models import Contribution
from mine_ui.services import contribution_mark, contribution_start
from pysonar import SonarError, SonarUnavailable
from tests.mine_ui.conftest import open_campaign


class CampaignsSonar:
    """Answers GET /api/campaigns/{id}/ with a settled_at per campaign."""

    def __init__(self, settled: dict[int, str | None]) -> None:
        self.settled = settled
        self.asked: list[int] = []

    def campaign(self, campaign_id: int) -> dict:
        self.asked.append(campaign_id)
        if campaign_id not in self.settled:
            raise SonarError(404, "not_found", "No such campaign.")
        return {"id": campaign_id, "settled_at": self.settled[campaign_id]}


def accepted(mine, dataset, campaign_id: int, earned: int) -> Contribution:
    contribution = contribution_start(
        mine=mine, dataset=dataset, campaign=open_campaign(id=campaign_id), n_samples=3
    )
    return contribution_mark(contribution=contribution, status="accepted", earnings_minor=earned)


def test_earnings_are_promised_until_their_campaign_settles(bob_mine, bob_dataset):
    accepted(bob_mine, bob_dataset, 7, 1000)
    accepted(bob_mine, bob_dataset, 7, 500)
    accepted(bob_mine, bob_dataset, 9, 250)
    sonar = CampaignsSonar({7: "2026-12-01T10:00:00Z", 9: None})

    changed = contributions_settle_refresh(mine=bob_mine, client=sonar)

    assert len(changed) == 2
    assert sorted(sonar.asked) == [7, 9]
    earnings = mine_earnings(mine=bob_mine)
    assert (earnings.settled_minor, earnings.unsettled_minor) == (1500, 250)
    settled = Contribution.objects.filter(campaign_id=7).values_list("settled_at", flat=True)
    assert {value.isoformat() for value in settled} == {"2026-12-01T10:00:00+00:00"}


def test_settled_contributions_are_not_asked_about_again(bob_mine, bob_dataset):
    accepted(bob_mine, bob_dataset, 7, 1000)
    contributions_settle_refresh(mine=bob_mine, client=CampaignsSonar({7: "2026-12-01T10:00Z"}))
    sonar = CampaignsSonar({})
    assert contributions_settle_refresh(mine=bob_mine, client=sonar) == []
    assert sonar.asked == []


def test_a_campaign_sonar_no_longer_shows_leaves_its_earnings_promised(bob_mine, bob_dataset):
    accepted(bob_mine, bob_dataset, 7, 1000)
    assert contributions_settle_refresh(mine=bob_mine, client=CampaignsSonar({})) == []
    assert mine_earnings(mine=bob_mine).unsettled_minor == 1000


def test_an_unreachable_sonar_stops_the_refresh_for_the_pass_to_report(bob_mine, bob_dataset):
    accepted(bob_mine, bob_dataset, 7, 1000)

    class Down:
        def campaign(self, campaign_id: int) -> dict:
            raise SonarUnavailable("Connection refused.")

    with pytest.raises(SonarUnavailable):
        contributions_settle_refresh(mine=bob_mine, client=Down())
    assert mine_earnings(mine=bob_mine).settled_minor == 0


def test_earnings_by_day_add_up_settled_and_promised_apart(bob_mine, bob_dataset):
    first = accepted(bob_mine, bob_dataset, 7, 1000)
    second = accepted(bob_mine, bob_dataset, 9, 300)
    Contribution.objects.filter(pk=first.pk).update(
        created_at=datetime(2026, 11, 30, 12, tzinfo=UTC),
        settled_at=timezone.now(),
    )
    Contribution.objects.filter(pk=second.pk).update(
        created_at=datetime(2026, 12, 1, 12, tzinfo=UTC)
    )
    assert mine_earnings_by_day(mine=bob_mine) == [
        (date(2026, 11, 30), 1000, 0),
        (date(2026, 12, 1), 1000, 300),
    ]
