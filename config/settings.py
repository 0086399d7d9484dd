"""Settings for the hospital appointment platform.

This is the only settings module. Every value comes from the environment and has a
default that works on a fresh checkout: SQLite, the local-memory cache and Celery tasks
run inline. Set DATABASE_URL, REDIS_URL and CELERY_BROKER_URL to use MySQL/MariaDB,
Redis and a real broker. Every variable is listed in .env.example.
"""

import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

INSECURE_SECRET_KEY = "insecure-development-only-secret-key-change-me"
# 32 zero-ish bytes, base64: only for development. Production must set FIELD_ENCRYPTION_KEY.
INSECURE_FIELD_KEY = base64.b64encode(b"dev-only-field-encryption-key-32").decode()
# The same for the lookup-hash key. Production must set LOOKUP_HASH_KEY.
INSECURE_LOOKUP_KEY = base64.b64encode(b"dev-only-lookup-hash-key-32bytes").decode()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value not in ("true", "false"):
        raise ImproperlyConfigured(f"{name}={value!r}: expected 'true' or 'false'")
    return value == "true"


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r}: expected a whole number"
        ) from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r}: must be at least {minimum}")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name}={value!r}: expected one of {', '.join(choices)}"
        )
    return value


def env_list(name: str, default: str) -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def env_key32(name: str, default: str) -> bytes:
    return env_key32_value(name, os.environ.get(name) or default)


def env_key32_value(name: str, value: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: expected base64 of 32 bytes") from None
    if len(key) != 32:
        raise ImproperlyConfigured(
            f"{name}: expected base64 of 32 bytes, got {len(key)} bytes"
        )
    return key


# CORE --------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or INSECURE_SECRET_KEY
FIELD_ENCRYPTION_KEY = env_key32("FIELD_ENCRYPTION_KEY", INSECURE_FIELD_KEY)
# Keys that encrypted data before the current one: still read, never written. After
# `manage.py rotate_encryption_key` has run, they can be removed.
FIELD_ENCRYPTION_OLD_KEYS = [
    env_key32_value("FIELD_ENCRYPTION_OLD_KEYS", item)
    for item in env_list("FIELD_ENCRYPTION_OLD_KEYS", "")
]
# The HMAC key of the lookup hashes (phones, ID numbers, names). Separate from the
# encryption keys and never rotated: changing it orphans every stored hash.
LOOKUP_HASH_KEY = env_key32("LOOKUP_HASH_KEY", INSECURE_LOOKUP_KEY)
if not DEBUG:
    if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (32+ characters) when DJANGO_DEBUG is false"
        )
    if base64.b64decode(INSECURE_FIELD_KEY) == FIELD_ENCRYPTION_KEY:
        raise ImproperlyConfigured(
            "Set FIELD_ENCRYPTION_KEY when DJANGO_DEBUG is false"
        )
    if base64.b64decode(INSECURE_LOOKUP_KEY) == LOOKUP_HASH_KEY:
        raise ImproperlyConfigured("Set LOOKUP_HASH_KEY when DJANGO_DEBUG is false")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# Behind a reverse proxy that sets X-Forwarded-For, the client IP is the first address.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

INSTALLED_APPS = [
    # First: daphne's runserver serves the ASGI application (HTTP and the consult
    # WebSockets) in development, in place of Django's WSGI-only one.
    "daphne",
    # Django's admin with our site: Chinese titles, "view site" at the front door and
    # today's figures on the index for hospital staff (config/admin_site.py).
    "config.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    # Login lockout (accounts/README: "Staff login"), and TOTP second factor for staff.
    "config.apps.LoginLockoutConfig",  # axes
    "django_otp",
    "config.apps.AuthenticatorConfig",  # django_otp.plugins.otp_totp
    "config.apps.RecoveryCodesConfig",  # django_otp.plugins.otp_static
    "drf_spectacular",
    "django_filters",
    "django_celery_beat",
    "common",
    "accounts",
    "hospitals",
    "scheduling",
    "appointments",
    "billing",
    "records",
    "consult",
    "analytics",
    "benchmarks",
    "demo",
]

MIDDLEWARE = [
    # First and last: django-prometheus times every request and counts its answer.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id (X-Request-ID) and the user id in every log record (common/request_context.py).
    "common.request_context.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A fresh read context per request; read-your-writes across requests (common.replica).
    "common.replica.ReadYourWritesMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last of ours, as django-axes asks: turns a locked-out admin login into its lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# HTTP and the consult WebSockets (config/asgi.py); runserver serves it through daphne.
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
# The model staff are scoped by in the admin (common/admin_scoping.py): a staff member of
# one hospital sees only the rows of that hospital, and keys to it offer only theirs.
HOSPITAL_MODEL = "hospitals.Hospital"
# A staff member's role brings its admin permissions (accounts/roles.py, accounts/backends.py); groups and
# per-user permissions from ModelBackend add exceptions on top. django-axes comes first: it
# refuses a locked-out username or IP before any password is checked, and authenticates
# nobody itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.RolePermissionBackend",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
            # The patient portal's filters (yuan from fen); config is no app of its own.
            "libraries": {"portal": "config.portal.templatetags"},
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# I18N AND TIME -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True  # store UTC, always use timezone.now()

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The front door's and the admin overrides' own files (no CDN: everything is served here).
STATICFILES_DIRS = [BASE_DIR / "static"]

# The name the front door and the admin show.
PLATFORM_NAME = os.environ.get("PLATFORM_NAME") or "预约挂号平台"

# DATABASE ------------------------------------------------------------------------------
# mysql://user:password@host:3306/hospital?charset=utf8mb4  (driver: mysqlclient)
if database_url := os.environ.get("DATABASE_URL"):
    try:
        _db = environ.Env.db_url_config(database_url)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a valid database URL: {exc}"
        ) from None
    if _db.get("ENGINE") not in (
        "django.db.backends.mysql",
        "django.db.backends.sqlite3",
    ):
        raise ImproperlyConfigured(
            "DATABASE_URL is not a valid database URL: use mysql://… or sqlite:///…"
        )
    if _db["ENGINE"].endswith("mysql"):
        _db.setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")
        # READ COMMITTED: a conditional UPDATE re-reads the latest committed row, and
        # gap locks do not turn concurrent inserts into deadlocks.
        _db["OPTIONS"].setdefault("isolation_level", "read committed")
        _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH") or BASE_DIR / "db.sqlite3",
            # Take the write lock at BEGIN so concurrent writers wait instead of failing.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }

# Read replica (optional): reads that say they tolerate lag (common.replica) go there, when
# no transaction is open and the caller has not just written; everything else, and every
# write, goes to the primary (common/db_router.py). Unset: no "replica" database at all.
# In tests it is a mirror of the primary, so the test database is created once.
if replica_url := os.environ.get("DATABASE_REPLICA_URL"):
    try:
        _replica = environ.Env.db_url_config(replica_url)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a valid database URL: {exc}"
        ) from None
    if _replica.get("ENGINE") not in (
        "django.db.backends.mysql",
        "django.db.backends.sqlite3",
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL is not a valid database URL: use mysql://… or sqlite:///…"
        )
    if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must use the same engine as DATABASE_URL"
        )
    if _replica["ENGINE"].endswith("mysql"):
        _replica.setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")
        _replica["OPTIONS"].setdefault("isolation_level", "read committed")
        # A replica that does not answer must fail fast: reads then go to the primary.
        _replica["OPTIONS"].setdefault("connect_timeout", 2)
    _replica["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["common.db_router.PrimaryReplicaRouter"]
# After a signed-in user's request wrote, their reads stay on the primary this long.
READ_YOUR_WRITES_SECONDS = env_int("READ_YOUR_WRITES_SECONDS", 5)
# Reads leave a replica further behind than this (0: no lag check, only "does it answer").
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 30)
# A cached answer built from replica reads (the catalog's) is kept at most this long.
REPLICA_CACHE_SECONDS = env_int("REPLICA_CACHE_SECONDS", 60, minimum=1)

# CACHE AND CELERY ----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_caches(url: str) -> dict:
    """CACHES for a Redis at `url` (the Redis-down tests point it at a closed port).

    Redis only accelerates: unreachable, it answers as an empty cache and every request
    goes to the database (common/cache.py). Short socket timeouts keep a hung server from
    holding requests; after a failure Redis is left alone for OUTAGE_RETRY_SECONDS.
    """
    return {
        "default": {
            "BACKEND": "common.cache.FailSoftRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "hospital"),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "OUTAGE_RETRY_SECONDS": 5,
                "OUTAGE_LOG_SECONDS": 60,
            },
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def channel_layers(url: str) -> dict:
    """CHANNEL_LAYERS: Redis pub/sub at `url`, or the in-memory layer without one.

    The layer only carries the consults' live frames (consult/realtime.py): each frame goes
    to a consult's group (its two sockets, and any waiting long-poll), once, and a client
    that missed one catches up with the messages cursor. Redis pub/sub does exactly that
    (one PUBLISH per frame, no per-channel lists or group sets left behind by a process that
    died, nothing written for a long-poll that subscribes for a few seconds), where
    RedisChannelLayer's queued delivery and capacity accounting would buy nothing here.
    Pub/sub channels ignore the Redis database number, so the prefix keeps two
    deployments on one server apart. Frames hold decrypted message texts, so they are
    encrypted (Fernet) under a key derived from the field encryption keys. The in-memory
    layer reaches only the process it lives in: right for one development server, not for
    several processes (gunicorn beside daphne, Celery's sweeps).
    """
    if not url or url == "memory://":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    keys = [FIELD_ENCRYPTION_KEY, *FIELD_ENCRYPTION_OLD_KEYS]
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_connect_timeout": 1}],
                "prefix": f"{os.environ.get('CACHE_KEY_PREFIX', 'hospital')}.asgi.",
                "symmetric_encryption_keys": [
                    hmac.new(key, b"channel-layer", hashlib.sha256).digest()
                    for key in keys
                ],
            },
        }
    }


# The channel layer's Redis; empty: REDIS_URL's; memory:// the in-memory layer.
CHANNEL_LAYER_URL = os.environ.get("CHANNEL_LAYER_URL") or REDIS_URL
CHANNEL_LAYERS = channel_layers(CHANNEL_LAYER_URL)
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 300)
# Seat counts change with every booking, so the doctor's availability is cached briefly.
AVAILABILITY_CACHE_SECONDS = env_int("AVAILABILITY_CACHE_SECONDS", 5)
# A slot found full is refused without a database query for this long, unless a seat comes
# back first (cleared then; with the per-process local-memory cache, others wait this out).
SOLD_OUT_CACHE_SECONDS = env_int("SOLD_OUT_CACHE_SECONDS", 2)

# After a stop (停诊) each patient is offered the nearest equivalent seat, held this many
# hours (appointments/services/rebooking_offers.py); unanswered, the seat returns.
REBOOKING_OFFER_HOURS = env_int("REBOOKING_OFFER_HOURS", 4, minimum=1)

# The rush (ARCHITECTURE.md, "The rush"): seats pre-deducted in Redis, winners queued as
# booking tickets and written in batches. On whenever Redis is configured; off (or Redis
# failing) every booking takes the database path.
BOOKING_PREDEDUCT = env_bool("BOOKING_PREDEDUCT", bool(REDIS_URL))
BOOKING_STOCK_REDIS_URL = os.environ.get("BOOKING_STOCK_REDIS_URL") or REDIS_URL
# The stock's keys start with bk:<namespace>:; empty: named after the database in use.
BOOKING_STOCK_NAMESPACE = os.environ.get("BOOKING_STOCK_NAMESPACE", "")
BOOKING_STOCK_TIMEOUT_SECONDS = 0.5
# Sessions are loaded into the stock this long before their release.
BOOKING_STOCK_PRELOAD_MINUTES = env_int("BOOKING_STOCK_PRELOAD_MINUTES", 60, minimum=1)
# How long a booking that won its seat waits for the writer before answering 202 with
# its ticket (0: answer with the ticket at once).
BOOKING_TICKET_WAIT_MS = env_int("BOOKING_TICKET_WAIT_MS", 1500)
# Tickets the writer decides per transaction.
BOOKING_WRITER_BATCH = env_int("BOOKING_WRITER_BATCH", 200, minimum=1)

# The release queue (排队放号, appointments/release_queue) for sessions marked hot: the
# waiting room opens this long before the release; at the release places are drawn at
# random among those waiting, then admitted BURST at once and ADMIT_PER_SECOND after, never
# more than the free seats; each admitted place may book for WINDOW_SECONDS. The gate holds
# for RELEASE_QUEUE_MINUTES after the release, then anyone books as usual.
RELEASE_QUEUE_OPEN_MINUTES = env_int("RELEASE_QUEUE_OPEN_MINUTES", 30, minimum=1)
RELEASE_QUEUE_MINUTES = env_int("RELEASE_QUEUE_MINUTES", 30, minimum=1)
RELEASE_QUEUE_ADMIT_PER_SECOND = env_int(
    "RELEASE_QUEUE_ADMIT_PER_SECOND", 20, minimum=1
)
RELEASE_QUEUE_BURST = env_int("RELEASE_QUEUE_BURST", 20, minimum=1)
RELEASE_QUEUE_WINDOW_SECONDS = env_int("RELEASE_QUEUE_WINDOW_SECONDS", 180, minimum=30)

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's DatabaseScheduler, sending only while it holds the beat lock
# (common/beat_lock.py), so a second beat started by mistake waits instead of doubling jobs.
CELERY_BEAT_SCHEDULER = "common.beat_lock:LockedDatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queue for tasks without an explicit one; lets several deployments share one broker.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE") or "celery"
# filesystem:// is kombu's broker in a folder: no server needed. scripts/run_dev.sh uses it
# for the worker with embedded beat, so periodic jobs run on a bare checkout. One worker
# only: messages are files under var/celery/.
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_FOLDER = BASE_DIR / "var" / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)

# REQUEST LIMITS --------------------------------------------------------------------------
# The largest request body read, in bytes: the API's JSON (common.parsers.JSONParser answers
# 413) and the forms of the admin and the payment channels' notifications (Django answers 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "REQUEST_MAX_BODY_BYTES", 1024 * 1024, minimum=1024
)
# JSON nested deeper than this is refused (400) before it is decoded. The API takes flat
# objects; the limit only keeps a body of a thousand `[` from exhausting the decoder's stack.
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32, minimum=2)

# API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON within the REQUEST LIMITS above, or a 4xx in the error shape (common/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["common.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env_int("JWT_ACCESS_MINUTES", 15, minimum=1)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        days=env_int("JWT_REFRESH_DAYS", 14, minimum=1)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hospital appointment API",
    "DESCRIPTION": "预约挂号 platform: patients' API for the WeChat mini-program.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# EXTERNAL SYSTEMS ----------------------------------------------------------------------
WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "wx-dev-app-id")
WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "dev-app-secret")
# Base URL of the WeChat API; tests point it at a local fake server.
WECHAT_API_BASE_URL = os.environ.get(
    "WECHAT_API_BASE_URL", "https://api.weixin.qq.com/"
)
WECHAT_TIMEOUT_SECONDS = env_int("WECHAT_TIMEOUT_SECONDS", 5, minimum=1)

SMS_BACKEND = env_choice("SMS_BACKEND", "console", ("console", "http"))
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "预约挂号")
if SMS_BACKEND == "http" and not SMS_HTTP_URL:
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL")
SMS_CODE_TTL_SECONDS = env_int("SMS_CODE_TTL_SECONDS", 300, minimum=30)
SMS_RESEND_INTERVAL_SECONDS = env_int("SMS_RESEND_INTERVAL_SECONDS", 60, minimum=1)
SMS_DAILY_LIMIT_PER_PHONE = env_int("SMS_DAILY_LIMIT_PER_PHONE", 10, minimum=1)
SMS_DAILY_LIMIT_PER_IP = env_int("SMS_DAILY_LIMIT_PER_IP", 50, minimum=1)
SMS_MAX_WRONG_TRIES = env_int("SMS_MAX_WRONG_TRIES", 5, minimum=1)

MAX_PATIENT_PROFILES = env_int("MAX_PATIENT_PROFILES", 5, minimum=1)
# One person's ID number may sit on at most this many accounts (active profiles).
MAX_ACCOUNTS_PER_ID_CARD = env_int("MAX_ACCOUNTS_PER_ID_CARD", 3, minimum=1)

# LOGGING -------------------------------------------------------------------------------
LOG_LEVEL = env_choice(
    "DJANGO_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
)
# JSON lines (one object per record: timestamp, level, logger, message, request_id,
# user_id) for a log collector, or text for a terminal.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # request_id and user_id on every record (common/request_context.py).
        "request_context": {"()": "common.request_context.RequestContextFilter"}
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            "rename_fields": {
                "asctime": "timestamp",
                "levelname": "level",
                "name": "logger",
            },
            "timestamp": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django logs every 4xx answer at WARNING; a booking rush refuses thousands a second
        # (sold out, not released), each answered in the error shape. 5xx stay logged.
        "django.request": {
            "level": env_choice(
                "DJANGO_REQUEST_LOG_LEVEL",
                "ERROR",
                ("DEBUG", "INFO", "WARNING", "ERROR"),
            )
        },
        # fpdf2 subsets the PDF font with fontTools, which logs every table at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# LOGIN SECURITY --------------------------------------------------------------------------
# Every password login (the admin and the patients' password login) goes through
# django-axes: after AXES_FAILURE_LIMIT failures for one username, or from one IP, further
# tries are refused for AXES_COOLOFF_MINUTES, even with the right password. Attempts are
# kept in the database (no cache needed); staff unlock in the admin (Axes: access attempts,
# delete the rows).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
# Each parameter counts on its own: per account and per IP, not per pair.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The IP the rest of the platform uses (X-Forwarded-For only with TRUST_X_FORWARDED_FOR).
AXES_CLIENT_IP_CALLABLE = "common.api.client_ip"
# A success does not wipe the count: otherwise an attacker logging into their own account
# now and then would reset the per-IP counter. Failures age out after the cool-off.
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_TEMPLATE = "admin/login_locked.html"
# accounts/admin/login_security.py registers the attempts and the log (without a date
# hierarchy, which MySQL cannot draw without its time-zone tables).
AXES_ENABLE_ADMIN = False
# Attempts and lockouts are kept in the database (the admin lists them): no log chatter.
AXES_VERBOSE = False
# Staff must pass a TOTP code (django-otp) after the password to open the admin. On by
# default in production; the demo (DJANGO_DEBUG=true) signs in with the password alone.
STAFF_REQUIRE_OTP = env_bool("STAFF_REQUIRE_OTP", not DEBUG)
# The issuer shown in the staff member's authenticator app.
OTP_TOTP_ISSUER = PLATFORM_NAME
# The waiting-room screens' signed links (appointments.screen): change the value to
# revoke every screen link at once (staff then open the new links from the admin).
SCREEN_LINK_VERSION = os.environ.get("SCREEN_LINK_VERSION", "1")
# Sessions are the admin's only (the API uses JWT): an admin login lasts at most 8 hours.
ADMIN_SESSION_HOURS = env_int("ADMIN_SESSION_HOURS", 8, minimum=1)
if ADMIN_SESSION_HOURS > 8:
    raise ImproperlyConfigured("ADMIN_SESSION_HOURS must be at most 8")
SESSION_COOKIE_AGE = ADMIN_SESSION_HOURS * 3600

# HTTPS BEHIND A TLS-TERMINATING PROXY -----------------------------------------------------
# The proxy ends TLS and forwards plain HTTP with X-Forwarded-Proto: https; it must set (not
# pass through) that header. Each value is on by default when DJANGO_DEBUG is false.
if env_bool("SECURE_PROXY_SSL_HEADER", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# /health/ is probed over plain HTTP by the load balancer, /metrics scraped by Prometheus.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
# HSTS: one year in production; 0 turns it off (start low when first enabling it).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)

# PAYMENTS ------------------------------------------------------------------------------
# A channel is enabled when all of its credentials are set; a half-configured channel stops
# start-up. Keys are PEM files on disk (paths here, never the keys themselves).
# WeChat Pay API v3 (mini-program JSAPI). Platform keys: either a directory of platform
# certificates (kept up to date by the SDK) or the newer WeChat Pay public key and its ID.
WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", "")
WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID", "")
WECHATPAY_CERT_SERIAL_NO = os.environ.get("WECHATPAY_CERT_SERIAL_NO", "")
WECHATPAY_PRIVATE_KEY_PATH = os.environ.get("WECHATPAY_PRIVATE_KEY_PATH", "")
WECHATPAY_APIV3_KEY = os.environ.get("WECHATPAY_APIV3_KEY", "")
WECHATPAY_PLATFORM_CERT_DIR = os.environ.get("WECHATPAY_PLATFORM_CERT_DIR", "")
WECHATPAY_PUBLIC_KEY_PATH = os.environ.get("WECHATPAY_PUBLIC_KEY_PATH", "")
WECHATPAY_PUBLIC_KEY_ID = os.environ.get("WECHATPAY_PUBLIC_KEY_ID", "")
# https://<host>/api/v1/billing/notify/wechat/ (and .../wechat/refund/ for refunds).
WECHATPAY_NOTIFY_URL = os.environ.get("WECHATPAY_NOTIFY_URL", "")
WECHATPAY_REFUND_NOTIFY_URL = os.environ.get("WECHATPAY_REFUND_NOTIFY_URL", "")
# Tests point this at a local fake server.
WECHATPAY_API_BASE_URL = os.environ.get(
    "WECHATPAY_API_BASE_URL", "https://api.mch.weixin.qq.com"
)
WECHATPAY_TIMEOUT_SECONDS = env_int("WECHATPAY_TIMEOUT_SECONDS", 10, minimum=1)

# Alipay (RSA2, public-key mode): H5 payment through alipay.trade.wap.pay.
ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID", "")
ALIPAY_PRIVATE_KEY_PATH = os.environ.get("ALIPAY_PRIVATE_KEY_PATH", "")
ALIPAY_PUBLIC_KEY_PATH = os.environ.get("ALIPAY_PUBLIC_KEY_PATH", "")
ALIPAY_SELLER_ID = os.environ.get("ALIPAY_SELLER_ID", "")
# https://<host>/api/v1/billing/notify/alipay/
ALIPAY_NOTIFY_URL = os.environ.get("ALIPAY_NOTIFY_URL", "")
# Where Alipay's H5 cashier sends the patient back to (optional).
ALIPAY_RETURN_URL = os.environ.get("ALIPAY_RETURN_URL", "")
ALIPAY_GATEWAY_URL = os.environ.get(
    "ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do"
)
ALIPAY_TIMEOUT_SECONDS = env_int("ALIPAY_TIMEOUT_SECONDS", 10, minimum=1)

# The dev gateway pays "dev" orders with one click; only ever on with DEBUG or in tests.
PAYMENTS_DEV_GATEWAY = env_bool("PAYMENTS_DEV_GATEWAY", False)
if PAYMENTS_DEV_GATEWAY and not DEBUG:
    raise ImproperlyConfigured("PAYMENTS_DEV_GATEWAY=true needs DJANGO_DEBUG=true")

# The daily abnormal-payment audit (安全审计, `manage.py payments_audit`): a rule's hit is
# stored once per subject and day, and written to the operation log.
# One account (or one IP) whose payment orders were closed unpaid this many times a day.
PAYMENTS_AUDIT_FAILED_PER_ACCOUNT = env_int(
    "PAYMENTS_AUDIT_FAILED_PER_ACCOUNT", 3, minimum=1
)
PAYMENTS_AUDIT_FAILED_PER_IP = env_int("PAYMENTS_AUDIT_FAILED_PER_IP", 5, minimum=1)
# A refund someone chose the amount of (staff, other) that reaches this share of the
# payment, in percent; a refund over the payment is always a hit.
PAYMENTS_AUDIT_REFUND_NEAR_PERCENT = env_int(
    "PAYMENTS_AUDIT_REFUND_NEAR_PERCENT", 90, minimum=1
)
# This many payment orders by one account within this many minutes.
PAYMENTS_AUDIT_BURST_ORDERS = env_int("PAYMENTS_AUDIT_BURST_ORDERS", 5, minimum=2)
PAYMENTS_AUDIT_BURST_MINUTES = env_int("PAYMENTS_AUDIT_BURST_MINUTES", 10, minimum=1)


def _check_channel(name: str, required: dict[str, str]) -> None:
    missing = [key for key, value in required.items() if not value]
    if missing and len(missing) < len(required):
        raise ImproperlyConfigured(
            f"{name} is partly configured; also set {', '.join(missing)}"
        )


_check_channel(
    "WeChat Pay",
    {
        "WECHATPAY_MCHID": WECHATPAY_MCHID,
        "WECHATPAY_APPID": WECHATPAY_APPID,
        "WECHATPAY_CERT_SERIAL_NO": WECHATPAY_CERT_SERIAL_NO,
        "WECHATPAY_PRIVATE_KEY_PATH": WECHATPAY_PRIVATE_KEY_PATH,
        "WECHATPAY_APIV3_KEY": WECHATPAY_APIV3_KEY,
        "WECHATPAY_NOTIFY_URL": WECHATPAY_NOTIFY_URL,
    },
)
if bool(WECHATPAY_PUBLIC_KEY_PATH) != bool(WECHATPAY_PUBLIC_KEY_ID):
    raise ImproperlyConfigured(
        "Set both WECHATPAY_PUBLIC_KEY_PATH and WECHATPAY_PUBLIC_KEY_ID, or neither"
    )
if WECHATPAY_APIV3_KEY and len(WECHATPAY_APIV3_KEY.encode()) != 32:
    raise ImproperlyConfigured("WECHATPAY_APIV3_KEY must be 32 characters")
_check_channel(
    "Alipay",
    {
        "ALIPAY_APP_ID": ALIPAY_APP_ID,
        "ALIPAY_PRIVATE_KEY_PATH": ALIPAY_PRIVATE_KEY_PATH,
        "ALIPAY_PUBLIC_KEY_PATH": ALIPAY_PUBLIC_KEY_PATH,
        "ALIPAY_SELLER_ID": ALIPAY_SELLER_ID,
        "ALIPAY_NOTIFY_URL": ALIPAY_NOTIFY_URL,
    },
)

# BENCHMARK -----------------------------------------------------------------------------
# Serve the rush benchmark's own routes (benchmarks/rush/urls.py): the naive booking endpoint
# that `manage.py rush_benchmark` compares the real one with, and its plain Django JSON ceiling.
# Only the benchmark's own server turns it on; never in production.
BENCHMARK_BASELINE_ENDPOINT = env_bool("BENCHMARK_BASELINE_ENDPOINT", False)

# NOTIFICATIONS ---------------------------------------------------------------------------
# Every event writes an inbox row in its own transaction; delivery tries a WeChat subscribe
# message, then a text message (appointments/notifications/). Per event:
# - template_id: the subscribe-message template chosen in the mini-program admin
#   (NOTIFY_TEMPLATE_<EVENT>); empty means no WeChat message for that event;
# - page: the mini-program page the message opens (NOTIFY_PAGE_<EVENT>), with {appointment_id};
# - data: how the template's keywords are filled from the message values ({patient},
#   {doctor}, {department}, {hospital}, {visit_time}, {visit_date}, {place}, {queue_no},
#   {fee}, {pay_before}, {reason}, {amount}, {order_no}, {period}, {title},
#   {confirm_before}, empty without a deadline; a rebooking offer's {hold_until},
#   {old_doctor}, {old_visit_time}); the keywords
#   must match the template's, so change both together;
# - sms: whether a text is sent when WeChat cannot deliver (NOTIFY_SMS_EVENTS).
NOTIFY_SMS_EVENTS = env_list(
    "NOTIFY_SMS_EVENTS",
    "booked,cancelled,expired,stop_clinic,waitlist_promoted,waitlist_closed,"
    "hold_expiring,refund_done,visit_reminder,confirm_request,unconfirmed_released,"
    "rescheduled,rebooking_offered,consult_accepted,consult_cancelled,consult_refunded",
)
_APPOINTMENT_PAGE = "pages/appointment/detail?id={appointment_id}"
_VISIT_DATA = {
    "name1": "{patient}",
    "thing2": "{doctor}",
    "time3": "{visit_time}",
    "thing4": "{place}",
}
_CHANGE_DATA = {
    "name1": "{patient}",
    "thing2": "{doctor}",
    "time3": "{visit_time}",
    "thing4": "{title}",
}
_PAYMENT_DATA = {
    "name1": "{patient}",
    "thing2": "{doctor}",
    "amount3": "{fee}",
    "time4": "{pay_before}",
}
# The mini-program has no consult page yet: its messages open the inbox. Point
# NOTIFY_PAGE_CONSULT_* at the consult's page ("...?id={consult_id}") once it exists.
_CONSULT_PAGE = "pages/messages/messages"
_CONSULT_DATA = {
    "name1": "{patient}",
    "thing2": "{doctor}",
    "thing3": "{title}",
    "time4": "{time}",
}
_EVENT_DEFAULTS = {
    # event: (default page, template data)
    "booked": (_APPOINTMENT_PAGE, _VISIT_DATA | {"character_string5": "{queue_no}"}),
    "payment_due": (_APPOINTMENT_PAGE, _PAYMENT_DATA),
    "cancelled": (_APPOINTMENT_PAGE, _CHANGE_DATA),
    "expired": (_APPOINTMENT_PAGE, _CHANGE_DATA),
    "stop_clinic": (_APPOINTMENT_PAGE, _CHANGE_DATA | {"thing5": "{reason}"}),
    "waitlist_promoted": (
        _APPOINTMENT_PAGE,
        _VISIT_DATA | {"character_string5": "{queue_no}"},
    ),
    "waitlist_closed": (
        "pages/waitlist/index",
        {
            "name1": "{patient}",
            "thing2": "{doctor}",
            "date3": "{visit_date}",
            "thing4": "{title}",
        },
    ),
    "checked_in": (_APPOINTMENT_PAGE, _VISIT_DATA),
    "no_show": (_APPOINTMENT_PAGE, _CHANGE_DATA),
    "hold_expiring": (_APPOINTMENT_PAGE, _PAYMENT_DATA),
    "refund_done": (
        _APPOINTMENT_PAGE,
        {
            "character_string1": "{order_no}",
            "amount2": "{amount}",
            "name3": "{patient}",
        },
    ),
    "visit_reminder": (
        _APPOINTMENT_PAGE,
        _VISIT_DATA | {"character_string5": "{queue_no}"},
    ),
    # The medical record (电子病历) is signed or locked; a lab or imaging report is in.
    "record_ready": ("pages/records/index", _CHANGE_DATA),
    "report_ready": ("pages/records/index", _CHANGE_DATA),
    # The no-show model in use: a high-risk booking is asked to confirm with one tap (the
    # page's confirm action posts to /api/v1/appointments/<id>/confirm/); an unconfirmed
    # one released at its deadline (where the hospital switched that on) is told so.
    "confirm_request": (_APPOINTMENT_PAGE + "&action=confirm", _VISIT_DATA),
    "unconfirmed_released": (_APPOINTMENT_PAGE, _CHANGE_DATA),
    # 改约: the booking now at another time (the template shows the new one).
    "rescheduled": (
        _APPOINTMENT_PAGE,
        _VISIT_DATA | {"character_string5": "{queue_no}"},
    ),
    # 停诊改约: a later seat held after a stop; the page lists the patient's offers, to
    # accept or decline with one tap (the template shows the offered time and the hold).
    "rebooking_offered": (
        "pages/rebooking-offers/index",
        {
            "name1": "{patient}",
            "thing2": "{doctor}",
            "time3": "{visit_time}",
            "time4": "{hold_until}",
        },
    ),
    # 排队放号: the patient's turn in a release queue came; the page is the waiting room,
    # where they pick a time (values {session_id}, {patient}, {doctor}, {visit_date},
    # {period}, {pass_until}). Not texted by default: the turn lasts minutes.
    "release_queue_admitted": (
        "pages/release-queue/index?session={session_id}",
        {
            "name1": "{patient}",
            "thing2": "{doctor}",
            "date3": "{visit_date}",
            "time4": "{pass_until}",
        },
    ),
    # Online consults (consult/notifications.py): values {consult_id}, {patient},
    # {doctor}, {hospital}, {title}, {time}, {amount} (refunds). A new message goes to
    # the other party (at most one per consult and recipient in CONSULT_NOTIFY_MESSAGE_
    # MINUTES), not texted by default: a busy chat would send many.
    "consult_message": (_CONSULT_PAGE, _CONSULT_DATA),
    "consult_accepted": (_CONSULT_PAGE, _CONSULT_DATA),
    "consult_closed": (_CONSULT_PAGE, _CONSULT_DATA),
    "consult_cancelled": (_CONSULT_PAGE, _CONSULT_DATA),
    "consult_refunded": (
        _CONSULT_PAGE,
        {"name1": "{patient}", "thing2": "{doctor}", "amount3": "{amount}"},
    ),
}
NOTIFICATIONS = {
    "EVENTS": {
        event: {
            "template_id": os.environ.get(f"NOTIFY_TEMPLATE_{event.upper()}", ""),
            "page": os.environ.get(f"NOTIFY_PAGE_{event.upper()}") or page,
            "data": data,
            "sms": event in NOTIFY_SMS_EVENTS,
        }
        for event, (page, data) in _EVENT_DEFAULTS.items()
    },
    # Rows still pending this long after they were due are sent by the sweeper (every
    # minute); until then the task queued at commit is expected to send them.
    "SWEEP_AFTER_SECONDS": env_int("NOTIFY_SWEEP_AFTER_SECONDS", 120, minimum=1),
    # A row claimed longer ago than this is taken to belong to a dead worker and goes back
    # to pending. Longer than CELERY_TASK_TIME_LIMIT, so a live worker is never doubled.
    "SENDING_TIMEOUT_SECONDS": env_int(
        "NOTIFY_SENDING_TIMEOUT_SECONDS", 600, minimum=CELERY_TASK_TIME_LIMIT + 1
    ),
    # Attempts while WeChat or SMS is unavailable, waiting RETRY_BASE * 2^n (at most
    # RETRY_MAX) seconds in between; then a text is tried, then the row is failed.
    "MAX_ATTEMPTS": env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1),
    "RETRY_BASE_SECONDS": env_int("NOTIFY_RETRY_BASE_SECONDS", 30, minimum=1),
    "RETRY_MAX_SECONDS": env_int("NOTIFY_RETRY_MAX_SECONDS", 1800, minimum=1),
    # Warn about an unpaid hold this many minutes before it expires.
    "HOLD_EXPIRING_MINUTES": env_int("NOTIFY_HOLD_EXPIRING_MINUTES", 5, minimum=1),
}
_unknown_sms_events = set(NOTIFY_SMS_EVENTS) - set(_EVENT_DEFAULTS)
if _unknown_sms_events:
    raise ImproperlyConfigured(
        f"NOTIFY_SMS_EVENTS: unknown events {', '.join(sorted(_unknown_sms_events))}"
    )

# MEMBERSHIP ----------------------------------------------------------------------------
# Levels and their privileges are data (admin: member levels); these are the points a
# member earns. A refund takes back the points of the payment it returns.
POINTS_PER_PAID_BOOKING = env_int("POINTS_PER_PAID_BOOKING", 10)
POINTS_PER_COMPLETED_VISIT = env_int("POINTS_PER_COMPLETED_VISIT", 20)

# MEDICAL RECORDS -----------------------------------------------------------------------
# A record's draft locks by itself this many hours after the visit (records/periodic.py);
# after that only a correction (a new version with its reason) changes it.
RECORD_AUTO_LOCK_HOURS = env_int("RECORD_AUTO_LOCK_HOURS", 24, minimum=1)
# An online consult in progress closes by itself after this many hours without a message
# (consult/periodic.py).
CONSULT_IDLE_CLOSE_HOURS = env_int("CONSULT_IDLE_CLOSE_HOURS", 48, minimum=1)
# A paid online consult not paid within this many minutes of asking is cancelled and its
# place of the day given back (consult/periodic.py).
CONSULT_PAYMENT_MINUTES = env_int("CONSULT_PAYMENT_MINUTES", 30, minimum=1)
# A party is told of new messages in a consult at most once per this many minutes.
CONSULT_NOTIFY_MESSAGE_MINUTES = env_int("CONSULT_NOTIFY_MESSAGE_MINUTES", 5, minimum=1)
# The largest report attachment (PDF, JPEG or PNG) taken, in bytes.
RECORD_ATTACHMENT_MAX_BYTES = env_int(
    "RECORD_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024
)
# Which STORAGES entry holds the attachments (only their AES-GCM ciphertext). The local
# media folder by default; for S3-compatible storage add an entry, e.g. with
# django-storages' "storages.backends.s3.S3Storage", and name it here.
RECORD_ATTACHMENT_STORAGE = os.environ.get("RECORD_ATTACHMENT_STORAGE") or "default"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or BASE_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if RECORD_ATTACHMENT_STORAGE not in STORAGES:
    raise ImproperlyConfigured(
        f"RECORD_ATTACHMENT_STORAGE={RECORD_ATTACHMENT_STORAGE!r}: not a key of STORAGES"
    )
# Online consult images (问诊图片): the largest upload taken, in bytes (checked before it
# is decoded); the STORAGES entry that holds them (only their AES-GCM ciphertext, never
# served from MEDIA_URL); uploads allowed per user ("<number>/<second|minute|hour|day>").
CONSULT_IMAGE_MAX_BYTES = env_int(
    "CONSULT_IMAGE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024
)
CONSULT_IMAGE_STORAGE = os.environ.get("CONSULT_IMAGE_STORAGE") or "default"
if CONSULT_IMAGE_STORAGE not in STORAGES:
    raise ImproperlyConfigured(
        f"CONSULT_IMAGE_STORAGE={CONSULT_IMAGE_STORAGE!r}: not a key of STORAGES"
    )
CONSULT_IMAGE_UPLOAD_RATE = os.environ.get("CONSULT_IMAGE_UPLOAD_RATE") or "60/hour"
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", CONSULT_IMAGE_UPLOAD_RATE):
    raise ImproperlyConfigured(
        "CONSULT_IMAGE_UPLOAD_RATE must look like 60/hour "
        "(a number, then second, minute, hour or day)"
    )
# Exports of a visit. The PDF embeds a Chinese font: "path" or "path#index" (a face in a
# .ttc collection); empty = ask fontconfig for one (fonts-noto-cjk, installed by the setup).
RECORD_PDF_FONT = os.environ.get("RECORD_PDF_FONT", "")

# ANALYTICS: NO-SHOW MODEL ------------------------------------------------------------
# Folder of the trained no-show model files (noshow-v<N>.joblib); each file's SHA-256 is
# recorded in the database and checked before it is loaded.
NOSHOW_MODEL_DIR = (
    os.environ.get("NOSHOW_MODEL_DIR") or BASE_DIR / "var" / "noshow_models"
)

# OBSERVABILITY ---------------------------------------------------------------------------
# Prometheus metrics at /metrics (common/metrics.py; README, "Observability"). Never public:
# a scrape is answered with `Authorization: Bearer <METRICS_TOKEN>`, or from an address in
# METRICS_ALLOWED_NETWORKS (comma-separated CIDRs, the client IP as common.api.client_ip
# reads it); anything else 403. With neither set, /metrics answers 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 characters")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(item, strict=False)
        for item in env_list("METRICS_ALLOWED_NETWORKS", "")
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from None
# Several processes (gunicorn workers): each writes its counters to files in this folder,
# which must exist and be emptied before the server starts; /metrics adds them up.
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# Beat (README, "Observability"): common.beat_lock.LockedDatabaseScheduler sends only while
# it holds a Redis lock, so a second beat waits; it writes its heartbeat every
# BEAT_HEARTBEAT_SECONDS. /health/'s "jobs" part says "overdue" when the heartbeat, or
# the last success of a watched job, is older than JOBS_OVERDUE_FACTOR times its period.
BEAT_LOCK_URL = os.environ.get("BEAT_LOCK_URL") or REDIS_URL
BEAT_LOCK_SECONDS = env_int("BEAT_LOCK_SECONDS", 30, minimum=5)
BEAT_HEARTBEAT_SECONDS = env_int("BEAT_HEARTBEAT_SECONDS", 30, minimum=1)
JOBS_OVERDUE_FACTOR = env_int("JOBS_OVERDUE_FACTOR", 5, minimum=2)

# Sentry (optional): errors of the web processes and the Celery tasks, when a DSN is set.
# No personal data is sent: no user details, request bodies, cookies or auth headers.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT") or (
    "development" if DEBUG else "production"
)
try:
    SENTRY_TRACES_SAMPLE_RATE = float(
        os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or "0"
    )
except ValueError:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE: expected a number") from None
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE: expected 0 to 1")
if SENTRY_DSN:
    from common.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
