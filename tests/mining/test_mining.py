"""The mining process against a real Sonar on 127.0.0.1: train, submit, survive, never leak."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiToken
from mine_ui.mining import mine_train_once
from mine_ui.models import Contribution, PrivacyBudget
from mine_ui.services import budget_set, contribution_start, policy_update
from pysonar import NO_RETRY, SonarError, SonarUnavailable
from sonar_ui.models import GradientSubmission
from tests.mining.conftest import client_for, launch
from tests.pysonar.conftest import Rule

GRADIENTS = r"^/api/campaigns/\d+/gradients/$"
MODEL = r"^/api/campaigns/\d+/model/$"


def _outbox(contribution: Contribution):
    return settings.VAR_DIR / "mine-outbox" / f"{contribution.idempotency_key}.json"


def test_a_mine_trains_on_an_open_campaign_and_records_sonars_verdict(
    platform, open_campaign, bob_mine, bob_dataset, bob_client
):
    touched = mine_train_once(mine=bob_mine, client=bob_client)

    contribution = Contribution.objects.get(mine=bob_mine, campaign_id=open_campaign["id"])
    assert contribution in touched
    [gradient] = platform.alice.gradients(open_campaign["id"])
    assert contribution.submission_id == gradient["id"]
    assert contribution.status == gradient["status"] == "accepted"
    assert contribution.model_version == 0
    assert contribution.n_samples == bob_dataset.row_count
    assert contribution.earnings_minor == gradient["payout_minor"] > 0
    assert platform.alice.campaign(open_campaign["id"])["current_version"] == 1
    assert not _outbox(contribution).exists()


def test_the_mines_rows_never_cross_to_sonar(
    open_campaign, bob_mine, bob_dataset, bob_client, wire, diabetes_task
):
    mine_train_once(mine=bob_mine, client=bob_client)

    assert wire.sent_to("POST", GRADIENTS), "the mine sent no gradient; the check proves nothing"
    # Every cell of bob's file, as written and as Python prints the parsed number; long enough
    # (and with a decimal point) that it cannot occur in hex ciphertexts or by coincidence.
    lines = diabetes_task.mine_csvs[0].decode().splitlines()[1:]
    cells = {cell for line in lines for cell in line.split(",")}
    raw = {text for cell in cells for text in (cell, repr(float(cell)))}
    raw = {text for text in raw if len(text.lstrip("-")) >= 6 and "." in text}
    assert len(raw) > 500
    for request in wire.sent:
        body = request.body or b""
        seen = " ".join(
            [
                request.url,
                *(f"{name}: {value}" for name, value in request.headers.items()),
                body.decode("latin-1") if isinstance(body, bytes) else body,
            ]
        )
        leaked = sorted(text for text in raw if text in seen)
        assert not leaked, f"{request.method} {request.url} carries dataset values {leaked[:5]}"


def test_a_gradient_sonar_did_not_receive_stays_pending_and_goes_out_later_with_the_same_key(
    platform, open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    wire.rules.append(Rule("POST", GRADIENTS, "refuse", times=2))

    with pytest.raises(SonarUnavailable):
        mine_train_once(mine=bob_mine, client=bob_client)

    contribution = Contribution.objects.get(mine=bob_mine, campaign_id=open_campaign["id"])
    assert contribution.status == Contribution.PENDING
    assert _outbox(contribution).exists()
    assert platform.alice.gradients(open_campaign["id"]) == []

    mine_train_once(mine=bob_mine, client=bob_client)

    contribution.refresh_from_db()
    assert contribution.status == "accepted"
    key = contribution.idempotency_key
    first = GradientSubmission.objects.filter(campaign_id=open_campaign["id"]).earliest("id")
    assert first.idempotency_key == key
    assert contribution.submission_id == first.id
    # Two refused attempts, then the resend: all with the key recorded before the first try.
    posts = wire.sent_to("POST", GRADIENTS)
    assert [r.headers["Idempotency-Key"] for r in posts[:3]] == [key, key, key]


def test_a_lost_answer_is_resent_with_the_same_key_and_sonar_keeps_one_submission(
    platform, open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    wire.rules.append(Rule("POST", GRADIENTS, "lose_response"))
    bob_client.retry = NO_RETRY

    with pytest.raises(SonarUnavailable, match="gave up"):
        mine_train_once(mine=bob_mine, client=bob_client)
    contribution = Contribution.objects.get(mine=bob_mine, campaign_id=open_campaign["id"])
    assert contribution.status == Contribution.PENDING
    first = GradientSubmission.objects.get(campaign_id=open_campaign["id"])

    mine_train_once(mine=bob_mine, client=bob_client)

    contribution.refresh_from_db()
    key = contribution.idempotency_key
    assert GradientSubmission.objects.filter(idempotency_key=key).count() == 1
    assert contribution.submission_id == first.id
    assert contribution.status == "accepted"
    posts = wire.sent_to("POST", GRADIENTS)
    assert [r.headers["Idempotency-Key"] for r in posts[:2]] == [key, key]


def test_an_expired_token_stops_the_pass_and_changes_nothing(
    open_campaign, bob, bob_mine, bob_dataset, bob_client, wire
):
    ApiToken.objects.filter(user=bob).update(expires_at=timezone.now())

    with pytest.raises(SonarError) as caught:
        mine_train_once(mine=bob_mine, client=bob_client)

    assert caught.value.status == 401
    assert "expired" in caught.value.detail
    assert not Contribution.objects.filter(mine=bob_mine).exists()
    assert len(wire.sent) == 1  # no retry of a refused token


def test_a_campaign_closed_before_the_gradient_arrives_fails_the_contribution_with_the_reason(
    platform, open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    def close() -> None:
        platform.alice.campaign_close(open_campaign["id"])

    wire.rules.append(Rule("POST", GRADIENTS, "before", callback=close))

    mine_train_once(mine=bob_mine, client=bob_client)

    contribution = Contribution.objects.get(mine=bob_mine, campaign_id=open_campaign["id"])
    assert contribution.status == Contribution.FAILED
    assert contribution.reason.startswith("Sonar refused the gradient:")
    assert "takes no more gradients" in contribution.reason
    assert not _outbox(contribution).exists()


def test_a_campaign_closed_before_the_model_download_is_skipped_with_the_reason(
    platform, open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    wire.rules.append(
        Rule(
            "GET",
            MODEL,
            "before",
            callback=lambda: platform.alice.campaign_close(open_campaign["id"]),
        )
    )

    mine_train_once(mine=bob_mine, client=bob_client)

    [contribution] = Contribution.objects.filter(mine=bob_mine)
    assert contribution.status == Contribution.SKIPPED
    assert "only open campaigns serve their model" in contribution.reason
    assert not wire.sent_to("POST", GRADIENTS)


def test_a_malformed_model_is_skipped_and_nothing_is_computed_or_sent(
    open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    def break_a_ciphertext(body: dict) -> dict:
        body["weights"]["ciphertexts"][0] = "0"  # not a Paillier ciphertext: 0 < c < n² fails
        return body

    wire.rules.append(Rule("GET", MODEL, "tamper", callback=break_a_ciphertext))

    mine_train_once(mine=bob_mine, client=bob_client)

    [contribution] = Contribution.objects.filter(mine=bob_mine)
    assert contribution.status == Contribution.SKIPPED
    assert f"Campaign {open_campaign['id']}'s model is malformed" in contribution.reason
    assert not wire.sent_to("POST", GRADIENTS)


def test_a_policy_refusal_is_recorded_with_its_reason_and_nothing_is_downloaded(
    open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    policy_update(mine=bob_mine, auto_participate=False)

    mine_train_once(mine=bob_mine, client=bob_client)

    [contribution] = Contribution.objects.filter(mine=bob_mine)
    assert contribution.status == Contribution.SKIPPED
    assert "Automatic participation is off" in contribution.reason
    assert not wire.sent_to("GET", MODEL)


def test_a_version_sonar_rejected_is_not_mined_again_until_the_model_changes(
    platform, bob_mine, bob_dataset, bob_client, wire
):
    # A step this large overshoots: Sonar rejects the gradient and the model stays at v0.
    campaign = launch(platform, hyperparameters={"learning_rate": 100, "fit_intercept": True})

    mine_train_once(mine=bob_mine, client=bob_client)
    mine_train_once(mine=bob_mine, client=bob_client)

    [contribution] = Contribution.objects.filter(mine=bob_mine, campaign_id=campaign["id"])
    assert contribution.status == "rejected"
    assert "did not raise the accuracy above the best so far" in contribution.reason
    assert contribution.earnings_minor == 0
    assert len(wire.sent_to("POST", GRADIENTS)) == 1


def test_a_mine_with_a_privacy_budget_spends_it_on_a_noisy_gradient(
    open_campaign, bob_mine, bob_dataset, bob_client
):
    budget_set(
        mine=bob_mine, epsilon_total=3, epsilon_per_contribution="1.5",
        delta_per_contribution="0.000001",
    )  # fmt: skip

    mine_train_once(mine=bob_mine, client=bob_client)

    contribution = Contribution.objects.get(mine=bob_mine, campaign_id=open_campaign["id"])
    assert contribution.status in ("accepted", "rejected")
    assert contribution.epsilon_spent == Decimal("1.5")
    assert contribution.delta_spent == Decimal("0.000001")
    budget = PrivacyBudget.objects.get(mine=bob_mine)
    assert budget.epsilon_spent == Decimal("1.5")


def test_a_pending_contribution_whose_gradient_never_got_ready_is_closed_not_sent(
    open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    orphan = contribution_start(
        mine=bob_mine, dataset=bob_dataset, campaign=open_campaign, n_samples=10
    )
    Contribution.objects.filter(pk=orphan.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    mine_train_once(mine=bob_mine, client=bob_client)

    orphan.refresh_from_db()
    assert orphan.status == Contribution.FAILED
    assert "stopped before this gradient was ready" in orphan.reason
    keys = {r.headers["Idempotency-Key"] for r in wire.sent_to("POST", GRADIENTS)}
    assert orphan.idempotency_key not in keys


def test_mine_run_with_an_expired_token_says_how_to_fix_it_and_exits_2(
    platform, open_campaign, bob, bob_mine, bob_dataset
):
    token = client_for(platform.url, bob).token
    err = io.StringIO()
    ApiToken.objects.filter(user=bob).update(expires_at=timezone.now())

    with pytest.raises(SystemExit) as exited:
        call_command(
            "mine_run", "--mine", bob_mine.name, "--sonar-url", platform.url, "--token", token,
            "--once", stderr=err,
        )  # fmt: skip

    assert exited.value.code == 2
    assert "Sonar refused the token of mine 'bob's clinic'" in err.getvalue()
    assert "--token" in err.getvalue()
    assert not Contribution.objects.filter(mine=bob_mine).exists()


def test_mine_run_once_reports_what_the_pass_did(
    platform, open_campaign, bob, bob_mine, bob_dataset
):
    out = io.StringIO()

    call_command(
        "mine_run", "--mine", bob_mine.name, "--sonar-url", platform.url,
        "--token", client_for(platform.url, bob).token, "--once", stdout=out,
    )  # fmt: skip

    assert out.getvalue().strip() == "Mine 'bob's clinic': 1 accepted."
