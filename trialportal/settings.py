"""TrialPortal settings, read from the environment.

The defaults make a first run work with no configuration at all: debug on,
an embedded SQLite database, localhost only. Production sets
``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and
``DATABASE_URL``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


DEBUG = env_bool("DJANGO_DEBUG", True)

# A fixed development key is fine while DEBUG is on; production must bring its own.
_DEVELOPMENT_SECRET_KEY = "django-insecure-trialportal-development-key-not-for-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_filters",
    "axes",
    "trials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A visitor's kept trial page is answered here, before sessions, CSRF,
    # authentication and the view; a page rendered below is kept as sent.
    "trials.caching.SharedPageCacheMiddleware",
    # Compresses public responses only (never one with a CSRF token or a session: BREACH).
    "trials.caching.PublicGZipMiddleware",
    # Outside the session and CSRF middleware: it sees the cookies they set.
    "trials.caching.CacheHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "trialportal.middleware.RefuseUnservedMethodsMiddleware",
    "trialportal.middleware.RejectForbiddenCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: it reads whether the request is signed in.
    "trialportal.db_router.PrimaryForStaffMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "trialportal.middleware.SecurityHeadersMiddleware",
    "trialportal.middleware.PortalNotFoundMiddleware",
    "trialportal.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Failed logins: after 10 in an hour for one account, or from one client, that
# account or client waits out the hour (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "trialportal.signin.attempted_username"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "0")) or None

ROOT_URLCONF = "trialportal.urls"

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

WSGI_APPLICATION = "trialportal.wsgi.application"

# Connections kept open between requests: gunicorn's workers reuse theirs.
# runserver answers each request in a new thread, whose kept connection
# would stay open until PostgreSQL refuses any more ("too many clients").
DB_CONN_MAX_AGE = 0 if sys.argv[1:2] == ["runserver"] else int(os.environ.get("DJANGO_CONN_MAX_AGE", "60"))
# A kept connection is checked (a round trip to the database) before each
# request uses it: a third of a cached page's time. Off, a connection the
# database dropped (a restart, a failover) fails one request per worker with
# a 503, and the next one reconnects.
DB_HEALTH_CHECKS = env_bool("DJANGO_DB_HEALTH_CHECKS", False)

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=DB_CONN_MAX_AGE,
        conn_health_checks=DB_HEALTH_CHECKS,
    )
}
# Read replicas of the primary (``default``), e.g. PostgreSQL streaming
# replicas: public pages read one of them, everything that writes (imports,
# commands, the admin, a signed-in editor's requests) uses the primary
# (``trialportal/db_router.py``).
DATABASE_REPLICAS = []
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    alias = f"replica{number}"
    DATABASES[alias] = dj_database_url.parse(url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=DB_HEALTH_CHECKS)
    # Tests read the primary's test database through the replica's alias.
    DATABASES[alias]["TEST"] = {"MIRROR": "default"}
    DATABASE_REPLICAS.append(alias)
DATABASE_ROUTERS = ["trialportal.db_router.PrimaryReplicaRouter"]

# How long the statements of a process that answers requests may run before
# PostgreSQL cancels them (the request then answers 503): one request must
# not hold a worker, or the database, for minutes. Such a process is a WSGI
# server (trialportal/wsgi.py says so), runserver or the test suite; management
# commands and scripts (imports, related-trial rebuilds, benchmarks) run long
# statements legitimately and have no limit.
PUBLIC_STATEMENT_TIMEOUT_MS = int(os.environ.get("PUBLIC_STATEMENT_TIMEOUT_MS", "5000"))
SERVES_REQUESTS = (
    os.environ.get("TRIALPORTAL_SERVES_REQUESTS") == "1" or sys.argv[1:2] == ["runserver"] or "pytest" in sys.modules
)
# The time /api/v2/stats/field/values and /stats/field/sizes may take in all
# (PostgreSQL), shared by their statements: past it they answer 503 and say
# to ask for fewer fields. 0: no limit but PUBLIC_STATEMENT_TIMEOUT_MS.
STATS_TIME_LIMIT_MS = int(os.environ.get("STATS_TIME_LIMIT_MS", "4000"))
# Seconds to wait for the database to accept a connection: a server that
# takes the connection and never answers would otherwise hold each request
# for as long as the operating system waits.
DB_CONNECT_TIMEOUT = int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT", "5"))

for database in DATABASES.values():
    if database["ENGINE"] != "django.db.backends.postgresql":
        continue
    # Search combines large bitmaps (a common term AND a status); with the
    # default 4 MB they turn lossy and every match is rechecked. JIT off: the
    # planner compiles any query it costs high, such as a count over many
    # matches, and compiling takes longer than such a query runs. The time
    # limit is a startup option of the connection, not a statement per
    # request; a transaction's own limit (trials.db.within_time) still applies.
    options = f"-c work_mem={os.environ.get('DJANGO_DB_WORK_MEM', '64MB')} -c jit=off"
    if SERVES_REQUESTS and PUBLIC_STATEMENT_TIMEOUT_MS > 0:
        options += f" -c statement_timeout={PUBLIC_STATEMENT_TIMEOUT_MS}"
    database.setdefault("OPTIONS", {}).update(options=options, connect_timeout=DB_CONNECT_TIMEOUT)

# The shared cache of rendered trial pages (``trials/caching.py``): this
# process's memory by default, Redis shared by every web node with
# CACHE_URL (redis://host:6379/0). Entries are keyed by the trial's version,
# so their lifetime only bounds memory; a Redis that does not answer within
# a second costs a rendering, not the page.
CACHE_URL = os.environ.get("CACHE_URL", "")
SHARED_CACHE_SECONDS = int(os.environ.get("SHARED_CACHE_SECONDS", str(24 * 3600)))
# A visitor's lists, searches, feeds and API lists can be kept too, for this
# many seconds whatever an import changes meanwhile: as long as a proxy may
# keep them (HTTP_CACHE_LIST_SECONDS) for a portal without one. Off (0) by
# default, so a list shows an import at once; production sets 60.
SHARED_CACHE_LIST_SECONDS = int(os.environ.get("SHARED_CACHE_LIST_SECONDS", "0"))
if not CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("LOCAL_CACHE_ENTRIES", "500"))},
        }
    }
elif CACHE_URL.split("://", 1)[0] in {"redis", "rediss", "unix"}:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "trialportal",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL.")
# What a proxy, a CDN or a browser may keep (Cache-Control max-age, seconds):
# a trial's pages and records and the fixed pages; lists, searches, feeds and
# API lists; and how long a stale copy may be served while it is revalidated.
HTTP_CACHE_PAGE_SECONDS = int(os.environ.get("HTTP_CACHE_PAGE_SECONDS", "300"))
HTTP_CACHE_LIST_SECONDS = int(os.environ.get("HTTP_CACHE_LIST_SECONDS", "60"))
HTTP_CACHE_STALE_SECONDS = int(os.environ.get("HTTP_CACHE_STALE_SECONDS", "600"))
# The code's version in ETags and cache keys (e.g. a commit); by default a
# digest of the code, templates and static files, the same on every node.
TRIALPORTAL_RELEASE = os.environ.get("TRIALPORTAL_RELEASE", "")

# The most a search text (the list page's q, the API's query.* parameters)
# may ask for: each term is an index look-up or a join, so a text of 170
# OR'ed places held a worker for seconds per thousand trials.
SEARCH_MAX_ALTERNATIVES = int(os.environ.get("SEARCH_MAX_ALTERNATIVES", "10"))
SEARCH_MAX_TERMS = int(os.environ.get("SEARCH_MAX_TERMS", "20"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Where the admin lives; a hospital may move it off the well-known path.
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

# Security headers; HTTPS settings apply in production (DJANGO_DEBUG=0), where
# TLS ends at a proxy that sets X-Forwarded-Proto.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list(
        "DJANGO_CSRF_TRUSTED_ORIGINS",
        [f"https://*{host}" if host.startswith(".") else f"https://{host}" for host in ALLOWED_HOSTS if host != "*"],
    )

# The largest study document an import reads (a file, a ZIP member, or one
# study of a JSON array or search page): past it the document is refused
# unread, so a ZIP bomb never inflates into memory. The largest of the 2,010
# real records in shared/data weighs 0.54 MB.
IMPORT_MAX_STUDY_BYTES = int(float(os.environ.get("DJANGO_IMPORT_MAX_STUDY_MB", "16")) * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Production logs one JSON object a line; development logs plain text.
    "formatters": {
        "json": {"()": "trialportal.logs.JsonFormatter"},
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain" if DEBUG else "json"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "trials": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# The portal's public address: the User-Agent of a registry sync names it.
PORTAL_URL = os.environ.get("TRIALPORTAL_URL", "http://127.0.0.1:8000")
# Registry sync (manage.py sync_registry): where from, and how politely.
SYNC_SOURCE_URL = os.environ.get("SYNC_SOURCE_URL", "https://clinicaltrials.gov/api/v2")
SYNC_MAX_REQUESTS_PER_MINUTE = int(os.environ.get("SYNC_MAX_REQUESTS_PER_MINUTE", "50"))
SYNC_TIMEOUT_SECONDS = float(os.environ.get("SYNC_TIMEOUT_SECONDS", "60"))
# Attempts per request before the run stops at its checkpoint, the first
# backoff (doubled each time, with jitter), and the longest wait a Retry-After
# may ask for before the run gives up instead.
SYNC_MAX_ATTEMPTS = int(os.environ.get("SYNC_MAX_ATTEMPTS", "6"))
SYNC_BACKOFF_SECONDS = float(os.environ.get("SYNC_BACKOFF_SECONDS", "2"))
SYNC_MAX_WAIT_SECONDS = float(os.environ.get("SYNC_MAX_WAIT_SECONDS", "900"))
# A page of 1,000 real studies weighs about 20 MB; a larger answer is refused unread.
SYNC_MAX_PAGE_BYTES = int(float(os.environ.get("SYNC_MAX_PAGE_MB", "200")) * 1024 * 1024)
