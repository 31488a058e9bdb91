"""Perception settings: one file, configured from the environment.

Every value a deployment may need to change is read from an environment variable
through the tiny helpers below; the README lists them all.
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.getenv(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: str) -> int:
    value = os.getenv(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG")

SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY in the environment (or DEBUG=1 for development).")
    SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105

# Keys pseudonymous respondent keys (HMAC). Kept apart from SECRET_KEY so that
# rotating the session secret does not split every pseudonymous respondent in two.
RESPONDENT_KEY_SECRET = os.getenv("RESPONDENT_KEY_SECRET", SECRET_KEY)

# Encrypts invitation addresses and links while a wave is open (a Fernet key: 32 bytes,
# urlsafe base64; make one with `python -c "from cryptography.fernet import Fernet;
# print(Fernet.generate_key().decode())"`). They are erased when the wave closes.
# Derived from SECRET_KEY only in development.
INVITATION_ADDRESS_KEY = os.getenv("INVITATION_ADDRESS_KEY", "")
if not INVITATION_ADDRESS_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set INVITATION_ADDRESS_KEY in the environment (a Fernet key; see the README)."
        )
    INVITATION_ADDRESS_KEY = base64.urlsafe_b64encode(
        hashlib.sha256(("invitation-address:" + SECRET_KEY).encode()).digest()
    ).decode()

# How many reverse proxies in front of the site add themselves to X-Forwarded-For.
# 0: the client address is REMOTE_ADDR. n: the n-th address from the right of the header.
TRUSTED_PROXY_HOPS = envint("TRUSTED_PROXY_HOPS", "0")

# Open survey links accept at most this many submissions per client address per window
# (sized for an office behind one address); above it people are asked to try again later.
OPEN_LINK_BURST_LIMIT = envint("OPEN_LINK_BURST_LIMIT", "100")
OPEN_LINK_BURST_WINDOW_SECONDS = envint("OPEN_LINK_BURST_WINDOW_SECONDS", "600")

# Every upload (survey exports, codebooks, service metrics) is read within these limits,
# checked before the work they would cause; an upload above any is refused with a message.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", str(50 * 1024 * 1024))
UPLOAD_MAX_ROWS = envint("UPLOAD_MAX_ROWS", "1000000")
UPLOAD_MAX_COLUMNS = envint("UPLOAD_MAX_COLUMNS", "2000")
UPLOAD_MAX_CELLS = envint("UPLOAD_MAX_CELLS", "5000000")
UPLOAD_MAX_CELL_BYTES = envint("UPLOAD_MAX_CELL_BYTES", str(128 * 1024))
# Uploads above this size are imported by a background task, not within the request.
IMPORT_BACKGROUND_BYTES = envint("IMPORT_BACKGROUND_BYTES", str(5 * 1024 * 1024))

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# The public address of this site, used to build survey links in emails.
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "perception",
    "surveys",
    "conversations",
    "reports",
]

# Long work (large imports, publishing figures, sending invitations) runs as tasks in the
# database queue; `manage.py db_worker` processes run them, on any number of machines.
# Tests run them at once (TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend).
TASKS = {
    "default": {
        "BACKEND": os.getenv("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "perception.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "perception.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "perception.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", "60"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (the survey page, cron commands) share one file: wait for the
    # lock instead of failing at once, and take it at the start of a transaction.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # Connections are kept between requests, as on PostgreSQL (DB_CONN_MAX_AGE): opening
    # and setting one up for every request is CPU a submission need not pay.
    # Tests use a file, not shared memory, so concurrent-submission tests see real
    # SQLite locking (busy timeout) rather than shared-cache table locks.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-perception.sqlite3")}
# An optional read replica of PostgreSQL: the analysis reads there (perception/routers.py
# says which), everything else and every write stays on the primary. Tests mirror it.
if os.getenv("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=envint("DB_CONN_MAX_AGE", "60")
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["perception.routers.ReadReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in is throttled by django-axes: after AXES_FAILURE_LIMIT wrong passwords for one
# username from one client address, that pair is refused for the cool-off time (HTTP
# 429, with a page that says when to try again); `manage.py axes_reset_username NAME`
# unlocks early. The address comes from the same trusted-proxy rule as the open-link limit.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "perception.lib.client.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Failed sign-ins are counted in the database (axes' default handler, named here so it is
# not changed by accident): every web machine shares one PostgreSQL, so they all see the
# same counts. A cache handler would need every machine on the same cache.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# Sessions last a working day, not Django's two weeks.
SESSION_COOKIE_AGE = envint("SESSION_HOURS", "12") * 3600

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.getenv("LANGUAGE_CODE", "en")
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
# The respondent's pages and the emails people receive come in these languages; staff
# pages follow the browser where Django has words for it, and stay English otherwise.
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "perception.storage.ManifestStaticFilesStorage"
        if not DEBUG and envbool("STATIC_MANIFEST", "True")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: the console backend prints messages in development; set EMAIL_HOST for SMTP.
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_BACKEND = os.getenv(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True")
# Seconds an SMTP connection may block: a hung server must not hold a send (or a
# request) for ever. A monthly report stuck in "sending" for longer than the reclaim age
# (a crashed run) is sent by the next run.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
# Invitations and reminders go out in batches of this many messages per SMTP connection.
INVITATION_BATCH_SIZE = envint("INVITATION_BATCH_SIZE", "100")
# Lists longer than this chosen on the invitations page are invited by a background task.
INVITATIONS_IN_REQUEST = envint("INVITATIONS_IN_REQUEST", "200")
MONTHLY_REPORT_RECLAIM_MINUTES = envint("MONTHLY_REPORT_RECLAIM_MINUTES", "15")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "perception@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Computed analyses are cached per survey; a shared cache (Redis) lets several web
# machines use one copy. Without REDIS_URL each process keeps its own. The open-link
# burst limit counts in this cache (surveys/throttle.py), so with Redis every machine
# counts together; sessions are then read from Redis and kept in the database as well
# (cached_db), so a Redis restart signs nobody out.
if os.getenv("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Production hardening, on whenever DEBUG is off (`manage.py check --deploy` is clean).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    # Subdomains and the browsers' preload list are the organisation's choice, not this
    # app's: both bind every host under the domain to HTTPS for good. Off unless set, so
    # the deploy checks that recommend them (W005, W021) are silenced on purpose.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD")
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
    SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): scripts and styles only from our own static
# files, no inline script anywhere. One inline style attribute is allowed by its hash
# (the monthly preview's pre-wrap text); Bootstrap's CSS draws its icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-hashes'", "'sha256-DulfpBq0PqcmdEWDJeeTlFjvxYILORIEi/E3ki5/9DU='"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
