"""App configuration."""

import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("capsule")


class CapsuleConfig(AppConfig):
    """The only holder of private keys: key custody, decrypt-and-score, final delivery."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "capsule"
    verbose_name = "Capsule"

    def ready(self) -> None:
        if not settings.HAS_CAPSULE_ROLE and settings.CAPSULE_SECRETS_SET:
            # Not read, but present in this process's environment (and so in /proc): a secret
            # belongs only where it is used.
            logger.warning(
                "%s set in a process without the capsule role (SONAR_ROLES=%s); it is ignored. "
                "Remove it from this process's environment: only capsule workers need it.",
                ", ".join(settings.CAPSULE_SECRETS_SET),
                ",".join(sorted(settings.SONAR_ROLES)),
            )
        if settings.HAS_CAPSULE_ROLE:
            from celery.signals import worker_ready

            worker_ready.connect(_publish_identity, weak=False)


def _publish_identity(**_: object) -> None:
    """A capsule worker publishes its public key at start, so web processes can encrypt to it."""
    from capsule import services

    try:
        fingerprint = services.capsule_identity_publish()
    except Exception:
        logger.exception("The capsule could not publish its public key")
        return
    logger.info("The capsule's public key %s is published", fingerprint)
