"""The capsule's Celery tasks run on the capsule queue and only call the services."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from celery.app.routes import MapRoute
from django.conf import settings

from capsule import tasks
from capsule.services import model_encrypt_initial, validation_data_store
from openmined.celery import app


def _run(task, **kwargs):
    """The task's own code, here: no broker, and none of Celery's per-process state touched."""
    return task.run(**kwargs)


def test_capsule_tasks_are_routed_to_the_capsule_queue():
    names = [name for name in app.tasks if name.startswith("capsule.tasks.")]

    assert sorted(names) == [
        "capsule.tasks.keypair_create",
        "capsule.tasks.keypair_retire",
        "capsule.tasks.model_deliver",
        "capsule.tasks.model_encrypt_initial",
        "capsule.tasks.model_refresh",
        "capsule.tasks.model_score",
    ]
    # MapRoute is what Celery's router applies to CELERY_TASK_ROUTES, minus a broker connection.
    routes = MapRoute(settings.CELERY_TASK_ROUTES)
    assert {routes(name)["queue"] for name in names} == {"capsule"}


def test_a_campaign_lives_through_the_tasks(db, breast_cancer, alice):
    validation_data_store(
        campaign_id=1,
        input_schema=breast_cancer.input_schema,
        output_schema=breast_cancer.output_schema,
        data=breast_cancer.csv,
    )
    spec = asdict(breast_cancer.spec)

    public = _run(tasks.keypair_create, campaign_id=1, spec=spec)
    assert _run(tasks.keypair_create, campaign_id=1, spec=spec) == public
    weights = breast_cancer.fitted_weights.tolist()
    blob = _run(tasks.model_encrypt_initial, campaign_id=1, weights=weights)
    score = _run(tasks.model_score, campaign_id=1, encrypted_weights_blob=blob)
    refreshed = _run(tasks.model_refresh, campaign_id=1, encrypted_weights_blob=blob)
    delivered = _run(
        tasks.model_deliver,
        campaign_id=1,
        encrypted_weights_blob=refreshed,
        owner_id=alice.id,
        metadata={},
    )
    _run(tasks.keypair_retire, campaign_id=1)

    assert score > 0.9
    assert delivered["filename"] == "campaign-1-model.zip"
    assert set(delivered) == {"filename", "content_type", "pgp_fingerprint", "sha256", "size"}


@pytest.mark.worker
@pytest.mark.slow
def test_a_real_worker_scores_on_the_capsule_queue(celery_worker, breast_cancer):
    validation_data_store(
        campaign_id=2,
        input_schema=breast_cancer.input_schema,
        output_schema=breast_cancer.output_schema,
        data=breast_cancer.csv,
    )
    tasks.keypair_create.delay(campaign_id=2, spec=asdict(breast_cancer.spec)).get(timeout=120)
    blob = model_encrypt_initial(campaign_id=2, weights=breast_cancer.fitted_weights)

    # The worker has nothing cached: it unwraps the key and the data from the database.
    score = tasks.model_score.delay(campaign_id=2, encrypted_weights_blob=blob).get(timeout=120)

    assert score > 0.9
