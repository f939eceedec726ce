"""The API answers as its OpenAPI schema says, for hypothesis-generated requests.

schemathesis generates requests for every operation of /api/schema/ and runs all its checks on
each answer: no 5xx, a documented status code, content type, headers and body shape, and
(except where DOMAIN_VALIDITY says why not) that schema-valid requests are accepted.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from accounts.services import token_issue
from openmined.wsgi import application

# Operations whose valid inputs depend on more than OpenAPI can say, so a schema-valid request
# may rightly get a 400 and schemathesis's positive_data_acceptance check is not run on them
# (every other check is): a proof's tree size must not exceed the ledger's length now; a
# campaign's schemas must be a coherent feature schema (adapters/schema.py); a gradient must be
# ciphertexts under the campaign's key for an existing payout account; a PGP key must be an
# armored public key gpg accepts; a memo may hold no NUL character; a mine's payout account is
# a wallet id (acct_…); the role to drop travels in the body of a DELETE, which generated
# requests may leave out.
DOMAIN_VALIDITY = {
    "DELETE /api/me/roles/",
    "POST /api/mines/",
    "GET /api/ledger/proofs/inclusion/",
    "GET /api/ledger/proofs/consistency/",
    "POST /api/campaigns/",
    "POST /api/campaigns/{campaign_id}/gradients/",
    "PATCH /api/me/",
    "POST /api/wallet/deposit/",
}
EXAMPLES = settings(
    max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(autouse=True)
def connections_stay_open():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _check(operation, headers: dict[str, str]) -> None:
    """Run every check on generated requests for one operation; raise on the first failure."""
    excluded = [positive_data_acceptance] if operation.label in DOMAIN_VALIDITY else []

    @EXAMPLES
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    run()


def schema_failures(headers: dict[str, str]) -> list[str]:
    """Every operation's first failing check, one line each."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            _check(operation, headers)
        except (Exception, BaseExceptionGroup) as exc:  # every operation gets its own line
            failures.append(f"{operation.label}: {' '.join(str(exc).split())[:1200]}")
    return failures


@pytest.mark.django_db
def test_the_api_answers_an_anonymous_client_as_its_schema_says():
    failures = schema_failures({})
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_api_answers_a_data_scientist_as_its_schema_says(alice):
    failures = schema_failures({"Authorization": f"Token {token_issue(user=alice).key}"})
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_api_answers_a_miner_as_its_schema_says(bob):
    failures = schema_failures({"Authorization": f"Token {token_issue(user=bob).key}"})
    assert not failures, "\n".join(failures)
