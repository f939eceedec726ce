"""The client against a real Sonar over HTTP, and against a scripted proxy for 5xx/429."""

from __future__ import annotations

import socket

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_issue
from pysonar import (
    NO_RETRY,
    MalformedResponse,
    RetryPolicy,
    SonarClient,
    SonarError,
    SonarUnavailable,
)
from tests.conftest import PASSWORD
from tests.pysonar.conftest import json_answer


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fast(max_attempts: int = 4, **kwargs) -> RetryPolicy:
    return RetryPolicy(max_attempts=max_attempts, base_delay_s=0.01, max_delay_s=0.02, **kwargs)


# --- against the real platform ------------------------------------------------------------------


def test_it_trades_username_and_password_for_a_token_and_reads_the_profile(live_server, alice):
    sonar = SonarClient(live_server.url, username="alice", password=PASSWORD)
    assert ApiToken.objects.get(user=alice).prefix == sonar.token[:8]
    me = sonar.me()
    assert me["username"] == "alice"
    assert me["roles"] == ["data scientist"]


def test_a_token_alone_authenticates(live_server, api_as, bob):
    token = token_issue(user=bob).key
    assert SonarClient(live_server.url, token=token).me()["username"] == "bob"


def test_a_wrong_password_raises_the_apis_code_and_sentence(live_server, alice):
    with pytest.raises(SonarError) as caught:
        SonarClient(live_server.url, username="alice", password="wrong", retry=NO_RETRY)
    assert caught.value.status == 401
    assert caught.value.code == "authentication_failed"
    assert caught.value.detail == "Unable to log in with this username and password."
    assert not isinstance(caught.value, SonarUnavailable)


def test_an_expired_token_is_renewed_when_the_client_knows_the_password(
    live_server, alice, settings
):
    sonar = SonarClient(live_server.url, username="alice", password=PASSWORD)
    old = sonar.token
    ApiToken.objects.filter(prefix=old[:8]).update(expires_at=timezone.now())
    assert sonar.me()["username"] == "alice"
    assert sonar.token != old


def test_an_expired_token_without_a_password_raises_401_naming_the_cure(
    live_server, alice, settings
):
    token = token_issue(user=alice)
    ApiToken.objects.filter(pk=token.token.pk).update(expires_at=timezone.now())
    with pytest.raises(SonarError) as caught:
        SonarClient(live_server.url, token=token.key).me()
    assert caught.value.status == 401
    assert "expired" in caught.value.detail


def test_a_missing_resource_is_a_404_asked_once(live_server, alice, recording_session):
    session, recorder = recording_session
    sonar = SonarClient(live_server.url, username="alice", password=PASSWORD, session=session)
    recorder.sent.clear()
    with pytest.raises(SonarError) as caught:
        sonar.campaign(987654)
    assert caught.value.status == 404
    assert caught.value.code == "not_found"
    assert len(recorder.sent) == 1


# --- Sonar unreachable ---------------------------------------------------------------------------


def test_an_unreachable_sonar_is_retried_with_growing_bounded_delays_then_unavailable(
    recording_session,
):
    session, recorder = recording_session
    slept: list[float] = []
    sonar = SonarClient(
        f"http://127.0.0.1:{_closed_port()}",
        token="t",
        retry=RetryPolicy(max_attempts=4, base_delay_s=0.1, max_delay_s=0.25),
        session=session,
        sleep=slept.append,
    )
    with pytest.raises(SonarUnavailable) as caught:
        sonar.campaigns_open()
    assert len(recorder.sent) == 4
    assert "gave up after 4 attempts" in caught.value.detail
    assert caught.value.status == 0
    # Exponential ceilings 0.1, 0.2, then capped at 0.25; jitter keeps each in its upper half.
    assert 0.05 <= slept[0] <= 0.1
    assert 0.1 <= slept[1] <= 0.2
    assert 0.125 <= slept[2] <= 0.25


def test_the_total_backoff_of_one_call_is_bounded():
    slept: list[float] = []
    sonar = SonarClient(
        f"http://127.0.0.1:{_closed_port()}",
        token="t",
        retry=RetryPolicy(max_attempts=100, base_delay_s=1, max_delay_s=8, max_total_delay_s=20),
        sleep=slept.append,
    )
    with pytest.raises(SonarUnavailable):
        sonar.me()
    assert sum(slept) <= 20
    assert len(slept) < 10


def test_jitter_spreads_clients_that_failed_together():
    delays = {RetryPolicy().delay(3) for _ in range(20)}
    assert len(delays) > 1
    assert all(1.0 <= d <= 2.0 for d in delays)


def test_a_post_that_never_reached_sonar_is_retried_even_without_a_key():
    slept: list[float] = []
    sonar = SonarClient(
        f"http://127.0.0.1:{_closed_port()}", token="t", retry=_fast(3), sleep=slept.append
    )
    with pytest.raises(SonarUnavailable):
        sonar.campaign_close(1)
    assert len(slept) == 2


# --- 5xx and 429 from what sits in front of Sonar -------------------------------------------------


def test_a_503_is_retried_and_the_next_answer_is_used(scripted_server):
    scripted_server.script += [
        json_answer(503, {"error": "unavailable", "detail": "Restarting."}),
        json_answer(200, {"username": "bob"}),
    ]
    sonar = SonarClient(scripted_server.url, token="t", retry=_fast(), sleep=lambda s: None)
    assert sonar.me() == {"username": "bob"}
    assert len(scripted_server.requests) == 2


def test_retry_after_on_a_429_is_honoured_up_to_the_delay_cap(scripted_server):
    scripted_server.script += [
        json_answer(429, {"error": "throttled", "detail": "Slow down."}, **{"Retry-After": "3"}),
        json_answer(429, {"error": "throttled", "detail": "Slow down."}, **{"Retry-After": "99"}),
        json_answer(200, {"username": "bob"}),
    ]
    slept: list[float] = []
    sonar = SonarClient(
        scripted_server.url,
        token="t",
        retry=RetryPolicy(base_delay_s=0.01, max_delay_s=10),
        sleep=slept.append,
    )
    sonar.me()
    assert slept[0] == 3
    assert slept[1] == 10


def test_a_post_with_an_idempotency_key_is_resent_with_the_same_key_after_a_502(
    scripted_server,
):
    scripted_server.script += [
        (502, {"Content-Type": "text/html"}, b"<h1>Bad gateway</h1>"),
        json_answer(200, {"account": "wallet:bob", "balance_minor": 500, "currency": "USD"}),
    ]
    sonar = SonarClient(scripted_server.url, token="t", retry=_fast(), sleep=lambda s: None)
    wallet = sonar.wallet_deposit(500, "deposit-1")
    assert wallet["balance_minor"] == 500
    keys = [headers.get("Idempotency-Key") for _, _, headers in scripted_server.requests]
    assert keys == ["deposit-1", "deposit-1"]


def test_a_post_without_a_key_is_not_repeated_after_a_500_that_may_have_applied_it(
    scripted_server,
):
    scripted_server.script += [
        json_answer(500, {"error": "server_error", "detail": "Something went wrong."}),
    ]
    sonar = SonarClient(scripted_server.url, token="t", retry=_fast(), sleep=lambda s: None)
    with pytest.raises(SonarUnavailable) as caught:
        sonar.campaign_close(7)
    assert caught.value.status == 500
    assert "may or may not have been applied" in caught.value.detail
    assert len(scripted_server.requests) == 1


def test_a_post_without_a_key_is_retried_after_a_503_which_means_not_processed(scripted_server):
    scripted_server.script += [
        json_answer(503, {"error": "unavailable", "detail": "Maintenance."}),
        json_answer(200, {"id": 7, "status": "open"}),
    ]
    sonar = SonarClient(scripted_server.url, token="t", retry=_fast(), sleep=lambda s: None)
    assert sonar.campaign_launch(7)["status"] == "open"
    assert len(scripted_server.requests) == 2


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413, 422])
def test_a_4xx_is_never_retried(scripted_server, status):
    scripted_server.script += [json_answer(status, {"error": "nope", "detail": "Refused."})] * 3
    sonar = SonarClient(scripted_server.url, token="t", retry=_fast(), sleep=lambda s: None)
    with pytest.raises(SonarError) as caught:
        sonar.gradient(3)
    assert (caught.value.status, caught.value.code, caught.value.detail) == (
        status,
        "nope",
        "Refused.",
    )
    assert not isinstance(caught.value, SonarUnavailable)
    assert len(scripted_server.requests) == 1


def test_validation_errors_keep_the_fields_the_api_named(scripted_server):
    scripted_server.script += [
        json_answer(
            400,
            {
                "error": "invalid",
                "detail": "bounty_minor: must be positive.",
                "fields": {"bounty_minor": ["must be positive."]},
            },
        )
    ]
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    with pytest.raises(SonarError) as caught:
        sonar.campaign_create(name="x", bounty_minor=-1)
    assert caught.value.fields == {"bounty_minor": ["must be positive."]}


def test_an_error_page_without_the_api_shape_still_says_what_came_back(scripted_server):
    scripted_server.script += [(502, {"Content-Type": "text/html"}, b"<h1>Bad   gateway</h1>")]
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    with pytest.raises(SonarUnavailable) as caught:
        sonar.me()
    assert caught.value.status == 502
    assert "<h1>Bad gateway</h1>" in caught.value.detail


def test_a_success_that_is_not_json_is_a_malformed_response(scripted_server):
    scripted_server.script += [(200, {"Content-Type": "text/html"}, b"<html>login</html>")]
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    with pytest.raises(MalformedResponse) as caught:
        sonar.me()
    assert "not JSON" in caught.value.detail


# --- lists, watching, arguments ----------------------------------------------------------------


def test_open_campaigns_follow_every_page(scripted_server):
    scripted_server.script += [
        json_answer(
            200,
            {
                "count": 3,
                "next": f"{scripted_server.url}/api/campaigns/?status=open&page=2",
                "previous": None,
                "results": [{"id": 1}, {"id": 2}],
            },
        ),
        json_answer(200, {"count": 3, "next": None, "previous": "x", "results": [{"id": 3}]}),
    ]
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    assert [c["id"] for c in sonar.campaigns_open()] == [1, 2, 3]
    assert [path for _, path, _ in scripted_server.requests] == [
        "/api/campaigns/?status=open",
        "/api/campaigns/?status=open&page=2",
    ]


def _no_events(last_seq: int) -> tuple:
    return json_answer(200, {"events": [], "last_seq": last_seq, "more": False, "campaign": {}})


def test_watching_follows_events_and_stops_once_settled_not_at_completed(scripted_server):
    states = [
        {"id": 4, "status": "open", "current_version": 0, "settled_at": None},
        {"id": 4, "status": "open", "current_version": 1, "settled_at": None},
        {"id": 4, "status": "completed", "current_version": 1, "settled_at": None},
        {"id": 4, "status": "completed", "current_version": 1, "settled_at": "2026-01-01T00:00Z"},
    ]
    for seq, state in enumerate(states):
        scripted_server.script.append(json_answer(200, state))
        scripted_server.script.append(_no_events(10 + seq))
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    seen = list(sonar.campaign_watch(4, wait_s=5))
    assert [(c["status"], c["settled_at"] is not None) for c in seen] == [
        ("open", False),
        ("open", False),
        ("completed", False),
        ("completed", True),
    ]
    event_calls = [path for _, path, _ in scripted_server.requests if "/events/" in path]
    assert event_calls == [
        "/api/campaigns/4/events/?after=0&wait=5",
        "/api/campaigns/4/events/?after=10&wait=5",
        "/api/campaigns/4/events/?after=11&wait=5",
    ]


def test_watching_gives_up_at_its_timeout(scripted_server):
    for _ in range(50):
        scripted_server.script.append(json_answer(200, {"id": 4, "status": "open"}))
        scripted_server.script.append(_no_events(3))
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    with pytest.raises(TimeoutError, match="still 'open'"):
        list(sonar.campaign_watch(4, wait_s=0.05, timeout_s=0.2))


def test_the_result_comes_back_as_the_exact_bytes(scripted_server):
    artifact = b"-----BEGIN PGP MESSAGE-----\n\x00\xff"
    scripted_server.script += [(200, {"Content-Type": "application/octet-stream"}, artifact)]
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    assert sonar.result_download(4) == artifact


def test_it_refuses_a_url_that_is_not_http():
    with pytest.raises(ValueError, match="not an http"):
        SonarClient("sonar.example.org", token="t")


def test_it_needs_a_token_or_a_username_and_password():
    with pytest.raises(ValueError, match="token"):
        SonarClient("http://127.0.0.1:1", username="alice")


def test_money_is_whole_minor_units(scripted_server):
    sonar = SonarClient(scripted_server.url, token="t", retry=NO_RETRY)
    with pytest.raises(TypeError, match="minor units"):
        sonar.wallet_deposit(10.5, "k")  # type: ignore[arg-type]
    assert scripted_server.requests == []
