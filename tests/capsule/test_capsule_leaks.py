"""Through a whole key life, nothing the capsule logs, returns, raises or stores holds the key."""

from __future__ import annotations

import logging
import math
import traceback
from dataclasses import asdict

import gmpy2
import pytest

from accounts.services import profile_set_pgp_key
from capsule import cache, tasks
from capsule.models import CampaignKey, ModelDelivery, ValidationSet
from capsule.services import (
    CapsuleError,
    delivery_for,
    keypair_create,
    keypair_retire,
    model_deliver,
    model_encrypt_initial,
    model_refresh,
    model_score,
    public_key_for,
    validation_data_store,
    validation_data_summary,
)
from ledger.models import Entry


def _run(task, **kwargs):
    """The task's own code, here: no broker, and none of Celery's per-process state touched."""
    return task.run(**kwargs)


def _secret_numbers(private_key) -> dict[str, int]:
    p, q = int(private_key.p), int(private_key.q)
    n = p * q
    phi = (p - 1) * (q - 1)
    lam = math.lcm(p - 1, q - 1)
    return {
        "p": p,
        "q": q,
        "lambda": lam,
        "phi": phi,
        # With g = n + 1, mu is lambda's inverse modulo n (and phi's, for the phi variant).
        "mu": int(gmpy2.invert(lam, n)),
        "mu_phi": int(gmpy2.invert(phi, n)),
        "hp": int(private_key.hp),
        "hq": int(private_key.hq),
    }


def _leaks(text: str, secrets: dict[str, int]) -> list[str]:
    """Which secret numbers appear in text, in decimal or in hex (either case)."""
    lowered = text.lower()
    found = []
    for name, value in secrets.items():
        for spelling, spelled in (("decimal", str(value)), ("hex", format(value, "x"))):
            if spelled in lowered:
                found.append(f"{name} ({spelling})")
    return found


def _rows_as_text(*models) -> str:
    """Every column of every row, as the database holds it."""
    return "\n".join(repr(values) for model in models for values in model.objects.values_list())


def test_no_trace_of_the_private_key_through_a_whole_key_life(
    db, breast_cancer, alice, pgp_identity, settings, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    profile_set_pgp_key(user=alice, armored=pgp_identity.public_key)
    seen: list[object] = []
    campaign = 31

    def attempt(call) -> None:
        """Keep a refusal's message and traceback, as a log or an API answer would."""
        try:
            seen.append(call())
        except CapsuleError as exc:
            seen.append(str(exc))
            seen.append("".join(traceback.format_exception(exc)))

    seen.append(
        validation_data_store(
            campaign_id=campaign,
            input_schema=breast_cancer.input_schema,
            output_schema=breast_cancer.output_schema,
            data=breast_cancer.csv,
        )
    )
    seen.append(validation_data_summary(campaign_id=campaign))
    seen.append(keypair_create(campaign_id=campaign, spec=breast_cancer.spec))
    seen.append(
        _run(tasks.campaign_keys_prepare, campaign_id=campaign, spec=asdict(breast_cancer.spec),
             initial_weights=breast_cancer.fitted_weights.tolist())
    )  # fmt: skip
    public_key = public_key_for(campaign_id=campaign)
    seen.append(public_key)
    key_row = CampaignKey.objects.get(campaign_id=campaign)
    private_key = cache.private_keys.get((campaign, key_row.fingerprint))
    secrets = _secret_numbers(private_key)
    assert secrets["p"] * secrets["q"] == public_key.n

    blob = model_encrypt_initial(campaign_id=campaign, weights=breast_cancer.fitted_weights)
    seen.append(blob)
    seen.append(model_score(campaign_id=campaign, encrypted_weights_blob=blob))
    cache.private_keys.clear()  # the next use unwraps through gpg, with its debug logging
    seen.append(
        _run(tasks.candidate_score, campaign_id=campaign, gradient_id=1, candidate_blob=blob,
             publish_above_ppm=0)
    )  # fmt: skip
    refreshed = model_refresh(campaign_id=campaign, encrypted_weights_blob=blob)
    seen.append(refreshed)

    attempt(lambda: model_score(campaign_id=campaign, encrypted_weights_blob="0" * 64))
    attempt(lambda: model_encrypt_initial(campaign_id=campaign, weights=[1.0, 2.0]))
    passphrase = settings.CAPSULE_PASSPHRASE
    settings.CAPSULE_PASSPHRASE = "wrong"
    cache.private_keys.clear()
    attempt(lambda: model_score(campaign_id=campaign, encrypted_weights_blob=blob))
    settings.CAPSULE_PASSPHRASE = passphrase
    row_before_retirement = _rows_as_text(CampaignKey)

    delivery = model_deliver(
        campaign_id=campaign,
        encrypted_weights_blob=refreshed,
        owner_id=alice.id,
        metadata={"name": "breast cancer"},
    )
    seen.append(delivery)
    seen.append(pgp_identity.decrypt(delivery.data))
    seen.append(
        _run(
            tasks.model_deliver,
            campaign_id=campaign,
            encrypted_weights_blob=refreshed,
            owner_id=alice.id,
            metadata={},
        )
    )
    seen.append(keypair_retire(campaign_id=campaign))
    seen.append(_run(tasks.keypair_retire, campaign_id=campaign))
    seen.append(delivery_for(campaign_id=campaign))
    attempt(lambda: model_score(campaign_id=campaign, encrypted_weights_blob=refreshed))

    out, err = capfd.readouterr()
    records = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    everything = "\n".join(
        [
            caplog.text,
            records,
            out,
            err,
            *(repr(item) for item in seen),
            row_before_retirement,
            _rows_as_text(CampaignKey, ValidationSet, ModelDelivery, Entry),
        ]
    )

    # The search works: public numbers are found where they belong.
    assert format(public_key.n, "x") in everything
    assert any(record.name == "gnupg" for record in caplog.records)
    assert _leaks(everything, secrets) == []
    assert _leaks(row_before_retirement, secrets) == []
    assert "PGP MESSAGE" in row_before_retirement  # the key row holds the wrapped key, only


def test_the_leak_search_finds_a_key_that_was_logged(caplog):
    """Guards the test above: a leak of q in hex would not go unnoticed."""
    from syft.keys import keypair_generate

    _, private_key = keypair_generate(512, allow_insecure_for_tests=True)
    secrets = _secret_numbers(private_key)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("somewhere").debug("oops %x", private_key.q)

    assert _leaks(caplog.text, secrets) == ["q (hex)"]


@pytest.mark.parametrize("spelling", ["decimal", "hex"])
def test_the_leak_search_knows_both_spellings(spelling):
    from syft.keys import keypair_generate

    _, private_key = keypair_generate(512, allow_insecure_for_tests=True)
    secrets = _secret_numbers(private_key)
    text = str(secrets["mu"]) if spelling == "decimal" else format(secrets["mu"], "X")

    assert _leaks(f"... {text} ...", secrets) == [f"mu ({spelling})"]
