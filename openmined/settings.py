"""Settings for OpenMined Sonar, read from the environment (docs/operations.md lists them).

The defaults run the whole platform on a laptop: DEBUG on, SQLite and files under var/,
Celery tasks executed eagerly in-process. Production sets DEBUG=False and the variables below.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from openmined.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SONAR_VAR_DIR") or BASE_DIR / "var")
# SQLite, blobs, GPG homes and collected static files live here; create it on first start.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
# With DEBUG on, the site still shows its own 404 and 500 pages (openmined/middleware.py);
# a developer who wants Django's technical pages sets this to True.
TECHNICAL_ERROR_PAGES = env_bool("TECHNICAL_ERROR_PAGES", False)

# What this process is: web, evaluation, capsule, mining, beat, or all of them (the default,
# for `make run`'s single process). Only the capsule role may hold the capsule's secrets.
ROLE_NAMES = ("web", "evaluation", "capsule", "mining", "beat")
# A mine's own commands hold no keys (docs/pysonar.md): unless told otherwise they are a mine.
_MINE_PROCESS = sys.argv[1:2] in (["mine_init"], ["mine_policy"], ["mine_import"],
                                  ["mine_status"], ["mine_run"])  # fmt: skip
_roles = env_list("SONAR_ROLES", ["mining"] if _MINE_PROCESS else ["all"])
if _roles == ["all"]:
    _roles = list(ROLE_NAMES)
_unknown_roles = sorted(set(_roles) - set(ROLE_NAMES))
if _unknown_roles or not _roles:
    raise ImproperlyConfigured(
        f"SONAR_ROLES has unknown role(s) {', '.join(_unknown_roles) or '(none given)'}; use a "
        f"comma-separated list of {', '.join(ROLE_NAMES)}, or all."
    )
SONAR_ROLES = frozenset(_roles)
HAS_CAPSULE_ROLE = "capsule" in SONAR_ROLES

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=False the platform needs a long random secret: "
            "set SECRET_KEY (or SECRET_KEY_FILE to a file holding it), e.g. "
            "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')`."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105  # nosec B105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Other Sonar hosts a mine hosted here may poll (comma-separated host names); they must resolve
# to public addresses. Empty: hosted mines mine for this platform only.
MINE_SONAR_ALLOWED_HOSTS = env_list("MINE_SONAR_ALLOWED_HOSTS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "accounts",
    "ledger",
    "capsule",
    "sonar_ui",
    "mine_ui",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above sessions and auth, so it sees request.user on the way out, and above the body
    # limit, so a 413 carries the headers too.
    "openmined.security_headers.SecurityHeadersMiddleware",
    # Before anything that reads the body (CSRF reads request.POST).
    "openmined.request_limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "openmined.api_paths.ApiTrailingSlashMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.login_throttle.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "openmined.middleware.SiteErrorPagesMiddleware",
]

ROOT_URLCONF = "openmined.urls"
WSGI_APPLICATION = "openmined.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sonar.sqlite3'}"
try:
    _database = dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0)
    )
except Exception as exc:  # dj_database_url raises several types for a bad URL
    raise ImproperlyConfigured(
        f"DATABASE_URL {DATABASE_URL!r} is not a database URL "
        "(expected e.g. postgres://user@127.0.0.1:5432/sonar or sqlite:////path/to/db.sqlite3): "
        f"{exc}"
    ) from exc
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (server, worker, mine) share the file: wait for locks instead of failing.
    _database.setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Counts failed sign-ins (page, admin, API) per address and per username in the shared cache.
AUTHENTICATION_BACKENDS = ["accounts.login_throttle.ThrottledModelBackend"]
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 10)
LOGIN_FAILURE_WINDOW_S = env_int("LOGIN_FAILURE_WINDOW_S", 15 * 60)
# How many reverse proxies in front of the platform append to X-Forwarded-For. 0: the client
# is REMOTE_ADDR and X-Forwarded-For is ignored (a client can write anything there).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Tokens older than this are refused; a client trades its password for a new one.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24 * 30)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
BLOB_ROOT = VAR_DIR / "blobs"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Content-addressed models and gradients; any Django storage backend works here.
    "blobs": {
        "BACKEND": env_str("BLOB_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(BLOB_ROOT)} if not env_str("BLOB_STORAGE_BACKEND") else {},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
BLOB_MAX_BYTES = env_int("BLOB_MAX_BYTES", 64 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 64 * 1024 * 1024)
# The largest file the Mine page imports (bigger ones go through `manage.py mine_import`).
MINE_UPLOAD_MAX_BYTES = env_int("MINE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)

# Uploaded files above this size go to a temporary file on disk instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# --- Request bodies (openmined/request_limits.py) -------------------------------------------
# Checked before anything parses a body: parsing costs many times the body's size in memory.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 2 * 1024 * 1024)
# Login, signup, password change and the API's token endpoint.
AUTH_BODY_MAX_BYTES = env_int("AUTH_BODY_MAX_BYTES", 16 * 1024)
# One encrypted gradient in JSON (hex ciphertexts): MAX_GRADIENT_BYTES plus the JSON around it.
GRADIENT_BODY_MAX_BYTES = env_int("GRADIENT_BODY_MAX_BYTES", 20 * 1024 * 1024)
# The validation CSV, for the API and the new-campaign page alike; its body may also hold the
# form's other fields.
VALIDATION_DATA_MAX_BYTES = env_int("VALIDATION_DATA_MAX_BYTES", 10 * 1024 * 1024)
VALIDATION_BODY_MAX_BYTES = VALIDATION_DATA_MAX_BYTES + 256 * 1024
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 32)

# --- Cache ----------------------------------------------------------------------------------
# Shared by every process (the login throttle counts in it): Redis when CACHE_URL or REDIS_URL
# is set, else files under var/, which every process on one machine sees too.
CACHE_URL = env_str("CACHE_URL") or env_str("REDIS_URL")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"CACHE_URL {CACHE_URL!r} is not a Redis URL (expected e.g. redis://127.0.0.1:6379/2)."
        )
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- GPG ------------------------------------------------------------------------------------
# The platform's own key signs ledger checkpoints; its public half is served at /api/ledger/key/.
GNUPGHOME = Path(env_str("GNUPGHOME") or VAR_DIR / "gnupg")
# The capsule's key wraps campaign private keys; a separate home so nothing else can use it.
# Only a process with the capsule role reads its passphrase and GPG home (see SONAR_ROLES):
# web, evaluation, mining and beat processes run without them, so a compromised web server
# holds no campaign's key. Others encrypt to the capsule's *public* key, which the capsule
# publishes in the database; this home holds that public key only.
CAPSULE_PUBLIC_GNUPGHOME = Path(env_str("CAPSULE_PUBLIC_GNUPGHOME") or VAR_DIR / "capsule-public")
CAPSULE_SECRETS_SET = [
    name
    for name in ("CAPSULE_PASSPHRASE", "CAPSULE_PASSPHRASE_FILE", "CAPSULE_GNUPGHOME")
    if os.environ.get(name)
]
if HAS_CAPSULE_ROLE:
    CAPSULE_GNUPGHOME: Path | None = Path(env_str("CAPSULE_GNUPGHOME") or VAR_DIR / "capsule-gnupg")
    CAPSULE_PASSPHRASE = env_str("CAPSULE_PASSPHRASE")
    if not CAPSULE_PASSPHRASE:
        if not DEBUG:
            raise ImproperlyConfigured(
                "CAPSULE_PASSPHRASE is not set. A process with the capsule role (SONAR_ROLES="
                f"{','.join(sorted(SONAR_ROLES))}) needs the passphrase of the capsule's GPG "
                "key: set CAPSULE_PASSPHRASE or CAPSULE_PASSPHRASE_FILE, or run this process "
                "without the capsule role."
            )
        CAPSULE_PASSPHRASE = "dev-only-capsule-passphrase"  # noqa: S105  # nosec B105 (DEBUG only)
else:
    # Never read: a non-capsule process that finds them set says so at start (capsule.apps).
    CAPSULE_GNUPGHOME = None
    CAPSULE_PASSPHRASE = None

# --- Paillier -------------------------------------------------------------------------------
PAILLIER_KEY_BITS = env_int("PAILLIER_KEY_BITS", 2048)
# Only the test suite turns this on, to use 1024-bit keys for speed.
PAILLIER_ALLOW_INSECURE_KEYS = env_bool("PAILLIER_ALLOW_INSECURE_KEYS", False)
if PAILLIER_KEY_BITS < 2048 and not (PAILLIER_ALLOW_INSECURE_KEYS and DEBUG):
    raise ImproperlyConfigured(
        f"PAILLIER_KEY_BITS={PAILLIER_KEY_BITS} is below 2048 bits. Use 2048 or more; smaller "
        "keys are for the test suite only (PAILLIER_ALLOW_INSECURE_KEYS=True with DEBUG=True)."
    )

# --- Sonar ----------------------------------------------------------------------------------
# Demo mode lets anyone credit their own wallet (so the demo and a laptop install just work).
SONAR_DEMO_MODE = env_bool("SONAR_DEMO_MODE", DEBUG)
SONAR_DEMO_CREDIT_MINOR = env_int("SONAR_DEMO_CREDIT_MINOR", 1_000_000)
SONAR_CURRENCY = env_str("SONAR_CURRENCY", "USD")
# An open campaign with no accepted gradient for this long says "stalled since ..." on its page.
SONAR_STALLED_AFTER_S = env_int("SONAR_STALLED_AFTER_S", 3600)
# Fault injection for the test suite only: hold each evaluation step (advance, score, decide)
# named in SONAR_EVALUATION_PAUSE_STEPS this long before it commits, so a test can SIGKILL a
# worker mid-step. Refused outside DEBUG.
SONAR_EVALUATION_PAUSE_S = float(env_int("SONAR_EVALUATION_PAUSE_MS", 0)) / 1000
SONAR_EVALUATION_PAUSE_STEPS = frozenset(env_list("SONAR_EVALUATION_PAUSE_STEPS", ["decide"]))
if SONAR_EVALUATION_PAUSE_S and not DEBUG:
    raise ImproperlyConfigured("SONAR_EVALUATION_PAUSE_MS is a test-only setting; unset it.")
# A capsule step (launch, scoring) out this long without an answer is enqueued again by the
# beat sweep: its message was lost or its worker killed. Every step is safe to run twice.
SONAR_STEP_RESUME_AFTER_S = env_int("SONAR_STEP_RESUME_AFTER_S", 120)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or None
# No broker: the embedded default runs every task in-process at once.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = tuple(Queue(name) for name in ("default", "evaluation", "capsule", "mining"))
CELERY_TASK_ROUTES = {
    "sonar_ui.tasks.*": {"queue": "evaluation"},
    "capsule.tasks.*": {"queue": "capsule"},
    "mine_ui.tasks.*": {"queue": "mining"},
}
# A task is acknowledged only once it finished: a worker killed mid-task leaves it queued,
# and every task is written to be safe to run again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task a dead worker had taken goes back on the queue after this many seconds...
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900),
    # ...found by a scan every interval × throttle seconds.
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "campaigns-expire": {"task": "sonar_ui.tasks.campaigns_expire_task", "schedule": 60.0},
    # Re-enqueues evaluations and settlements whose message was lost (e.g. a broker restart).
    "campaigns-sweep": {"task": "sonar_ui.tasks.campaigns_sweep_task", "schedule": 60.0},
    # Mines hosted on this platform mine by themselves (their policy decides what to join).
    "mines-hosted-train": {"task": "mine_ui.tasks.mines_hosted_train_task", "schedule": 60.0},
    # Signs a Merkle checkpoint of the ledger when entries were added since the last one.
    "ledger-checkpoint": {"task": "ledger.checkpoint", "schedule": 600.0},
    # Recomputes every hash, link, balance and signature once a day; a broken ledger fails the
    # task with the first bad seq, logged at ERROR for whoever watches the workers.
    "ledger-verify": {"task": "ledger.verify", "schedule": 86400.0},
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "openmined.parsers.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "openmined.api_schema.SonarAutoSchema",
    "EXCEPTION_HANDLER": "openmined.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("AUTH_THROTTLE_RATE", "20/min")},
    # DRF's throttles trust X-Forwarded-For only as far as the operator's proxies write it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenMined Sonar API",
    "DESCRIPTION": "Campaigns, encrypted models and gradients, payouts, and the public ledger.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: the docs page works with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Production security --------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
