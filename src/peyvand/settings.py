"""Django settings for Peyvand, read from the environment (see README)."""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(os.environ.get("PEYVAND_HOME", Path(__file__).resolve().parents[2]))
VAR_DIR = Path(os.environ.get("PEYVAND_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
TESTING = "pytest" in sys.modules or os.environ.get("PEYVAND_TESTING") == "1"


def _env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_flag("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "huey.contrib.djhuey",
    "iranian_cities",
    "peyvand.core",
    "peyvand.accounts",
    "peyvand.customers",
    "peyvand.activities",
    "peyvand.transfers",
    "peyvand.sales",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "peyvand.accounts.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "peyvand.core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "peyvand.urls"
WSGI_APPLICATION = "peyvand.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peyvand.activities.context_processors.notifications",
            ],
            "builtins": ["peyvand.core.templatetags.persian"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'peyvand.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer commits; IMMEDIATE avoids
        # "database is locked" on upgrade from a read to a write transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock an account out after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("PEYVAND_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "peyvand.accounts.services.login_username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SILENCED_SYSTEM_CHECKS = [
    # Lock-out is per account on purpose: offices in Iran share one public IP behind NAT,
    # and locking the address would lock out the whole office.
    "axes.W006",
    # iranian_cities declares db_comment, which SQLite ignores; harmless there.
    "fields.W163",
    "models.W046",
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [
    # The project's own CSS/JS (static/peyvand/); `peyvand` itself is not an app.
    Path(__file__).parent / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/alpinejs", NODE_MODULES / "alpinejs" / "dist"),
    ("vendor/vazirmatn", NODE_MODULES / "vazirmatn"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
    ("vendor/jalalidatepicker", NODE_MODULES / "@majidh1" / "jalalidatepicker" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and DEBUG serve straight from the finders, so no collectstatic is needed there.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# A 10 MB field must be rejected by validation, not by the request parser.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

_redis_url = os.environ.get("REDIS_URL")
if _redis_url:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "peyvand",
        "url": _redis_url,
        "immediate": TESTING,
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "peyvand",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": TESTING,
    }
    # One machine: gunicorn's worker processes share counts (the web forms' rate limit)
    # through files, as a per-process memory cache would not. Each test process keeps its own.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
            if TESTING
            else "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Outgoing e-mail (quotes, notifications) leaves through the outbox and this SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "peyvand@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

PEYVAND = {
    # Days a soft-deleted record stays in the trash before the worker purges it.
    "TRASH_RETENTION_DAYS": int(os.environ.get("PEYVAND_TRASH_RETENTION_DAYS", "30")),
    "PAGE_SIZE": 25,
    # Largest file an import accepts, and how long a running import may go without a
    # heartbeat before another worker resumes it.
    "IMPORT_MAX_BYTES": int(os.environ.get("PEYVAND_IMPORT_MAX_MB", "200")) * 1024 * 1024,
    "IMPORT_STALE_SECONDS": int(os.environ.get("PEYVAND_IMPORT_STALE_SECONDS", "60")),
    # Days an uploaded import file is kept after its import ended (or since an abandoned
    # draft was uploaded); the job, its counts, report and undo data stay.
    "IMPORT_FILE_RETENTION_DAYS": int(os.environ.get("PEYVAND_IMPORT_FILE_RETENTION_DAYS", "30")),
    "API_MAX_LIMIT": 200,
    # Largest accepted length of any free-text field, in characters.
    "MAX_TEXT_LENGTH": 20_000,
    # Lists count matches up to this many and past it say "more than …": a full COUNT(*)
    # over a million rows costs more than the page itself.
    "EXACT_COUNT_LIMIT": int(os.environ.get("PEYVAND_EXACT_COUNT_LIMIT", "10000")),
    # An export of more rows than this runs in the worker and leaves a download link.
    "EXPORT_INLINE_LIMIT": int(os.environ.get("PEYVAND_EXPORT_INLINE_LIMIT", "5000")),
    # Days an export's file is kept before the nightly purge removes it.
    "EXPORT_RETENTION_DAYS": int(os.environ.get("PEYVAND_EXPORT_RETENTION_DAYS", "7")),
}
