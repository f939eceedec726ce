"""The campaign page: live status block, progress, chart, contributions, gradients, stalls."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from sonar_ui import selectors, services
from sonar_ui.charts import accuracy_chart, y_range
from sonar_ui.models import Campaign, GradientSubmission, ModelVersion


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def htmx_get(client: Client, url: str):
    return client.get(url, headers={"HX-Request": "true"})


def test_the_live_block_shows_every_figure_and_stops_polling_once_settled(
    alice, bob, diabetes, launched, submit
):
    campaign_id = launched(alice, diabetes, bounty_minor=100_000, target_accuracy=0.99)["id"]
    X, y = diabetes.mines[0]
    assert submit(bob, campaign_id, X, y).status_code in (201, 202)
    services.campaign_evaluate_next(campaign_id=campaign_id)
    campaign = Campaign.objects.get(pk=campaign_id)
    gradient = GradientSubmission.objects.get(campaign_id=campaign_id)
    assert gradient.status == "accepted", gradient.reason
    client = client_for(alice)

    live = htmx_get(client, f"/sonar/campaigns/{campaign_id}/")

    assert live.status_code == 200
    body = live.content.decode()
    assert "<dd>v1</dd>" in body
    assert f"{gradient.payout_minor / 100:,.2f} earned by mines" in body
    assert "(paid when the campaign ends)" in body  # accrued, not yet settled
    assert "<progress" in body and "Last updated" in body
    assert "refreshes every 5 seconds" in body
    # The header's status and the owner's buttons are swapped along with the live block.
    assert '<span id="campaign-status" hx-swap-oob="true">' in body
    assert '<div id="campaign-actions" class="actions" hx-swap-oob="true">' in body
    assert "Close and settle" in body
    # One row per payout account: 1 gradient, 1 accepted, what it earned.
    assert re.search(r"<td class=\"num\">1</td><td class=\"num\">1</td>", body)

    services.campaign_close(campaign_id=campaign_id, user=alice)
    services.campaign_settle(campaign_id=campaign_id)
    campaign.refresh_from_db()
    assert campaign.settled_at is not None

    settled = htmx_get(client, f"/sonar/campaigns/{campaign_id}/")
    assert settled.status_code == 286  # htmx stops polling
    refunded = campaign.bounty_minor - gradient.payout_minor
    assert f"<dt>Refunded</dt><dd>{refunded / 100:,.2f}" in settled.content.decode()
    assert "Download the final model" in settled.content.decode()
    full = client.get(f"/sonar/campaigns/{campaign_id}/").content.decode()
    assert 'hx-trigger="every 5s"' not in full


def test_an_open_campaign_polls_and_a_miner_sees_only_his_own_gradients(
    alice, bob, carol, diabetes, launched, submit
):
    campaign_id = launched(alice, diabetes)["id"]
    submit(bob, campaign_id, *diabetes.mines[0])
    submit(carol, campaign_id, *diabetes.mines[1])

    page = client_for(bob).get(f"/sonar/campaigns/{campaign_id}/").content.decode()

    assert 'hx-trigger="every 5s"' in page
    assert "Gradients (yours)" in page
    assert page.count('<td class="status-pending">') == 1


def test_gradients_are_filtered_by_status_and_paged(alice, bob, diabetes, launched, submit):
    campaign_id = launched(alice, diabetes)["id"]
    for _ in range(3):
        submit(bob, campaign_id, *diabetes.mines[0])
    first = GradientSubmission.objects.filter(campaign_id=campaign_id).order_by("id").first()
    GradientSubmission.objects.filter(pk=first.pk).update(status="rejected", reason="too late")
    client = client_for(alice)

    rejected = client.get(f"/sonar/campaigns/{campaign_id}/?status=rejected").content.decode()
    assert rejected.count('<td class="status-rejected">') == 1
    assert '<td class="status-pending">' not in rejected
    accepted = client.get(f"/sonar/campaigns/{campaign_id}/?status=accepted").content.decode()
    assert "No accepted gradients." in accepted


def test_stalled_since_shows_when_nothing_was_accepted_for_a_while(
    alice, diabetes, launched, settings
):
    settings.SONAR_STALLED_AFTER_S = 600
    campaign_id = launched(alice, diabetes)["id"]
    campaign = Campaign.objects.get(pk=campaign_id)
    assert selectors.campaign_stalled_since(campaign=campaign) is None  # just launched

    long_ago = timezone.now() - timedelta(hours=2)
    Campaign.objects.filter(pk=campaign_id).update(launched_at=long_ago)
    campaign.refresh_from_db()

    # Stalled since the moment the threshold passed without progress.
    stalled = long_ago + timedelta(seconds=600)
    assert selectors.campaign_stalled_since(campaign=campaign) == stalled
    page = client_for(alice).get(f"/sonar/campaigns/{campaign_id}/").content.decode()
    assert f'Stalled since <time datetime="{stalled.isoformat()}">' in page


def test_progress_runs_from_the_starting_accuracy_to_the_target():
    campaign = Campaign(start_accuracy_ppm=400_000, best_accuracy_ppm=550_000)
    campaign.target_accuracy_ppm = 700_000
    assert selectors.campaign_progress(campaign) == 0.5
    campaign.best_accuracy_ppm = 900_000
    assert selectors.campaign_progress(campaign) == 1.0
    assert selectors.campaign_progress(Campaign(target_accuracy_ppm=700_000)) is None


def test_the_chart_axis_fits_the_data_and_each_point_has_its_value(alice, diabetes, launched):
    campaign_id = launched(alice, diabetes, target_accuracy=0.965)["id"]
    campaign = Campaign.objects.get(pk=campaign_id)
    ModelVersion.objects.filter(campaign=campaign, number=0).update(accuracy_ppm=950_000)
    ModelVersion.objects.create(
        campaign=campaign, number=1, blob_address="0" * 64, accuracy_ppm=957_500
    )

    svg = accuracy_chart(campaign)

    low, high = y_range([95.0, 95.75, 96.5])
    assert 94 <= low < 95 and 96.5 < high <= 97.5  # not 0..100: a climb of 1.5 points shows
    assert "<title>v0: 95.00%</title>" in svg
    assert "<title>v1: 95.75%</title>" in svg
    assert "target 96.50%" in svg
    assert 'viewBox="0 0 480 240"' in svg


def test_anyone_reads_an_open_campaign_without_logging_in(alice, diabetes, launched):
    campaign_id = launched(alice, diabetes, name="Diabetes public")["id"]

    page = Client().get(f"/sonar/campaigns/{campaign_id}/about/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Diabetes public" in body
    assert '<td class="mono">bmi</td><td>float</td><td>input</td>' in body
    assert "<strong>to predict</strong>" in body
    index = Client().get("/sonar/").content.decode()
    assert f'href="/sonar/campaigns/{campaign_id}/about/">Diabetes public</a>' in index


def test_a_closed_campaign_has_no_public_page(alice, diabetes, launched):
    campaign_id = launched(alice, diabetes)["id"]
    services.campaign_close(campaign_id=campaign_id, user=alice)

    assert Client().get(f"/sonar/campaigns/{campaign_id}/about/").status_code == 404


def test_a_campaign_whose_keys_are_being_prepared_says_so_and_keeps_polling(alice, diabetes):
    campaign = services.campaign_create(
        owner=alice,
        name="Keys coming",
        input_schema=diabetes.input_schema,
        output_schema=diabetes.output_schema,
        algorithm=diabetes.algorithm,
        bounty_minor=10_000,
    )
    # The capsule's asynchronous launch leaves a campaign in this status until it reports.
    Campaign.objects.filter(pk=campaign.pk).update(status="launching")
    client = client_for(alice)

    live = htmx_get(client, f"/sonar/campaigns/{campaign.id}/")

    assert live.status_code == 200  # not 286: polling goes on
    assert "preparing keys" in live.content.decode()
    assert (
        'hx-trigger="every 5s"' in client.get(f"/sonar/campaigns/{campaign.id}/").content.decode()
    )
    assert "preparing keys" in client.get("/sonar/").content.decode()
