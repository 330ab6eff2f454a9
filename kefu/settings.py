"""Django settings for kefu, read from KEFU_* environment variables (see docs/configuration.md)."""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KEFU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = os.environ.get("KEFU_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("KEFU_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("KEFU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("KEFU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "kefu.core",
    "kefu.flow",
    "kefu.customers",
    "kefu.complaints",
    "kefu.capa",
    "kefu.surveys",
    "kefu.search",
    "kefu.demo",
]
# A second, small record type of the case engine's tests (kefu/flow/tests/sample): only there.
if "pytest" in sys.modules or os.environ.get("KEFU_SAMPLE_FLOW"):
    INSTALLED_APPS.append("kefu.flow.tests.sample")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kefu.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kefu.core.middleware.KefuErrorMiddleware",
]

ROOT_URLCONF = "kefu.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kefu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kefu.core.context_processors.kefu",
                "kefu.flow.views.work_badge",
            ],
        },
    },
]

WSGI_APPLICATION = "kefu.wsgi.application"

# --- database -------------------------------------------------------------
# SQLite (embedded default): WAL, a busy timeout and BEGIN IMMEDIATE so that
# concurrent writers queue instead of failing with "database is locked".
DEFAULT_SQLITE = VAR_DIR / "kefu.sqlite3"
DATABASE_URL = os.environ.get("KEFU_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)


def _sqlite_synchronous() -> str:
    """KEFU_SQLITE_SYNCHRONOUS (issue 11): FULL unless NORMAL is asked for; anything else stops kefu.

    In WAL mode FULL syncs the WAL to disk on every commit, before the answer
    leaves: a complaint answered 201 survives a power loss. NORMAL syncs only
    at checkpoints: faster, still never corrupt, but the last commits before a
    power loss or OS crash may be gone although they were answered
    (docs/security.md, Durability).
    """
    value = os.environ.get("KEFU_SQLITE_SYNCHRONOUS", "FULL").strip().upper() or "FULL"
    if value not in ("FULL", "NORMAL"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"KEFU_SQLITE_SYNCHRONOUS={os.environ['KEFU_SQLITE_SYNCHRONOUS']!r} is not allowed: use FULL "
            "(the default: every acknowledged write survives a power loss) or NORMAL (faster; the last "
            "acknowledged writes may be lost on power loss or an OS crash)"
        )
    return value


KEFU_SQLITE_SYNCHRONOUS = _sqlite_synchronous()
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["ENGINE"] = "kefu.core.db.sqlite3"  # writers queue on a file lock (see its docstring)
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={KEFU_SQLITE_SYNCHRONOUS}; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=30000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
        ),
    }
    # Tests use a file, not shared-cache memory, so that concurrency tests see
    # real locking (threads in one process on :memory: fail instead of waiting).
    _db["TEST"] = {"NAME": str(VAR_DIR / "test_kefu.sqlite3")}
if _db["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: PostgreSQL compiles any statement whose estimated cost passes jit_above_cost, and a
    # sweep batch or a capped count at 1,000,000 complaints spent 30-40 ms compiling a plan it then
    # ran once in 40-90 ms. kefu runs short statements; JIT pays off only for long analytic scans.
    _db.setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Persistent connections on both databases: opening one costs a PostgreSQL
# backend start, or on SQLite the PRAGMAs above and a cold page cache, on every
# request. Tests close connections after each request so the test database can
# be dropped.
_db["CONN_MAX_AGE"] = 0 if "pytest" in sys.modules else int(os.environ.get("KEFU_CONN_MAX_AGE", "600"))
_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# Cheap hashing is only acceptable when explicitly asked for (tests, benches).
if _env_bool("KEFU_FAST_PASSWORD_HASHER", "pytest" in sys.modules):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# Each language by its own name, the same in every language (the switch reads "English" / "中文").
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kefu" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files --------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "kefu" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if _env_bool("KEFU_PLAIN_STATIC", "pytest" in sys.modules):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("KEFU_MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- e-mail ---------------------------------------------------------------
# KEFU_EMAIL_URL: console:// (default), locmem://, smtp://user:pass@host:port, smtp+tls://...
EMAIL_URL = os.environ.get("KEFU_EMAIL_URL", "console://")


def _email_settings(url: str) -> dict:
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+ssl": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parsed.scheme not in backends:
        raise ValueError(f"KEFU_EMAIL_URL: unknown scheme {parsed.scheme!r}")
    out = {"EMAIL_BACKEND": backends[parsed.scheme]}
    if parsed.scheme.startswith("smtp"):
        out.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or 25,
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_TLS=parsed.scheme == "smtp+tls",
            EMAIL_USE_SSL=parsed.scheme == "smtp+ssl",
        )
    return out


globals().update(_email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = os.environ.get("KEFU_DEFAULT_FROM_EMAIL", "kefu@localhost")

# --- background tasks (django-q2, ORM broker: no extra server) -------------
Q_CLUSTER = {
    "name": "kefu",
    "orm": "default",
    "workers": int(os.environ.get("KEFU_Q_WORKERS", "1")),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "catch_up": False,
    "label": _("Background tasks"),
}

# --- kefu -----------------------------------------------------------------
KEFU_PUBLIC_FORM_RATE = os.environ.get("KEFU_PUBLIC_FORM_RATE", "5/h")
# Look-ups of a complaint's status by number and phone (the public status page), per address.
KEFU_PUBLIC_STATUS_RATE = os.environ.get("KEFU_PUBLIC_STATUS_RATE", "10/h")
KEFU_ATTACHMENT_MAX_BYTES = int(os.environ.get("KEFU_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
KEFU_ATTACHMENT_MAX_FILES = int(os.environ.get("KEFU_ATTACHMENT_MAX_FILES", "10"))
# The hot paths' SQL compiled once per connection (kefu.core.db.rows); off: every call goes
# through the ORM as written (CI runs the suite once so, docs/performance.md).
KEFU_PRECOMPILED_SQL = _env_bool("KEFU_PRECOMPILED_SQL", True)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "WARNING")},
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- web security: client address, login throttling, HTTPS (docs/configuration.md) -------------
# KEFU_TRUSTED_PROXIES: how many reverse proxies stand in front of kefu (`1`), or their
# addresses / networks (`127.0.0.1,10.0.0.0/8`); empty: none, REMOTE_ADDR is the client.
# kefu.core.net.client_ip reads the client from X-Forwarded-For only through them.
import datetime as _dt  # noqa: E402

from kefu.core.net import parse_trusted_proxies  # noqa: E402

KEFU_TRUSTED_PROXIES = parse_trusted_proxies(os.environ.get("KEFU_TRUSTED_PROXIES", ""))

# Login throttling (django-axes): after KEFU_LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one client address, that pair is locked for KEFU_LOGIN_COOLOFF_MINUTES
# (0: until an admin unlocks it). Other users, and the same user elsewhere, still log in.
INSTALLED_APPS.append("axes")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("KEFU_LOGIN_FAILURE_LIMIT", "5"))
_cooloff = int(os.environ.get("KEFU_LOGIN_COOLOFF_MINUTES", "15"))
AXES_COOLOFF_TIME = None if _cooloff <= 0 else _dt.timedelta(minutes=_cooloff)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "kefu.core.net.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kefu.core.views.locked_out"  # core/locked_out.html, 429

# HTTPS behind a proxy that terminates TLS (KEFU_HTTPS=1): Secure cookies, HSTS, and the
# proxy's X-Forwarded-Proto believed when a proxy is trusted. Off by default: the demo
# runs on plain http://127.0.0.1 and Secure cookies would not come back over it.
KEFU_HTTPS = _env_bool("KEFU_HTTPS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if KEFU_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("KEFU_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("KEFU_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = _env_bool("KEFU_HSTS_PRELOAD", False)
    SECURE_SSL_REDIRECT = _env_bool("KEFU_SSL_REDIRECT", False)
    if KEFU_TRUSTED_PROXIES.any:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy of every response (kefu.core.middleware.SecurityHeadersMiddleware):
# everything is served from kefu itself (htmx, ECharts and the font are vendored); no inline
# script, handler or style, not even style attributes (kefu.js and kefu.css hold them; ECharts
# tooltips are drawn on the canvas, renderMode 'richText'). See docs/configuration.md.
KEFU_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# django-ninja's own templates and static files: /api/v1/docs then serves its bundled Swagger UI
# (no CDN, no inline script) instead of the CDN page, which this policy would block.
INSTALLED_APPS.append("ninja")
MIDDLEWARE.insert(0, "kefu.core.middleware.TrustedProxyMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "kefu.core.middleware.SecurityHeadersMiddleware",
)
