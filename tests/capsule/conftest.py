"""Capsule fixtures: validation sets built from scikit-learn's bundled data, and campaigns."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

from capsule import cache
from capsule.services import ModelSpec, keypair_create, validation_data_store


@dataclass(frozen=True)
class Dataset:
    """A validation set as a data scientist would upload it, plus weights fitted in the clear."""

    spec: ModelSpec
    input_schema: list[dict]
    output_schema: list[dict]
    csv: bytes
    X: np.ndarray
    y: np.ndarray
    fitted_weights: np.ndarray
    task: str


def _csv(names: list[str], X: np.ndarray, target_name: str, targets: list[str]) -> bytes:
    # repr() round-trips every float exactly, so the capsule reads the very X sklearn sees.
    lines = [",".join([*names, target_name])]
    lines += [
        ",".join([*(repr(float(value)) for value in row), target])
        for row, target in zip(X, targets, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


def _names(raw: list[str]) -> list[str]:
    return [name.replace(" ", "_") for name in raw]


@pytest.fixture(scope="session")
def diabetes() -> Dataset:
    """Regression: 442 rows, 10 features."""
    data = load_diabetes()
    X, y = data.data, data.target.astype(np.float64)
    names = _names(list(data.feature_names))
    fit = LinearRegression().fit(X, y)
    return Dataset(
        spec=ModelSpec(algorithm="linear_regression", n_features=X.shape[1]),
        input_schema=[{"name": name, "type": "float"} for name in names],
        output_schema=[{"name": "progression", "type": "float"}],
        csv=_csv(names, X, "progression", [repr(float(v)) for v in y]),
        X=X,
        y=y,
        fitted_weights=np.r_[fit.coef_, fit.intercept_],
        task="regression",
    )


@pytest.fixture(scope="session")
def breast_cancer() -> Dataset:
    """Binary classification: 569 rows, 30 features."""
    data = load_breast_cancer()
    X, y = data.data, data.target.astype(np.int64)
    names = _names(list(data.feature_names))
    fit = LogisticRegression(max_iter=10_000).fit(X, y)
    return Dataset(
        spec=ModelSpec(algorithm="logistic_regression", n_features=X.shape[1]),
        input_schema=[{"name": name, "type": "float"} for name in names],
        output_schema=[{"name": "benign", "type": "bool"}],
        csv=_csv(names, X, "benign", ["true" if label else "false" for label in y]),
        X=X,
        y=y,
        fitted_weights=np.r_[fit.coef_[0], fit.intercept_],
        task="binary",
    )


@pytest.fixture(scope="session")
def iris() -> Dataset:
    """Three classes: 150 rows, 4 features."""
    data = load_iris()
    X, y = data.data, data.target.astype(np.int64)
    names = _names([name.replace(" (cm)", "") for name in data.feature_names])
    species = [str(name) for name in data.target_names]
    fit = LogisticRegression(max_iter=10_000).fit(X, y)
    return Dataset(
        spec=ModelSpec(algorithm="logistic_regression_ovr", n_features=4, n_classes=3),
        input_schema=[{"name": name, "type": "float"} for name in names],
        output_schema=[{"name": "species", "type": "category", "categories": species}],
        csv=_csv(names, X, "species", [species[label] for label in y]),
        X=X,
        y=y,
        fitted_weights=np.hstack([fit.coef_, fit.intercept_[:, None]]),
        task="multiclass",
    )


@pytest.fixture(autouse=True)
def _empty_capsule_caches() -> Iterator[None]:
    """Each test starts with nothing unwrapped, as a fresh worker process would."""
    cache.private_keys.clear()
    cache.validation_sets.clear()
    yield
    cache.private_keys.clear()
    cache.validation_sets.clear()


@pytest.fixture
def launched(db) -> Callable[..., int]:
    """Store a dataset's validation data and make the key pair, as a launch does."""

    def launch(dataset: Dataset, campaign_id: int = 1) -> int:
        validation_data_store(
            campaign_id=campaign_id,
            input_schema=dataset.input_schema,
            output_schema=dataset.output_schema,
            data=dataset.csv,
        )
        keypair_create(campaign_id=campaign_id, spec=dataset.spec)
        return campaign_id

    return launch


def gpg_agent_stop(home: Path) -> None:
    """Stop the gpg-agent a GPG home started, so tests leave no daemons behind."""
    if home.exists():
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
            capture_output=True,
            check=False,
        )


@pytest.fixture
def empty_capsule_home(settings, tmp_path) -> Iterator[Path]:
    """CAPSULE_GNUPGHOME pointed at an empty directory: the capsule's key is gone."""
    home = tmp_path / "capsule-home"
    settings.CAPSULE_GNUPGHOME = home
    yield home
    gpg_agent_stop(home)


@pytest.fixture(scope="session", autouse=True)
def _stop_capsule_gpg_agent() -> Iterator[None]:
    yield
    gpg_agent_stop(Path(settings.CAPSULE_GNUPGHOME))
