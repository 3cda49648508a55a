"""Settings for outagewatch, grouped by concern (a new setting goes to the section
of its concern; .env.example has the same sections).

Everything that differs between deployments comes from environment variables
(listed, with their defaults, in .env.example) through the typed readers of
outagewatch/env.py; a secret may also come from a file named by NAME_FILE. With
nothing set the project runs on the embedded default: SQLite and Celery's
filesystem broker under DATA_DIR, so a fresh checkout works without any server.
DATABASE_URL and REDIS_URL switch it to PostgreSQL and Redis (broker, cache and
rate limits). Importing this module writes nothing to disk (outagewatch/startup.py).

Sections: the process (paths, debug, the secret key) · apps, middleware and
templates · database · Redis and the cache · static files · Celery and the beat
schedule (every periodic task, in one place) · logs · security · health and
metrics · report intake (the form and API, the Redis stream, raw reports' retention)
· the APIs (DRF and the OpenAPI schema) · partner API and webhooks · providers'
status pages · alerts (mail and push).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from outagewatch.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_choice,
    env_email,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_secret,
    env_str,
    env_url,
    env_url_path,
)
from outagewatch.logs import logging_config
from outagewatch.security import static_file_headers
from outagewatch.startup import data_dir, generated_secret_key

# --- The process: paths, debug, the secret key ----------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent
# Made when a process starts (outagewatch/startup.py), not here: importing the
# settings writes nothing.
DATA_DIR = data_dir()
DEBUG = env_bool("DEBUG", False)
# SECRET_KEY (or SECRET_KEY_FILE), else the key generated in DATA_DIR when manage.py
# or the WSGI server started (outagewatch/startup.py). A process that started
# through neither (a bare django.setup() in a script) gets a key of its own.
SECRET_KEY = env_secret("SECRET_KEY") or generated_secret_key(DATA_DIR) or secrets.token_urlsafe(50)

# --- Apps, middleware and templates -------------------------------------------------
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
    "lab",
    # The project's own system checks, start-up and commands (unlock_admin_login).
    "outagewatch.apps.OutagewatchConfig",
    "django_filters",
    "pages",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "partners",
    "statuspages",
    "alerts",
]
MIDDLEWARE = [
    "outagewatch.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Compressed pages (HTML, CSV, Atom); why BREACH is no risk: pages/middleware.py.
    "pages.middleware.CompressedPagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "outagewatch.security.SecurityHeadersMiddleware",
    "outagewatch.metrics.ReportMetricsMiddleware",
    # Times on the site in the reader's zone, chosen on /time-zone/ and kept in a cookie.
    "pages.middleware.TimezoneMiddleware",
    # Does nothing unless DATABASE_REPLICA_URL is set (outagewatch/dbrouter.py).
    "outagewatch.dbrouter.ReplicaMiddleware",
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

# --- Database ----------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"), secret=True)
if DATABASE_URL:
    # Persistent connections: opening one to PostgreSQL took 21 ms (median of 50 on the
    # shared 2-core machine), where the intake's whole work is about 0.5 ms of CPU
    # (docs/intake-load.md).
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

# A read replica (outagewatch/dbrouter.py; docs/scaling.md, "Read replicas"): a
# PostgreSQL streaming replica of DATABASE_URL. The public site's and the partner API's
# reads go there while it keeps up; writes and everything else stay on the primary.
DATABASE_REPLICA_URL = env_url("DATABASE_REPLICA_URL", schemes=("postgres", "postgresql"), secret=True)
# Reads fall back to the primary when the replica is further behind than this.
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 10, minimum=0, maximum=3600)
# How often each process measures the replica's lag (and retries a replica that failed).
DATABASE_REPLICA_CHECK_SECONDS = env_int("DATABASE_REPLICA_CHECK_SECONDS", 5, minimum=1, maximum=300)
# After a write, the writer's reads go to the primary this long, so they see it.
DATABASE_REPLICA_PIN_SECONDS = env_int(
    "DATABASE_REPLICA_PIN_SECONDS",
    DATABASE_REPLICA_MAX_LAG_SECONDS + DATABASE_REPLICA_CHECK_SECONDS,
    minimum=1,
    maximum=3600,
)
# The views (by app) whose GET requests may read from the replica, and the apps whose
# models they read there: the catalog, reports, counts and spikes, the providers' word.
# Not alerts (its own views, and the follow box on a page, read a subscriber's follows
# from the primary: a follow just confirmed must show), nor sessions, users, API keys.
DATABASE_REPLICA_VIEWS = ["pages", "partners"]
DATABASE_REPLICA_APPS = ["reports", "spikes", "partners", "statuspages"]
if DATABASE_REPLICA_URL:
    if not DATABASE_URL.startswith("postgres"):
        raise ImproperlyConfiguredEnv("DATABASE_REPLICA_URL needs DATABASE_URL to be PostgreSQL as well.")
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
    # A replica that went away must not hold a request for long.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2}
    # Tests read the replica as the primary's mirror (one test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["outagewatch.dbrouter.ReplicaRouter"]

# --- Redis and the cache ----------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"), secret=True)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ow",
        }
    }
else:
    # The embedded default runs the web server and the Celery worker as separate
    # processes, and the site's breakdowns (pages.breakdowns) are computed by the worker
    # for the web to read: a per-process memory cache never showed the web a refresh.
    # A file cache under DATA_DIR is shared by every process and needs no set-up step.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            # Django culls a third of the entries past 300: the catalog's breakdowns
            # alone are ~175 services x 4 kinds.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# --- Static files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# WhiteNoise answers static files before any middleware: the CSP and Permissions-Policy
# of every other response are added by this hook (outagewatch/security.py).
WHITENOISE_ADD_HEADERS_FUNCTION = static_file_headers

# --- Celery and the beat schedule ---------------------------------------------------
# The filesystem transport ignores the host; naming one spares a warning in the log
# every time a task is sent ("No hostname was supplied").
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
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
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Celery workers log through the same configuration (below), with the task id as request id.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Every periodic task. A task that must not pile up expires before its next run.
CELERY_BEAT_SCHEDULE = {
    # Intake: the fingerprint keys of past days go (privacy); the mover's safety net
    # drains what a stopped `manage.py move_reports` left in the Redis stream.
    "purge-fingerprint-keys": {"task": "reports.tasks.purge_fingerprint_keys", "schedule": 3600.0},
    "move-reports": {"task": "reports.tasks.move_reports", "schedule": 30.0, "options": {"expires": 25}},
    # Pipeline: every minute, count the new reports and run the detector over every
    # series; every 10 minutes, refit the baselines that are due (each every 6 hours,
    # spikes/detection/policy.py, so at most 10 minutes late); raw reports older than
    # REPORT_RETENTION_DAYS go daily at 03:17 UTC, a quiet hour; hourly, the next
    # partitions are made ahead and those past retention dropped (PostgreSQL only).
    "detection-pass": {"task": "spikes.tasks.detection_pass", "schedule": 60.0, "options": {"expires": 55}},
    "refresh-baselines": {"task": "spikes.tasks.refresh_baselines", "schedule": 600.0},
    "purge-old-reports": {"task": "spikes.tasks.purge_old_reports", "schedule": crontab(hour=3, minute=17)},
    "maintain-partitions": {
        "task": "spikes.tasks.maintain_partitions",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000},
    },
    # Providers' status pages: poll those that are due; match their incidents to spikes.
    "poll-status-sources": {
        "task": "statuspages.tasks.poll_due_sources",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "match-provider-incidents": {
        "task": "statuspages.tasks.match_spikes",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Partner webhooks: the outbox of spike and incident events.
    "webhook-outbox": {
        "task": "partners.tasks.emit_webhook_events",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Alerts: the outbox of spike changes; sending again what a dead worker left
    # claimed, and what was never handed to a task; old subscribers' data.
    "alerts-outbox": {
        "task": "alerts.tasks.collect_alert_events",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "alerts-sweep": {"task": "alerts.tasks.sweep_unsent", "schedule": 60.0, "options": {"expires": 55}},
    "alerts-retention": {"task": "alerts.tasks.purge_alert_data", "schedule": crontab(hour=3, minute=47)},
}

# --- Logs (outagewatch/logs.py) -------------------------------------------------------
# Logs go to stdout, one line per event, JSON or text.
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("json", "text"))
# One line per HTTP request (method, path, status, duration; never the client address).
LOG_REQUESTS = env_bool("LOG_REQUESTS", True)
LOGGING = logging_config(LOG_LEVEL, LOG_FORMAT)

# --- Security (docs/production.md) -----------------------------------------------------
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# How many reverse proxies (nginx, a load balancer) stand in front of the app. The
# client address is then taken that many hops from the right of X-Forwarded-For;
# with 0 the header is ignored, since any client can forge it.
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0, maximum=5)
# HTTPS=1 when the site is served over TLS (directly or by a proxy in front): it turns
# on the redirect to https, secure cookies and HSTS together; each can be overridden.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# Health checks and metrics scrapers talk plain HTTP inside the stack.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a proxy that terminates TLS, the request reaches Django as plain HTTP; trust
# the proxy's X-Forwarded-Proto only when there is one (a client could forge it).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Who may put an @embeddable view (the status widget) in an iframe; every other page
# refuses to be framed.
# Default: any site, over http as well as https (a blog on plain http may embed
# the widget); an operator can name sites instead ("https://news.example").
EMBED_FRAME_ANCESTORS = env_list("EMBED_FRAME_ANCESTORS", ["*"])
# 1 sends the policy as Content-Security-Policy-Report-Only (to try a change safely).
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
# The admin's URL prefix: somewhere other than /admin/ keeps most scanners away. The
# default is refused by `check --deploy` (outagewatch/checks.py), which docker-compose
# runs before the web server starts.
ADMIN_PATH = env_url_path("ADMIN_PATH", "admin/")
# Failed admin log-ins allowed per user name and per client address, per window
# (outagewatch/login_throttle.py; `manage.py unlock_admin_login NAME` lifts a lock-out).
ADMIN_LOGIN_RATE = env_rate("ADMIN_LOGIN_RATE", "10/h")

# --- Health and metrics (outagewatch/health.py, outagewatch/metrics.py) ------------------
# /healthz fails when the last detection pass ended longer ago than this (a pass runs
# every minute: five missed passes mean beat or the workers are down).
DETECTOR_STALE_SECONDS = env_int("DETECTOR_STALE_SECONDS", 300, minimum=60)
# GET /metrics answers a scraper from these networks (default: loopback and private
# networks, where Prometheus sits beside the stack), or one sending this bearer token.
METRICS_ALLOWED_NETWORKS = env_networks(
    "METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
)
METRICS_TOKEN = env_secret("METRICS_TOKEN")

# --- Report intake (reports/; the Redis stream: docs/intake-load.md) ----------------------
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

# Retry-After of a 503 when a report can be neither committed nor queued.
REPORT_RETRY_AFTER_SECONDS = env_int("REPORT_RETRY_AFTER_SECONDS", 5, minimum=1)
# On (with REDIS_URL): a report is appended to a Redis stream and answered at once;
# the report mover (manage.py move_reports, and a beat task) stores it in the database.
REPORT_STREAM = env_bool("REPORT_STREAM", False)
# How long a request waits for Redis before committing the report directly instead.
REPORT_STREAM_TIMEOUT = env_int("REPORT_STREAM_TIMEOUT_MS", 500, minimum=50, maximum=10_000) / 1000
# After a failed XADD, a process commits directly for this long before trying Redis again.
REPORT_STREAM_RETRY_SECONDS = env_int("REPORT_STREAM_RETRY_SECONDS", 5, minimum=1)
# A mover takes over entries another mover left unacknowledged for this long (it died).
REPORT_STREAM_CLAIM_SECONDS = env_int("REPORT_STREAM_CLAIM_SECONDS", 30, minimum=5)
# How long an idle mover's read waits for new reports before it looks again (and
# notices a SIGTERM): a new report wakes it at once whatever this is.
REPORT_STREAM_BLOCK_MS = env_int("REPORT_STREAM_BLOCK_MS", 1000, minimum=100, maximum=10_000)
# Reports stored per mover transaction.
REPORT_STREAM_BATCH = env_int("REPORT_STREAM_BATCH", 1000, minimum=1, maximum=10_000)
# After a batch smaller than REPORT_STREAM_BATCH, the mover waits this long for
# the next one to gather: a batch's fixed cost (its Redis calls, lock, queries and
# commit) was most of the cost of the small batches it took while keeping up.
REPORT_STREAM_LINGER = env_int("REPORT_STREAM_LINGER_MS", 250, minimum=0, maximum=5_000) / 1000
# Redis replicas that must hold a report before its 201 (Redis WAIT; docs/scaling.md,
# "Redis replaced"): a failover to a replica then loses no accepted report. 0: the
# primary's append-only file alone.
REPORT_STREAM_MIN_REPLICAS = env_int("REPORT_STREAM_MIN_REPLICAS", 0, minimum=0, maximum=5)
# How long a request waits for them; then the report is committed to PostgreSQL instead.
REPORT_STREAM_REPLICA_WAIT_MS = env_int("REPORT_STREAM_REPLICA_WAIT_MS", 100, minimum=1, maximum=5_000)
# Raw reports and their comments are deleted after this many days (spikes/retention.py,
# and `manage.py purge_reports`); counts, spikes and incidents are kept.
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 90, minimum=1)

# --- Pipeline storage: partitions and count retention (spikes/partitions.py) -----------
# On PostgreSQL, raw reports are partitioned by day and per-minute counts by month
# (docs/scaling.md): the hourly maintain-partitions task keeps the next partitions
# ready, and retention drops whole days. Counts are kept for good unless this is set
# (months, at least 2: baselines read the last 28 days); 0 keeps them.
COUNT_RETENTION_MONTHS = env_int("COUNT_RETENTION_MONTHS", 0, minimum=0)
if COUNT_RETENTION_MONTHS == 1:
    raise ImproperlyConfiguredEnv("COUNT_RETENTION_MONTHS=1: keep at least 2 months (or 0 for all).")

# --- The APIs: DRF and the OpenAPI schema --------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # The public API needs no login; partner keys come with their own class.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "outagewatch.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "outagewatch partner API",
    "DESCRIPTION": "Services, their time series, spikes (suspected outages) and incidents. Keys, limits, "
    "quotas and webhooks: [the partner API guide](/developers/); how outages are detected: "
    "[methodology](/methodology/).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "spikes.models.Level",
        "DismissReasonEnum": "spikes.models.DismissReason",
        # An alert delivery's "status" is named apart from the other status enums.
        "AlertDeliveryStatusEnum": "alerts.models.NotificationStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The report POST is a plain Django view (the intake's hot path).
        "reports.api.schema.describe_report_intake",
        "partners.api.schema.empty_query_parameters_are_absent",
    ],
}


# --- Partner API and webhooks (partners/, docs/partner-api.md) --------------------------
# Reads without a key, per client address. Low on purpose: machines should use a key.
PARTNER_API_ANON_RATE = env_rate("PARTNER_API_ANON_RATE", "30/m")
# Requests with an unknown or revoked key, per client address; past it, every request
# carrying a key from that address is a 429 until the window ends (keys are 256-bit
# random, so this is not about guessing: it keeps a misbehaving client off the database).
PARTNER_API_BAD_KEY_RATE = env_rate("PARTNER_API_BAD_KEY_RATE", "20/m")
# Seconds a webhook receiver has to answer before the attempt counts as failed.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1, maximum=60)
# Attempts per delivery (the first and its retries, with exponential backoff and jitter).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1, maximum=20)
# An endpoint is switched off after this many failed attempts in a row.
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 20, minimum=1)
# Webhooks reach only public addresses (outagewatch/safehttp.py, checked on the address
# dialled at every delivery): the server must not POST into its own network for a
# partner. 1 allows every address, for a closed deployment; WEBHOOK_ALLOWED_NETWORKS
# allows only the networks listed (e.g. 10.20.0.0/16 where an internal receiver lives).
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_ALLOWED_NETWORKS = env_networks("WEBHOOK_ALLOWED_NETWORKS", [])

# --- Providers' status pages (statuspages/, docs/confirmation.md) ---------------------
# Connect and read timeouts of one status-page fetch, and the whole exchange's limit.
# A page that never answers holds a fetch thread this long: with 200 of 2,000 pages
# hanging, a round took 21 s at 5/15 s and 64 threads, 71 s at 10/20 s and 32
# (benchmarks/statuspages_poll.py, docs/confirmation.md).
STATUSPAGE_CONNECT_TIMEOUT = env_int("STATUSPAGE_CONNECT_TIMEOUT", 5, minimum=1, maximum=60)
STATUSPAGE_READ_TIMEOUT = env_int("STATUSPAGE_READ_TIMEOUT", 5, minimum=1, maximum=120)
STATUSPAGE_TOTAL_TIMEOUT = env_int("STATUSPAGE_TOTAL_TIMEOUT", 15, minimum=2, maximum=300)
# The largest answer read: a big Statuspage summary.json is ~100 kB.
STATUSPAGE_MAX_BYTES = env_int("STATUSPAGE_MAX_BYTES", 2_000_000, minimum=10_000, maximum=50_000_000)
# Fetches of one round run side by side in this many threads of one worker.
STATUSPAGE_FETCH_THREADS = env_int("STATUSPAGE_FETCH_THREADS", 64, minimum=1, maximum=256)
# Sources one round claims at most (the rest wait for the next round).
STATUSPAGE_ROUND_LIMIT = env_int("STATUSPAGE_ROUND_LIMIT", 5000, minimum=1)
# Status pages on private or local addresses are refused; these networks are let
# through (a closed deployment's own status server, the tests' server on 127.0.0.1).
STATUSPAGE_ALLOWED_NETWORKS = env_networks("STATUSPAGE_ALLOWED_NETWORKS", [])

# --- Alerts: following services by email and push, newsroom channels (docs/alerts.md) ---
# The site's public address, for links in mails and push messages (List-Unsubscribe
# must be https in production); default: https://<first ALLOWED_HOSTS> with HTTPS=1.
SITE_URL = env_url(
    "SITE_URL",
    f"https://{ALLOWED_HOSTS[0]}" if HTTPS else "http://127.0.0.1:8000",
    schemes=("http", "https"),
).rstrip("/")
# Mail goes out by SMTP once EMAIL_HOST is set; until then it is printed on the
# console (so `dev.py run` shows every mail in its output).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}[env_choice("EMAIL_BACKEND", "smtp" if EMAIL_HOST else "console", ("smtp", "console"))]
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
# starttls (port 587), tls (implicit TLS, port 465) or none (a relay on localhost).
EMAIL_SECURITY = env_choice("EMAIL_SECURITY", "starttls", ("starttls", "tls", "none"))
EMAIL_USE_TLS = EMAIL_SECURITY == "starttls"
EMAIL_USE_SSL = EMAIL_SECURITY == "tls"
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 20, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = env_email("DEFAULT_FROM_EMAIL", "outagewatch <alerts@outagewatch.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Mails handed to the SMTP server, all workers together: COUNT/PERIOD.
ALERTS_EMAIL_RATE = env_rate("ALERTS_EMAIL_RATE", "100/s")
# Messages per Celery task of the fan-out (one SMTP connection each).
ALERTS_BATCH_SIZE = env_int("ALERTS_BATCH_SIZE", 500, minimum=10, maximum=5000)
# A subscriber hears of at most this many new outages an hour (a flapping series
# opens a new spike each time), and gets at most this many messages a day.
ALERTS_HOURLY_LIMIT = env_int("ALERTS_HOURLY_LIMIT", 3, minimum=1)
ALERTS_DAILY_LIMIT = env_int("ALERTS_DAILY_LIMIT", 20, minimum=1)
# How long a confirmation link works; how long the manage link of a mail works
# (unsubscribe links never expire).
ALERTS_CONFIRM_HOURS = env_int("ALERTS_CONFIRM_HOURS", 48, minimum=1, maximum=24 * 14)
ALERTS_MANAGE_LINK_DAYS = env_int("ALERTS_MANAGE_LINK_DAYS", 90, minimum=1)
# Confirmation and manage-link mails per address and per client address (hashed).
ALERTS_MAIL_RATE_PER_ADDRESS = env_rate("ALERTS_MAIL_RATE_PER_ADDRESS", "3/h")
ALERTS_MAIL_RATE_PER_CLIENT = env_rate("ALERTS_MAIL_RATE_PER_CLIENT", "10/h")
# Browser-notification follows and unfollows per client address.
ALERTS_PUSH_RATE_PER_CLIENT = env_rate("ALERTS_PUSH_RATE_PER_CLIENT", "60/h")
# An unsubscribed (or refused) address is deleted this many days later.
ALERTS_RETENTION_DAYS = env_int("ALERTS_RETENTION_DAYS", 30, minimum=1)
# A message claimed by a worker that died is sent again after this long: longer
# than a send task may run (its time limit is 240 s).
ALERTS_CLAIM_LEASE_SECONDS = env_int("ALERTS_CLAIM_LEASE_SECONDS", 300, minimum=30)
# Push services keep an undelivered alert this long (an old alert is no news).
ALERTS_PUSH_TTL_SECONDS = env_int("ALERTS_PUSH_TTL_SECONDS", 6 * 3600, minimum=60)
# Seconds a push service or a newsroom channel has to answer.
ALERTS_HTTP_TIMEOUT_SECONDS = env_int("ALERTS_HTTP_TIMEOUT_SECONDS", 10, minimum=1, maximum=60)
# 1 lets push endpoints and channel URLs point at private or local addresses (a
# closed deployment, the tests); otherwise they are refused.
ALERTS_ALLOW_PRIVATE_URLS = env_bool("ALERTS_ALLOW_PRIVATE_URLS", False)


# The order of the P-256 curve: a VAPID private key is a number below it.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _vapid_private_key() -> str:
    """ALERTS_VAPID_PRIVATE_KEY (base64url, the raw 32 bytes), else one derived from
    SECRET_KEY: every container of a deployment then signs with the same key, and
    browser notifications work without configuration. Browsers' subscriptions are
    bound to it: a new SECRET_KEY (without this set) voids them (docs/alerts.md)."""
    configured = env_secret("ALERTS_VAPID_PRIVATE_KEY")
    if configured:
        return configured
    digest = hmac.new(SECRET_KEY.encode(), b"outagewatch alerts VAPID key", hashlib.sha256).digest()
    number = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()


ALERTS_VAPID_PRIVATE_KEY = _vapid_private_key()
# Who push services contact about our messages: mailto: or https: (RFC 8292).
ALERTS_VAPID_SUBJECT = env_str("ALERTS_VAPID_SUBJECT", "mailto:alerts@outagewatch.invalid")
