"""Campaign fixtures: funded data scientists, real data sets split across mines, and a mine's
side of the protocol (sufficient statistics → encrypted gradient) done with syft."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ledger import services as ledger
from syft import keys, wire
from syft.models import model_for


@dataclass(frozen=True)
class Dataset:
    """A task cut into mines' shares and the data scientist's validation set."""

    name: str
    input_schema: list[dict]
    output_schema: list[dict]
    algorithm: str
    mines: list[tuple[np.ndarray, np.ndarray]]
    X_val: np.ndarray
    y_val: np.ndarray

    def validation_csv(self) -> bytes:
        return to_csv(self.input_schema, self.output_schema, self.X_val, self.y_val)


def to_csv(input_schema, output_schema, X, y) -> bytes:
    names = [f["name"] for f in input_schema] + [output_schema[0]["name"]]
    out = io.StringIO()
    out.write(",".join(names) + "\n")
    bool_target = output_schema[0]["type"] == "bool"
    for row, target in zip(X, y, strict=True):
        cells = [repr(float(v)) for v in row]
        cells.append(("true" if target else "false") if bool_target else repr(float(target)))
        out.write(",".join(cells) + "\n")
    return out.getvalue().encode()


def _split(X, y, n_mines: int, seed: int, stratify: bool) -> tuple[list, np.ndarray, np.ndarray]:
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y if stratify else None
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    shares = [(X_train[i::n_mines], y_train[i::n_mines]) for i in range(n_mines)]
    return shares, X_val, y_val


@pytest.fixture(scope="session")
def diabetes() -> Dataset:
    return diabetes_dataset()


def diabetes_dataset() -> Dataset:
    """Diabetes progression, standardized, split between two mines and a validation set."""
    data = load_diabetes()
    y = (data.target - data.target.mean()) / data.target.std()
    shares, X_val, y_val = _split(data.data, y, 2, seed=7, stratify=False)
    return Dataset(
        name="diabetes",
        input_schema=[{"name": n, "type": "float"} for n in data.feature_names],
        output_schema=[{"name": "progression", "type": "float"}],
        algorithm="linear_regression",
        mines=shares,
        X_val=X_val,
        y_val=y_val,
    )


@pytest.fixture(scope="session")
def breast_cancer() -> Dataset:
    data = load_breast_cancer()
    shares, X_val, y_val = _split(data.data, data.target, 2, seed=3, stratify=True)
    return Dataset(
        name="breast-cancer",
        input_schema=[{"name": f"f{i}", "type": "float"} for i in range(data.data.shape[1])],
        output_schema=[{"name": "malignant", "type": "bool"}],
        algorithm="logistic_regression",
        mines=shares,
        X_val=X_val,
        y_val=y_val,
    )


@pytest.fixture
def fund() -> Callable:
    """Deposit money in a person's wallet (as an operator would)."""

    def deposit(user, amount_minor: int) -> None:
        ledger.deposit(
            user=user,
            amount_minor=amount_minor,
            idempotency_key=f"test-deposit-{uuid.uuid4()}",
            memo="test deposit",
        )

    return deposit


@pytest.fixture
def launched(api_as, fund) -> Callable:
    """Create, fund, upload validation data and launch a campaign through the API."""

    def make(owner, dataset: Dataset, **fields) -> dict:
        fund(owner, fields.pop("deposit_minor", 1_000_000))
        client = api_as(owner)
        body = {
            "name": fields.pop("name", dataset.name),
            "input_schema": dataset.input_schema,
            "output_schema": dataset.output_schema,
            "algorithm": dataset.algorithm,
            "bounty_minor": fields.pop("bounty_minor", 100_000),
            "target_accuracy": fields.pop("target_accuracy", 0.99),
            "hyperparameters": fields.pop("hyperparameters", {"learning_rate": 0.5}),
            **fields,
        }
        created = client.post("/api/campaigns/", body, format="json")
        assert created.status_code == 201, created.json()
        campaign_id = created.json()["id"]
        upload = client.post(
            f"/api/campaigns/{campaign_id}/validation-data/",
            {"file": io.BytesIO(dataset.validation_csv())},
            format="multipart",
        )
        assert upload.status_code == 201, upload.json()
        launched = client.post(f"/api/campaigns/{campaign_id}/launch/")
        assert launched.status_code == 202, launched.json()
        return campaign_wait_open(client, campaign_id)

    return make


def campaign_wait_open(client, campaign_id: int, timeout: float = 90) -> dict:
    """Poll the campaign until the capsule has made its keys (at once in the eager mode)."""
    deadline = time.monotonic() + timeout
    body = client.get(f"/api/campaigns/{campaign_id}/").json()
    while body["status"] == "launching" and time.monotonic() < deadline:
        time.sleep(0.2)
        body = client.get(f"/api/campaigns/{campaign_id}/").json()
    assert body["status"] == "open", body
    return body


def mine_gradient(model_json: dict, X: np.ndarray, y: np.ndarray) -> dict:
    """What a mine does: an encrypted, re-randomized gradient from its rows and the model."""
    # The test suite's campaigns use 1024-bit keys (settings_test); a real mine would refuse them.
    public_key = keys.public_key_from_dict(model_json["public_key"], allow_insecure_for_tests=True)
    weights = wire.encrypted_from_json(
        model_json["weights"], public_key=public_key, expected_shape=tuple(model_json["shape"])
    )
    model = model_for(
        model_json["algorithm"],
        n_features=model_json["n_features"],
        n_classes=model_json["n_classes"],
        fit_intercept=model_json["fit_intercept"],
    )
    gradient = model.encrypted_gradient(weights, model.sufficient_statistics(X, y)).obfuscate()
    return wire.encrypted_to_json(gradient)


@pytest.fixture
def submit(api_as) -> Callable:
    """A miner downloads the current model and submits a gradient on their rows."""

    def send(miner, campaign_id: int, X, y, *, key: str | None = None, **overrides):
        client = api_as(miner)
        model = client.get(f"/api/campaigns/{campaign_id}/model/").json()
        wallet = client.get("/api/wallet/").json()
        body = {
            "base_version": model["version"],
            "n_samples": len(X),
            "payout_account": wallet["account"],
            "gradient": mine_gradient(model, X, y),
            **overrides,
        }
        return client.post(
            f"/api/campaigns/{campaign_id}/gradients/",
            body,
            format="json",
            HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        )

    return send


FAST_REDELIVERY = {
    # A short visibility timeout makes Redis hand an unacknowledged task to the next worker
    # within seconds instead of 15 minutes.
    "CELERY_VISIBILITY_TIMEOUT": "3",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
}


@dataclass
class RoleWorkers:
    """An evaluation worker without the capsule's secrets, and a capsule worker with them."""

    evaluation: object
    capsule: object


@pytest.fixture
def role_workers(celery_worker, tmp_path, request) -> RoleWorkers:
    """Two real workers, one per role, that pause in the step the test names and can be killed.

    The session's all-queue worker steps aside for the test. The evaluation worker runs with
    SONAR_ROLES=evaluation and no capsule variable at all, as in production.
    """
    from tests.conftest import CAPSULE_VARIABLES, WorkerProcess

    pause = getattr(request, "param", None)
    faults = {**FAST_REDELIVERY}
    if pause:
        faults.update(SONAR_EVALUATION_PAUSE_MS="4000", SONAR_EVALUATION_PAUSE_STEPS=pause)
    celery_worker.stop()
    evaluation = WorkerProcess(
        tmp_path / "evaluation-worker.log",
        extra_env={**faults, "SONAR_ROLES": "evaluation"},
        queues="evaluation,default",
        drop_env=CAPSULE_VARIABLES,
    )
    capsule = WorkerProcess(
        tmp_path / "capsule-worker.log",
        extra_env={**faults, "SONAR_ROLES": "capsule"},
        queues="capsule",
    )
    evaluation.start()
    capsule.start()
    try:
        yield RoleWorkers(evaluation=evaluation, capsule=capsule)
    finally:
        evaluation.stop()
        capsule.stop()
        celery_worker.start()


def entries_of(kind: str, **payload_fields) -> list:
    """Ledger entries of a kind whose payload holds the given fields."""
    from ledger.models import Entry

    return [
        entry
        for entry in Entry.objects.filter(kind=kind).order_by("seq")
        if all(entry.payload.get(k) == v for k, v in payload_fields.items())
    ]
