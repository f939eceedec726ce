"""Settings for the test suite: the real settings plus speed and isolation.

Each pytest-xdist worker gets its own var/ directory (blobs, GPG homes) and its own Redis
database number, so parallel workers never consume each other's Celery tasks.
"""

from __future__ import annotations

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_worker_index = int(_worker.removeprefix("gw") or 0) if _worker.startswith("gw") else 0

os.environ.setdefault("DEBUG", "True")
os.environ.setdefault("PAILLIER_KEY_BITS", "1024")
os.environ.setdefault("PAILLIER_ALLOW_INSECURE_KEYS", "True")
if "SONAR_VAR_DIR" not in os.environ:
    os.environ["SONAR_VAR_DIR"] = tempfile.mkdtemp(prefix=f"sonar-test-{_worker}-")

from openmined.settings import *  # noqa: E402, F403
from openmined.settings import CELERY_BROKER_URL as _BROKER  # noqa: E402

# Tests enqueue eagerly unless a test starts a real worker (tests/conftest.py: celery_worker).
CELERY_TASK_ALWAYS_EAGER = True
# The broker a real worker uses in tests: Redis database 1 + the xdist worker's index.
# SONAR_TEST_REDIS_DB_BASE moves that base, so two checkouts can run their suites at once.
_broker = urlsplit(_BROKER or "redis://127.0.0.1:6379/0")
_redis_base = int(os.environ.get("SONAR_TEST_REDIS_DB_BASE", "1"))
TEST_CELERY_BROKER_URL = urlunsplit(_broker._replace(path=f"/{_redis_base + _worker_index}"))
# Configured from the start (not swapped in later): Celery builds its producer pool and result
# backend on first use, and an eager .delay() early in the session would freeze them empty.
CELERY_BROKER_URL = TEST_CELERY_BROKER_URL
CELERY_RESULT_BACKEND = TEST_CELERY_BROKER_URL
# Celery prefers the CELERY_BROKER_URL environment variable over any setting; CI exports it
# (database 0), so drop it here or every xdist worker would share one queue.
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("CELERY_RESULT_BACKEND", None)

# Tests sign in wrongly on purpose; the throttle's own tests lower these.
LOGIN_FAILURES_PER_ADDRESS = 10_000
LOGIN_FAILURES_PER_USERNAME = 10_000
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "1000/min"}}  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: a Celery worker process started by a test must see the same rows.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
