"""Settings for outagewatch.

Everything that differs between deployments comes from environment variables
(listed, with their defaults, in .env.example). With nothing set the project runs
on the embedded default: SQLite and Celery's filesystem broker under DATA_DIR, so a
fresh checkout works without any server. DATABASE_URL and REDIS_URL switch it to
PostgreSQL and Redis (broker, cache and rate limits).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from outagewatch.env import env_bool, env_int, env_list, env_rate, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR.

    A generated key beats a constant "insecure" one: a checkout that runs without any
    configuration still signs its cookies with a secret nobody else knows.
    """
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# How many reverse proxies (nginx, a load balancer) stand in front of the app. The
# client address is then taken that many hops from the right of X-Forwarded-For;
# with 0 the header is ignored, since any client can forge it.
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0, maximum=5)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "reports",
    "spikes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "outagewatch.urls"
WSGI_APPLICATION = "outagewatch.wsgi.application"

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

DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    # Persistent connections are worth about 5x on the intake (docs/performance).
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            # The web server and the Celery worker write at the same time: WAL lets
            # readers go on during a write, IMMEDIATE takes the write lock up front
            # (no "database is locked" half-way through a transaction), and the
            # timeout makes a writer wait for the lock instead of failing.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not SQLite's in-memory default: tests that run a live server
            # write from several threads, which shared-cache memory databases refuse.
            "TEST": {"NAME": str(DATA_DIR / "test-db.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ow",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request until collectstatic made it
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # The public API needs no login; partner keys come with their own class.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "outagewatch.api_errors.exception_handler",
}

# --- Report intake -----------------------------------------------------------
# Per client address. Generous on purpose: during a big outage whole offices and
# carrier-grade NATs report from one address, and a good report must not be lost.
# Repeats are already discounted by the distinct-reporter counts.
REPORT_RATE_LIMIT = env_rate("REPORT_RATE_LIMIT", "30/m")
# A reporter's further reports for the same service within this window are stored
# but marked as repeats (Downdetector counts "only a user's first report").
REPORT_REPEAT_WINDOW_SECONDS = env_int("REPORT_REPEAT_WINDOW_SECONDS", 15 * 60, minimum=60)
# A report is four short fields; anything much larger is not a report.
REPORT_MAX_BODY_BYTES = env_int("REPORT_MAX_BODY_BYTES", 4096, minimum=512)
# How long a process trusts its copy of the catalog before reading it again.
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 30, minimum=0)

# --- Celery --------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(DATA_DIR / "broker" / "out"),
        "data_folder_out": str(DATA_DIR / "broker" / "out"),
        "processed_folder": str(DATA_DIR / "broker" / "processed"),
        # Otherwise kombu writes its control exchange into the working directory.
        "control_folder": str(DATA_DIR / "broker" / "control"),
        "store_processed": False,
    }
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it is done, so a worker killed mid-task leaves it to
# another; every task is idempotent, so running it twice is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "purge-fingerprint-keys": {"task": "reports.tasks.purge_fingerprint_keys", "schedule": 3600.0},
    # Every minute: count the new reports and run the detector over every series.
    "detection-pass": {"task": "spikes.tasks.detection_pass", "schedule": 60.0, "options": {"expires": 55}},
    "refresh-baselines": {"task": "spikes.tasks.refresh_baselines", "schedule": 600.0},
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Report intake: the Redis stream fast path (reports.stream, docs/intake-load.md) ---
# On (with REDIS_URL): a report is appended to a Redis stream and answered at once;
# the report mover (manage.py move_reports, and a beat task) stores it in the database.
REPORT_STREAM = env_bool("REPORT_STREAM", False)
# How long a request waits for Redis before committing the report directly instead.
REPORT_STREAM_TIMEOUT = env_int("REPORT_STREAM_TIMEOUT_MS", 500, minimum=50, maximum=10_000) / 1000
# After a failed XADD, a process commits directly for this long before trying Redis again.
REPORT_STREAM_RETRY_SECONDS = env_int("REPORT_STREAM_RETRY_SECONDS", 5, minimum=1)
# A mover takes over entries another mover left unacknowledged for this long (it died).
REPORT_STREAM_CLAIM_SECONDS = env_int("REPORT_STREAM_CLAIM_SECONDS", 30, minimum=5)
# Reports stored per mover transaction.
REPORT_STREAM_BATCH = env_int("REPORT_STREAM_BATCH", 1000, minimum=1, maximum=10_000)
# Retry-After of a 503 when a report can be neither committed nor queued.
REPORT_RETRY_AFTER_SECONDS = env_int("REPORT_RETRY_AFTER_SECONDS", 5, minimum=1)
CELERY_BEAT_SCHEDULE["move-reports"] = {
    # A safety net beside `manage.py move_reports`: drains what a stopped mover left.
    "task": "reports.tasks.move_reports",
    "schedule": 30.0,
    "options": {"expires": 25},
}
