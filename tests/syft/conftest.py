"""Paillier keys for syft's tests, generated once per session (key generation is slow)."""

import numpy as np
import pytest
from phe.paillier import PaillierPrivateKey, PaillierPublicKey

from syft.keys import keypair_generate

KeyPair = tuple[PaillierPublicKey, PaillierPrivateKey]


@pytest.fixture(scope="session")
def paillier_keys() -> KeyPair:
    """A 1024-bit key pair: insecure, but four times faster than 2048 bits for tests."""
    return keypair_generate(1024, allow_insecure_for_tests=True)


@pytest.fixture(scope="session")
def paillier_keys_other() -> KeyPair:
    """A second, unrelated 1024-bit key pair, for key-mismatch tests."""
    return keypair_generate(1024, allow_insecure_for_tests=True)


@pytest.fixture(scope="session")
def paillier_keys_small() -> KeyPair:
    """A 512-bit key pair for property tests that run hundreds of examples."""
    return keypair_generate(512, allow_insecure_for_tests=True)


@pytest.fixture(scope="session")
def paillier_keys_2048() -> KeyPair:
    """A production-size key pair, made with the default (secure) settings."""
    return keypair_generate()


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator so failures reproduce."""
    return np.random.default_rng(20240601)
