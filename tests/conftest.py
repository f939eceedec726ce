"""Personas and shared fixtures: alice (data scientist), bob and carol (miners),
mallory (signed in, owns nothing, tries everything) and operator (staff).

Expensive things (GPG homes, Paillier keys, a Celery worker process) are made once per
test session and shared.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from accounts.models import DATA_SCIENTIST, MINER
from accounts.services import token_issue, user_signup

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
IN_CI = os.environ.get("CI") == "true"


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop that lacks a service; fail in CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run every test)")
    pytest.skip(reason)


def _make(username: str, roles: list[str], *, staff: bool = False) -> User:
    user = user_signup(
        username=username, email=f"{username}@example.org", password=PASSWORD, roles=roles
    )
    if staff:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def alice(db) -> User:
    return _make("alice", [DATA_SCIENTIST])


@pytest.fixture
def bob(db) -> User:
    return _make("bob", [MINER])


@pytest.fixture
def carol(db) -> User:
    return _make("carol", [MINER])


@pytest.fixture
def mallory(db) -> User:
    return _make("mallory", [])


@pytest.fixture
def operator(db) -> User:
    return _make("operator", [], staff=True)


@pytest.fixture
def api() -> APIClient:
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def api_as() -> Callable[[User], APIClient]:
    """An API client that authenticates with the person's real token."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).key}")
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: cached stats or throttle counts never leak across."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _stop_gpg_agents() -> Iterator[None]:
    """gpg starts an agent per home directory; stop ours when the session ends."""
    yield
    for home in (settings.GNUPGHOME, settings.CAPSULE_GNUPGHOME):
        if Path(home).exists():
            subprocess.run(
                ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
                capture_output=True, check=False, timeout=30,
            )  # fmt: skip


# --- A real OpenPGP identity -----------------------------------------------------------------


@dataclass(frozen=True)
class PgpIdentity:
    """A person's GPG home (holding the secret key) and their armored public key."""

    home: Path
    public_key: str
    fingerprint: str

    def decrypt(self, armored: bytes) -> bytes:
        """Decrypt with the gpg command, as the person would."""
        result = subprocess.run(
            ["gpg", "--batch", "--quiet", "--homedir", str(self.home), "--decrypt"],
            input=armored, capture_output=True, check=True,
        )  # fmt: skip
        return result.stdout


@pytest.fixture(scope="session")
def pgp_identity(tmp_path_factory) -> Iterator[PgpIdentity]:
    """Alice's real OpenPGP key pair (primary + encryption subkey), made once per session."""
    home = tmp_path_factory.mktemp("alice-gnupg")
    home.chmod(0o700)
    subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), "--passphrase", "", "--quick-generate-key",
         "Alice <alice@example.org>", "default", "default", "never"],
        check=True, capture_output=True,
    )  # fmt: skip
    public = subprocess.run(
        ["gpg", "--homedir", str(home), "--armor", "--export", "alice@example.org"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    listing = subprocess.run(
        ["gpg", "--homedir", str(home), "--with-colons", "--fingerprint", "alice@example.org"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
    )
    yield PgpIdentity(home=home, public_key=public, fingerprint=fingerprint)
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
                   capture_output=True, check=False, timeout=30)  # fmt: skip


# --- A real Celery worker on Redis ------------------------------------------------------------


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        return False
    return True


def _database_url_for_worker() -> str:
    """The URL of the database the tests use (the test database, not the configured one)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def worker_environment() -> dict[str, str]:
    """Environment for a child process that must see the tests' database, files and broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="openmined.settings",
        DATABASE_URL=_database_url_for_worker(),
        CELERY_BROKER_URL=settings.TEST_CELERY_BROKER_URL,
        SONAR_VAR_DIR=str(settings.VAR_DIR),
        DEBUG="True",
        PAILLIER_KEY_BITS=str(settings.PAILLIER_KEY_BITS),
        PAILLIER_ALLOW_INSECURE_KEYS="True",
        PYTHONUNBUFFERED="1",
    )
    return env


ALL_QUEUES = "default,evaluation,capsule,mining"
CAPSULE_VARIABLES = ("CAPSULE_PASSPHRASE", "CAPSULE_PASSPHRASE_FILE", "CAPSULE_GNUPGHOME")


class WorkerProcess:
    """A `celery worker` child process (every queue by default), restartable after a kill.

    `drop_env` removes variables from the child's environment: a worker of another role than
    the capsule is started without the capsule's secrets, as in production.
    """

    def __init__(
        self,
        log_path: Path,
        extra_env: dict[str, str] | None = None,
        *,
        queues: str = ALL_QUEUES,
        drop_env: tuple[str, ...] = (),
    ) -> None:
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.queues = queues
        self.drop_env = drop_env
        self.process: subprocess.Popen | None = None
        # Its own node name, so readiness is this worker's answer, not another's.
        self.node = f"{log_path.stem}-{os.getpid()}-{id(self)}@localhost"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "openmined", "worker",
                "-Q", self.queues, "--concurrency", "1", "--hostname", self.node,
                "--pool", "prefork", "--loglevel", "INFO", "--without-gossip",
                "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT, env=self.environment(), stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            self._wait_until_ready()
        except BaseException:
            self.kill()  # never leave an orphaned worker consuming the queue
            raise

    def environment(self) -> dict[str, str]:
        env = {**worker_environment(), **self.extra_env}
        for name in self.drop_env:
            env.pop(name, None)
        return env

    def _wait_until_ready(self, timeout: float = 60) -> None:
        from openmined.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early; see {self.log_path}")
            replies = app.control.ping(timeout=0.5)
            if any(self.node in reply for reply in replies):
                return
        raise RuntimeError(f"Celery worker did not answer within {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, django_db_blocker, tmp_path_factory
) -> Iterator[WorkerProcess]:
    """One real worker per test session, on its own Redis database."""
    import redis

    from openmined.celery import app

    url = settings.TEST_CELERY_BROKER_URL
    if not _redis_reachable(url):
        skip_or_fail(f"Redis is not reachable at {url}")
    if shutil.which("celery", path=str(Path(sys.executable).parent)) is None:
        skip_or_fail("the celery command is not installed in this environment")
    redis.Redis.from_url(url).flushdb()  # stale tasks from an earlier run must not replay
    assert app.conf.broker_url == url, "settings_test configures the test broker"
    worker = WorkerProcess(tmp_path_factory.mktemp("celery") / "worker.log")
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(celery_worker_process, transactional_db) -> Iterator[WorkerProcess]:
    """Send this test's tasks to the real worker instead of running them eagerly."""
    from openmined.celery import app

    app.conf.task_always_eager = False
    try:
        if (
            celery_worker_process.process is None
            or celery_worker_process.process.poll() is not None
        ):
            celery_worker_process.start()
        yield celery_worker_process
    finally:
        app.conf.task_always_eager = True


# --- A real web server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, what: str, logs, timeout: float = 120):
    """Poll until predicate() is truthy and return it; fail with the processes' logs."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value:
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{logs()}"
        time.sleep(0.2)
        value = predicate()
    return value


class WebServer:
    """gunicorn serving the platform with SONAR_ROLES=web and no capsule variable."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**worker_environment(), "SONAR_ROLES": "web"}
        for name in CAPSULE_VARIABLES:
            self.env.pop(name, None)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "openmined.wsgi", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "2", "--access-logfile", "-"],
            cwd=ROOT, env=self.env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(self._answers, "gunicorn to answer", self.log, timeout=60)

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=10).status_code in (200, 503)
        except (requests.ConnectionError, requests.Timeout):
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
