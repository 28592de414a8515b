"""Kairan settings: everything comes from KAIRAN_* environment variables with embedded defaults.

Embedded default (``make run``): SQLite in WAL mode under ``KAIRAN_DATA_DIR``, in-memory channel
layer and cache, files on disk. Production: ``KAIRAN_DATABASE_URL`` (PostgreSQL, psycopg 3) and
``KAIRAN_REDIS_URL`` (channel layer and cache). See CONTRACT.md "Environment".
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"KAIRAN_{name}", default)


def _env_bool(name: str, default: bool = False) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(_env("DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use KAIRAN_SECRET_KEY, else a random key kept in the data dir (stable across restarts)."""
    if value := _env("SECRET_KEY"):
        return value
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in _env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc from our static files (closed network)
    "django_htmx",
    "axes",
    "viewflow",
    "viewflow.workflow",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Kairan apps, in dependency order (see docs/architecture.md)
    "audit",
    "realtime",
    "directory",
    "documents",
    "workflow",
    "chat",
    "council",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "audit.middleware.ClientAddressMiddleware",  # every audit event gets the client address
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # 413 for a body over the upload limit before the CSRF check or a view parses it (with
    # config.middleware.BodySizeGuard in front of Django under ASGI).
    "config.middleware.BodySizeMiddleware",
    # Sessions end after KAIRAN_SESSION_IDLE_MINUTES without a request.
    "config.middleware.SessionIdleMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Councilors without a TOTP device reach only the enrolment page when it is required.
    "council.middleware.TotpEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view's unmapped bad-input exception (a number past the database's range) → 400.
    "config.middleware.BadInputMiddleware",
    # Axes last: it answers lockouts raised by the authentication backends.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
                "django.template.context_processors.i18n",
                "directory.context_processors.current_person",
            ],
            # 和暦 and 年度 filters on every screen (one definition).
            "builtins": ["directory.templatetags.kairan_dates"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
if database_url := _env("DATABASE_URL"):
    # No persistent per-thread connections: under ASGI each request's sync work may run on a
    # new thread, and persistent connections then pile up until PostgreSQL refuses more
    # (measured by bench/bench_approvals_http.py: 88 open, "too many clients"). Instead a
    # psycopg pool per process hands a connection to each request and takes it back after:
    # bounded (KAIRAN_DB_POOL_SIZE, default 10) and no connect per request. KAIRAN_DB_POOL_SIZE=0
    # turns it off (e.g. behind pgbouncer in transaction mode).
    DATABASES = {"default": dj_database_url.parse(database_url, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        if (_pool_size := int(_env("DB_POOL_SIZE", "10"))) > 0:
            _options["pool"] = {"min_size": 1, "max_size": _pool_size, "timeout": 10}
            # Each pooled connection is its own server session, so it may keep prepared
            # statements: the full-text search runs as one, planned once per connection
            # (docs/search.md). Django's other queries use a cursor that never prepares.
            # Not behind pgbouncer in transaction mode (KAIRAN_DB_POOL_SIZE=0).
            _options.setdefault("prepare_threshold", 5)
        else:
            DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "kairan.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
                # BEGIN so two writers queue instead of failing with "database is locked" mid-way.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests use a file too, like the embedded default: Django's in-memory test database
            # runs in shared-cache mode, whose table locks fail a concurrent reader at once
            # ("database table is locked") instead of waiting as WAL does (realtime tests).
            "TEST": {
                "NAME": str(Path(tempfile.gettempdir()) / f"kairan-test-{os.getpid()}.sqlite3")
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and cache ---------------------------------------------------------------------
REDIS_URL = _env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kairan",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background work ------------------------------------------------------------------------
# Embedded (one process, `make run`): tasks run in the request that enqueues them. "external":
# tasks go to a database queue that `python manage.py db_worker` processes (production).
TASK_WORKERS = _env("TASK_WORKERS", "embedded")
if TASK_WORKERS == "external":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- E-mail ---------------------------------------------------------------------------------
# Notifications are in-app; their e-mail copy goes out only when a mail server is named.
# Without KAIRAN_EMAIL_HOST (the default) no mail is attempted at all (not Django's
# localhost:25, which would log a failure for every notification): see
# directory.notifications.email_configured().
EMAIL_HOST = _env("EMAIL_HOST")
EMAIL_PORT = int(_env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = _env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = _env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(_env("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = _env("EMAIL_FROM", "webmaster@localhost")

# --- Authentication -------------------------------------------------------------------------
LDAP = {
    "URL": _env("LDAP_URL"),
    "BIND_DN": _env("LDAP_BIND_DN"),
    "BIND_PASSWORD": _env("LDAP_BIND_PASSWORD"),
    "USER_BASE": _env("LDAP_USER_BASE"),
    "ORG_BASE": _env("LDAP_ORG_BASE"),
    "USER_FILTER": _env("LDAP_USER_FILTER", "(objectClass=inetOrgPerson)"),
    "ATTR_USERNAME": _env("LDAP_ATTR_USERNAME", "uid"),
    "ATTR_UNIT": _env("LDAP_ATTR_UNIT", "departmentNumber"),
    "ATTR_TITLE": _env("LDAP_ATTR_TITLE", "title"),
    # Optional: a code on org OUs the unit attribute may name; a multi-valued attribute of 兼務
    # ("unit" or "unit|title"); AD's second sign-in name (directory/README.md).
    "ATTR_UNIT_CODE": _env("LDAP_ATTR_UNIT_CODE", ""),
    "ATTR_CONCURRENT": _env("LDAP_ATTR_CONCURRENT", ""),
    "ATTR_UPN": _env("LDAP_ATTR_UPN", "userPrincipalName"),
    "TIMEOUT": int(_env("LDAP_TIMEOUT", "10")),
}

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "directory.integrations.ldap_backend.LDAPBackend",
    "directory.backends.LocalAccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Lockout: per username, never per address alone (the whole city hall shares one proxy address).
AXES_FAILURE_LIMIT = int(_env("LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(_env("LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "directory.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "directory.auth.lockout_username"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = True

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication with expiry (KAIRAN_TOKEN_DAYS).
        "directory.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.KairanAutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    # DRF's three defaults, with a JSON parser that refuses JSON nested too deep (400).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kairan API",
    "DESCRIPTION": "回覧 — electronic approval, records, chat and council materials",
    "VERSION": "1",
    # config/openapi.py: nested serializers named after their view; the errors of every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
    ],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Enums named for what they are, not by a hash of their values.
    "ENUM_NAME_OVERRIDES": {
        "ChatRoomKindEnum": "chat.models.Room.Kind",
        "CouncilSessionKindEnum": ["regular", "extraordinary"],
        "AgendaItemKindEnum": ["bill", "report", "petition", "other"],
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Static files come from the app itself (no CDN, no separate web server needed in the embedded
# default); finders let tests and a fresh clone serve them before collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "files"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# S3-compatible object storage (django-storages) when a bucket is named; files stay private
# (no public ACL, signed URLs never handed out: downloads go through Kairan's hash check).
if s3_bucket := _env("S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": s3_bucket,
            "endpoint_url": _env("S3_ENDPOINT_URL") or None,
            "region_name": _env("S3_REGION") or None,
            "access_key": _env("S3_ACCESS_KEY") or None,
            "secret_key": _env("S3_SECRET_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Cookies only over HTTPS, except where Kairan is plainly served over HTTP on this machine
# (`make run` on http://127.0.0.1:8000, DEBUG): there a secure cookie would never come back.
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
_PLAIN_HTTP_ON_LOOPBACK = DEBUG or set(ALLOWED_HOSTS) <= _LOOPBACK_HOSTS
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", not _PLAIN_HTTP_ON_LOOPBACK)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Idle timeout: a session unused for KAIRAN_SESSION_IDLE_MINUTES ends (config.middleware.
# SessionIdleMiddleware renews the expiry on activity, at most once a minute).
SESSION_IDLE_SECONDS = int(_env("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# HTTPS: HSTS (seconds; 0 = not sent), redirect of plain HTTP, and the header by which the
# reverse proxy says the client used HTTPS ("X-Forwarded-Proto: https"; only behind a proxy
# that always sets or strips it, else a client could claim HTTPS).
SECURE_HSTS_SECONDS = int(_env("HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS")
SECURE_SSL_REDIRECT = _env_bool("SSL_REDIRECT")


def _proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """The proxy's header as Django wants it: "X-Forwarded-Proto: https" (also written
    "X-Forwarded-Proto=https", or the name alone, meaning https) → ("HTTP_X_FORWARDED_PROTO",
    "https")."""
    if not raw.strip():
        return None
    name, _sep, value = raw.replace("=", ":", 1).partition(":")
    meta = "HTTP_" + name.strip().upper().replace("-", "_")
    return meta, value.strip() or "https"


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(_env("PROXY_SSL_HEADER"))
# API tokens expire this many days after they were issued (0 = never); a new POST
# /api/v1/auth/token/ then issues a fresh key (directory.auth).
TOKEN_DAYS = int(_env("TOKEN_DAYS", "30"))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts, styles, images, fonts and connections from this
# origin only — no inline script, no eval, no <style> elements (templates keep behaviour in
# static/js and styles in CSS; htmx is told not to inject its indicator style). Style
# *attributes* stay allowed (CSP 3's style-src-attr): they cannot run script, and Django's admin
# and a few computed indents use them. 'self' covers the same-origin WebSockets (ws:/wss:).
# The API's Swagger UI and ReDoc pages (drf-spectacular's templates, with an inline <style> and
# an inline script) are left out, they are for developers signed in to the API.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/api/redoc/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Only behind a reverse proxy that overwrites this header may the client address come from it.
TRUST_X_FORWARDED_FOR = _env_bool("TRUST_X_FORWARDED_FOR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "WARNING")},
}

# --- Kairan ---------------------------------------------------------------------------------
COUNCIL_SECRETARIAT_UNIT = _env("COUNCIL_SECRETARIAT_UNIT", "議会事務局")
# Reorganisations (directory/README.md): staged and applied by members of this unit (and admins).
PERSONNEL_UNIT = _env("PERSONNEL_UNIT", "人事課")
# Council (council/README.md): councilors must enrol a TOTP device before anything else; page
# pre-rendering after upload (thread | inline | off); the reader's name on served pages.
COUNCIL_REQUIRE_TOTP = _env_bool("COUNCIL_REQUIRE_TOTP")
COUNCIL_PRERENDER = _env("COUNCIL_PRERENDER", "thread")
COUNCIL_WATERMARK = _env_bool("COUNCIL_WATERMARK", True)
# Pages encoded at once by a pre-render (council/rendering.py) [0: one per core, at most 8].
COUNCIL_RENDER_THREADS = int(_env("COUNCIL_RENDER_THREADS", "0"))
# Search indexing of uploads and page-view (既読) writes after the response, on one background
# thread per process (council/background.py) [off: in the request].
COUNCIL_BACKGROUND_WRITES = _env_bool("COUNCIL_BACKGROUND_WRITES")
OTP_TOTP_ISSUER = _env("OTP_TOTP_ISSUER", "Kairan")
# Wrong codes already count toward the sign-in lockout (5 per 15 minutes); django-otp's own
# growing delay on top would also refuse the right code typed just after a mistake.
OTP_TOTP_THROTTLE_FACTOR = 0
# Realtime delivery (realtime/README.md): frame size and per-connection rate of client frames,
# how many stored events a reconnect may replay before being told to resync, how often an open
# connection compares its position with the stored head (finds a lost last wake-up).
REALTIME = {
    "MAX_FRAME_BYTES": int(_env("WS_MAX_FRAME_BYTES", "16384")),
    "RATE_FRAMES": int(_env("WS_RATE_FRAMES", "30")),
    "RATE_SECONDS": float(_env("WS_RATE_SECONDS", "10")),
    "REPLAY_LIMIT": int(_env("WS_REPLAY_LIMIT", "1000")),
    "POLL_SECONDS": float(_env("WS_POLL_SECONDS", "15")),
    "SETTLE_SECONDS": float(_env("WS_SETTLE_SECONDS", "1")),
}
# Chat retention in days per room type (0 = keep); purge with `manage.py chat_purge`.
CHAT_RETENTION_DAYS = {
    "unit": int(_env("CHAT_RETENTION_UNIT_DAYS", "0")),
    "group": int(_env("CHAT_RETENTION_GROUP_DAYS", "0")),
    "direct": int(_env("CHAT_RETENTION_DIRECT_DAYS", "0")),
    "system": int(_env("CHAT_RETENTION_SYSTEM_DAYS", "0")),
}
# Largest upload accepted by records (documents/validation.py); larger ones get 413.
UPLOAD_MAX_BYTES = int(_env("UPLOAD_MAX_BYTES", str(50 * 1024 * 1024)))

# axes.W006 asks for the client address in the lockout key. Deliberately not: every member of
# staff reaches the server through the city's one proxy address (see CONTRACT.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
