"""ChargeOps settings, read from the environment.

The embedded default needs no servers: SQLite in WAL mode and Celery tasks executed eagerly in
the calling process. `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis. DEBUG is off
unless the environment turns it on (`make demo` and `make test` do), and with DEBUG off the
platform refuses to start without a SECRET_KEY, so a production deploy cannot run on the
development key by forgetting a variable.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=true for development).")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Served over HTTPS (production, behind a TLS-terminating proxy that sets X-Forwarded-Proto):
# cookies only travel encrypted, plain HTTP is redirected, and browsers are told to keep to
# HTTPS. Off by default so that the demo and the tests run over plain HTTP.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# A session lasts a working day; the browser forgets it when it closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 12 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "chargeops",
    "accounts",
    "stations",
    "piles",
    "orders",
    "maintenance",
    "analytics",
    "gateway",
    "audit",
    "firmware",
    "drivers",
    # The driver portal's sign-up, e-mail verification and password reset.
    "allauth",
    "allauth.account",
    # The driver portal's wallet top-ups (`drivers.TopUp` is its payment model).
    "payments",
]

MIDDLEWARE = [
    "chargeops.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's LoginRequiredMiddleware, with the driver portal's own sign-in page for its pages.
    "drivers.middleware.PortalLoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "drivers.middleware.DriverBoundaryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chargeops.urls"

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
                "chargeops.context_processors.navigation",
                "drivers.context_processors.portal",
            ],
        },
    },
]

FORM_RENDERER = "chargeops.forms.FormRenderer"

# The roll-ups' covering indexes (INCLUDE columns) serve PostgreSQL; SQLite, the demo's
# database, keeps their key columns and says so on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

WSGI_APPLICATION = "chargeops.wsgi.application"
ASGI_APPLICATION = "chargeops.asgi.application"

# The embedded default: SQLite with WAL so the web server, the gateway and background work can
# read while one of them writes, and a busy timeout instead of instant "database is locked".
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with timestamps parsed by psycopg's C loader (chargeops/postgresql).
        DATABASES["default"]["ENGINE"] = "chargeops.postgresql"
    # `QuerySet.iterator()` (Django's choice lists use it) reads through a client-side cursor:
    # a server-side one costs three round trips for a few dozen rows, and it does not survive a
    # transaction-pooling proxy such as PgBouncer.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Parallel workers only for large scans: starting them costs several milliseconds, more
    # than a page's queries of a few thousand roll-up rows take by themselves (PostgreSQL's
    # default of 1000 lets the planner choose them for those). No JIT compilation: it costs a
    # query 15 ms or more, and the planner asks for it by a cost estimate that grows with the
    # dead rows of tables updated all day (every heartbeat updates its pile), so a page's
    # query of 600 piles took 18 ms instead of 2; a full roll-up is faster without it too.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c parallel_setup_cost=10000 -c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.UserBackend",
    # Drivers sign in to the portal with their e-mail address.
    "drivers.adapter.PortalAuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# The compiled catalogues (.mo) are kept in the repository beside their .po files, so that a
# machine without GNU gettext serves every language; tests/test_i18n.py fails when they differ.
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language someone picks in the top bar is kept for a year, not only for the browser session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = HTTPS
# Our own number formats first, Django's for everything they do not set (chargeops/formats/).
FORMAT_MODULE_PATH = ["chargeops.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# On where `collectstatic` ran with it on (the image does both at build): the platform serves the
# collected copies itself through WhiteNoise, under names that carry a hash of their content, so
# that browsers keep them without asking again, and each stored compressed as well. Off, static
# files are served as before, by `runserver` from their source folders, so `make demo`, the tests
# and the benchmarks need no `collectstatic`.
STATIC_COLLECTED = env_bool("STATIC_COLLECTED", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if STATIC_COLLECTED:
    STORAGES["staticfiles"]["BACKEND"] = "chargeops.storage.CollectedStaticStorage"
    # Right after SecurityMiddleware, as WhiteNoise asks: static files skip sessions and sign-in.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# A list filter left empty reads "All", as the statistics filters do.
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")

DJANGO_TABLES2_TEMPLATE = "chargeops/partials/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "data-table"}

# Celery: Redis when REDIS_URL is set; otherwise tasks run eagerly in the calling process, which
# is what the embedded default needs (no broker server to run).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"

# The cache holds sign-in failure counts: shared by every web worker through Redis when there
# is one, per process otherwise.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CACHES["default"]["KEY_PREFIX"] = "chargeops"
LOGIN_THROTTLE_SECONDS = int(os.environ.get("LOGIN_THROTTLE_SECONDS", 15 * 60))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ChargeOps <noreply@localhost>")
# The SMTP server of EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend: drivers verify
# their address and reset their password by e-mail, so production needs a real one.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)

# Piles are shown offline when they have not been heard from for this long.
PILE_OFFLINE_AFTER_SECONDS = int(os.environ.get("PILE_OFFLINE_AFTER_SECONDS", "900"))
# The most rows one Excel import may hold (10,000 piles are checked and written in about 10 s).
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "10000"))
# A checked upload waits this long for its confirmation before its file is removed.
IMPORT_KEEP_HOURS = int(os.environ.get("IMPORT_KEEP_HOURS", "24"))
# How long the list of recent imports remembers one.
IMPORT_HISTORY_DAYS = int(os.environ.get("IMPORT_HISTORY_DAYS", "90"))
# How long an export written in the background stays to be downloaded.
EXPORT_KEEP_HOURS = int(os.environ.get("EXPORT_KEEP_HOURS", "72"))
# The platform's address as piles reach it over HTTP(S) to download firmware, e.g.
# https://ops.example.com. Empty: with DEBUG, http://127.0.0.1:8000 (make demo); without, no
# upgrade can start.
FIRMWARE_DOWNLOAD_BASE_URL = os.environ.get("FIRMWARE_DOWNLOAD_BASE_URL", "")
# The largest firmware file an operator may upload.
FIRMWARE_MAX_BYTES = int(os.environ.get("FIRMWARE_MAX_BYTES", 256 * 1024 * 1024))
# How long a download link works after the time the pile is told to download.
FIRMWARE_DOWNLOAD_LINK_SECONDS = int(os.environ.get("FIRMWARE_DOWNLOAD_LINK_SECONDS", 6 * 3600))
# A pile that reports nothing about its upgrade for this long after its last step fails it.
FIRMWARE_REPORT_TIMEOUT_SECONDS = int(os.environ.get("FIRMWARE_REPORT_TIMEOUT_SECONDS", 3600))
# Behind a reverse proxy (which ends TLS for OCPP security profile 2) the pile's address is the
# first X-Forwarded-For entry; trust it only when the proxy sets it.
OCPP_TRUST_FORWARDED_FOR = os.environ.get("OCPP_TRUST_FORWARDED_FOR", "").lower() in ("1", "true", "yes")

# The driver portal (drivers/): drivers sign up with an e-mail address they must verify before
# they can charge; the sign-up, sign-in and reset pages are django-allauth's, in the portal's look.
ACCOUNT_ADAPTER = "drivers.adapter.DriverAccountAdapter"
ACCOUNT_FORMS = {"signup": "drivers.forms.DriverSignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "drivers:portal_home"
ACCOUNT_SIGNUP_REDIRECT_URL = "drivers:portal_home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "ChargeOps: "
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "signup": "20/m/ip"}
# Wallet top-ups (django-payments). The demo and the tests pay with its dummy provider, which
# asks the person to accept or refuse the payment, so it is refused without DEBUG: anyone could
# fill a wallet with it. Production sets PAYMENT_PROVIDER=paypal, the PayPal REST credentials and
# PAYMENT_HOST, the portal's public host where PayPal sends the driver back; without a provider
# (`none`, the default without DEBUG) drivers are told that top-ups are not open.
PAYMENT_MODEL = "drivers.TopUp"
PAYMENT_HOST = os.environ.get("PAYMENT_HOST", "127.0.0.1:8000")
PAYMENT_USES_SSL = HTTPS
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "dummy" if DEBUG else "none")
PAYMENT_VARIANTS = {}
if PAYMENT_PROVIDER == "dummy" and not DEBUG:
    raise ImproperlyConfigured("PAYMENT_PROVIDER=dummy fills wallets without payment: use it with DEBUG only.")
if PAYMENT_PROVIDER == "paypal":
    if "PAYMENT_HOST" not in os.environ:
        raise ImproperlyConfigured("PAYMENT_PROVIDER=paypal needs PAYMENT_HOST, the portal's public host.")
    PAYMENT_VARIANTS = {
        "default": (
            "payments.paypal.PaypalProvider",
            {
                "client_id": os.environ.get("PAYPAL_CLIENT_ID", ""),
                "secret": os.environ.get("PAYPAL_SECRET", ""),
                "endpoint": os.environ.get("PAYPAL_ENDPOINT", "https://api.sandbox.paypal.com"),
                "capture": True,
            },
        )
    }
    if not (PAYMENT_VARIANTS["default"][1]["client_id"] and PAYMENT_VARIANTS["default"][1]["secret"]):
        raise ImproperlyConfigured("PAYMENT_PROVIDER=paypal needs PAYPAL_CLIENT_ID and PAYPAL_SECRET.")
elif PAYMENT_PROVIDER == "dummy":
    PAYMENT_VARIANTS = {"default": ("payments.dummy.DummyProvider", {})}
elif PAYMENT_PROVIDER != "none":
    raise ImproperlyConfigured(f"PAYMENT_PROVIDER must be none, dummy or paypal, not {PAYMENT_PROVIDER!r}.")
# The driver portal's public address, e.g. https://charge.example.com, printed in the guns' QR
# codes. Empty: the address the QR page was opened from (fine when operators and drivers reach
# the platform at the same address).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "")
# A remote start the pile accepted but that no session followed within this long (the driver
# did not plug in; OCPP's ConnectionTimeOut is of this order) is reported as not started.
DRIVER_START_TIMEOUT_SECONDS = int(os.environ.get("DRIVER_START_TIMEOUT_SECONDS", 90))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Both log every frame and connection at INFO: far too much for a network of piles.
        "ocpp": {"level": os.environ.get("OCPP_LOG_LEVEL", "WARNING")},
        "websockets": {"level": os.environ.get("OCPP_LOG_LEVEL", "WARNING")},
    },
}
