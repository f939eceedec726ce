"""The capsule's Celery tasks run on the capsule queue, call only the services, and report
refusals in their result instead of raising, so Sonar's chained step always runs."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from celery.app.routes import MapRoute
from django.conf import settings

from capsule import tasks
from capsule.services import validation_data_store
from openmined.celery import app


def _run(task, **kwargs):
    """The task's own code, here: no broker, and none of Celery's per-process state touched."""
    return task.run(**kwargs)


def test_capsule_tasks_are_routed_to_the_capsule_queue():
    names = [name for name in app.tasks if name.startswith("capsule.tasks.")]

    assert sorted(names) == [
        "capsule.tasks.campaign_keys_prepare",
        "capsule.tasks.candidate_score",
        "capsule.tasks.identity_publish",
        "capsule.tasks.keypair_retire",
        "capsule.tasks.model_deliver",
    ]
    # MapRoute is what Celery's router applies to CELERY_TASK_ROUTES, minus a broker connection.
    routes = MapRoute(settings.CELERY_TASK_ROUTES)
    assert {routes(name)["queue"] for name in names} == {"capsule"}


def _store(campaign_id: int, dataset) -> None:
    validation_data_store(
        campaign_id=campaign_id,
        input_schema=dataset.input_schema,
        output_schema=dataset.output_schema,
        data=dataset.csv,
    )


def test_a_campaign_lives_through_the_tasks(db, breast_cancer, alice):
    _store(1, breast_cancer)
    spec = asdict(breast_cancer.spec)
    weights = breast_cancer.fitted_weights.tolist()

    prepared = _run(tasks.campaign_keys_prepare, campaign_id=1, spec=spec, initial_weights=weights)
    again = _run(tasks.campaign_keys_prepare, campaign_id=1, spec=spec, initial_weights=weights)
    scored = _run(tasks.candidate_score, campaign_id=1, gradient_id=7,
                  candidate_blob=prepared["blob"], publish_above_ppm=0)  # fmt: skip
    delivered = _run(tasks.model_deliver, campaign_id=1, encrypted_weights_blob=prepared["blob"],
                     owner_id=alice.id, metadata={})  # fmt: skip
    _run(tasks.keypair_retire, campaign_id=1)

    assert prepared["ok"] and prepared["score"] > 0.9
    assert again["ok"] and again["score"] == prepared["score"]  # the same key pair, reused
    assert scored["ok"] and scored["score"] == prepared["score"]
    assert scored["gradient"] == 7 and scored["publish_blob"] == prepared["blob"]
    assert delivered["ok"] and delivered["filename"] == "campaign-1-model.zip"
    assert set(delivered) == {"ok", "filename", "content_type", "pgp_fingerprint", "sha256", "size"}


def test_a_candidate_that_does_not_beat_the_best_is_not_published(db, breast_cancer):
    _store(3, breast_cancer)
    prepared = _run(tasks.campaign_keys_prepare, campaign_id=3, spec=asdict(breast_cancer.spec),
                    initial_weights=breast_cancer.fitted_weights.tolist())  # fmt: skip

    scored = _run(tasks.candidate_score, campaign_id=3, gradient_id=1,
                  candidate_blob=prepared["blob"], publish_above_ppm=1_000_000)  # fmt: skip

    assert scored["ok"]
    assert scored["publish_blob"] is None


def test_refusals_come_back_in_the_result_with_no_score(db, breast_cancer, alice):
    _store(4, breast_cancer)

    unprepared = _run(tasks.candidate_score, campaign_id=4, gradient_id=1,
                      candidate_blob="0" * 64, publish_above_ppm=0)  # fmt: skip
    undelivered = _run(tasks.model_deliver, campaign_id=4, encrypted_weights_blob="0" * 64,
                       owner_id=alice.id, metadata={})  # fmt: skip
    bad_spec = _run(tasks.campaign_keys_prepare, campaign_id=5,
                    spec={**asdict(breast_cancer.spec), "algorithm": "random_forest"},
                    initial_weights=[0.0])  # fmt: skip

    assert unprepared == {"ok": False, "malformed": True, "error": "KeyUnavailableError",
                          "gradient": 1, "candidate_blob": "0" * 64}  # fmt: skip
    assert "score" not in unprepared
    assert undelivered["ok"] is False and "no key pair" in undelivered["error"]
    assert bad_spec["ok"] is False and "random_forest" in bad_spec["error"]


@pytest.mark.worker
@pytest.mark.slow
def test_a_real_worker_prepares_keys_on_the_capsule_queue(celery_worker, breast_cancer):
    _store(2, breast_cancer)

    # The worker has nothing cached: it unwraps the capsule's key and the data from the database.
    prepared = tasks.campaign_keys_prepare.delay(
        campaign_id=2,
        spec=asdict(breast_cancer.spec),
        initial_weights=breast_cancer.fitted_weights.tolist(),
    ).get(timeout=120)

    assert prepared["ok"] and prepared["score"] > 0.9
