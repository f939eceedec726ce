"""pysonar's gradient for miners outside Mine UI: private by default, released once, packed."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from pysonar.gradient import PrivacyBudgetExceeded, ReleaseCache, gradient_compute
from pysonar.models import CampaignModel
from syft.encrypted import EncryptedArray
from syft.keys import keypair_generate
from syft.models import LinearRegression
from syft.packing import PackedArray, packed_decrypt


@pytest.fixture(scope="module")
def keys():
    return keypair_generate(1024, allow_insecure_for_tests=True)


@pytest.fixture
def campaign(keys):
    public_key, _ = keys
    weights = EncryptedArray.encrypt(public_key, np.linspace(-0.5, 0.5, 4))
    return CampaignModel(
        campaign_id=7,
        version=3,
        algorithm="linear_regression",
        n_features=3,
        n_classes=None,
        fit_intercept=True,
        shape=(4,),
        public_key=public_key,
        weights=weights,
    )


@pytest.fixture
def rows():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3))
    return X, X @ [1.0, -2.0, 0.5] + rng.normal(scale=0.1, size=200)


def test_the_default_is_private_and_a_second_version_reuses_the_release(campaign, rows, keys):
    _, private_key = keys
    cache = ReleaseCache()
    first = gradient_compute(campaign, *rows, cache=cache)
    second = gradient_compute(campaign, *rows, cache=cache)

    assert first.private and first.epsilon_spent == 3.0
    assert second.epsilon_spent == 0.0 and cache.spent(next(iter(cache._spent))) == 3.0
    # The same release and the same weights: the same gradient (fresh noise would differ).
    np.testing.assert_array_equal(
        first.gradient.decrypt(private_key), second.gradient.decrypt(private_key)
    )
    assert first.gradient.ciphertexts != second.gradient.ciphertexts  # re-randomized
    exact = LinearRegression(n_features=3).plaintext_gradient(
        campaign.weights.decrypt(private_key), *rows
    )
    assert not np.allclose(first.gradient.decrypt(private_key), exact)


def test_a_new_release_past_the_total_is_refused(campaign, rows):
    cache = ReleaseCache(epsilon_total=4)
    gradient_compute(campaign, *rows, cache=cache)
    with pytest.raises(PrivacyBudgetExceeded, match="already released"):
        gradient_compute(
            campaign, *rows, cache=cache, scaling={"lower": [-5] * 3, "upper": [5] * 3}
        )


def test_a_cache_on_disk_survives_a_restart(campaign, rows, tmp_path, keys):
    _, private_key = keys
    path = tmp_path / "releases.json"
    first = gradient_compute(campaign, *rows, cache=ReleaseCache(path))
    again = gradient_compute(campaign, *rows, cache=ReleaseCache(path))
    assert again.epsilon_spent == 0
    np.testing.assert_array_equal(
        first.gradient.decrypt(private_key), again.gradient.decrypt(private_key)
    )


def test_exact_gradients_are_an_explicit_logged_choice(campaign, rows, keys, caplog):
    _, private_key = keys
    with caplog.at_level(logging.WARNING, logger="pysonar"):
        mined = gradient_compute(campaign, *rows, cache=ReleaseCache(), exact=True)
    assert not mined.private and mined.n_samples == 200
    assert "EXACT gradient" in caplog.text
    exact = LinearRegression(n_features=3).plaintext_gradient(
        campaign.weights.decrypt(private_key), *rows
    )
    # G carries 32 significant bits: errors are relative to the largest entry.
    np.testing.assert_allclose(
        mined.gradient.decrypt(private_key), exact, atol=1e-8 * np.abs(exact).max()
    )


def test_a_packed_gradient_decrypts_to_the_same_values(campaign, rows, keys):
    _, private_key = keys
    cache = ReleaseCache()
    plain = gradient_compute(campaign, *rows, cache=cache)
    packed = gradient_compute(campaign, *rows, cache=cache, packed=True)
    assert isinstance(packed.gradient, PackedArray) and len(packed.gradient.ciphertexts) == 1
    np.testing.assert_array_equal(
        packed_decrypt(private_key, packed.gradient), plain.gradient.decrypt(private_key)
    )
