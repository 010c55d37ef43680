"""Settings for the account vending portal, driven by the environment (12-factor).

Every variable is documented in `.env.example`. The defaults give the embedded mode:
SQLite and Celery's filesystem transport under `var/`, no other service needed.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# --- The environment ---------------------------------------------------------------------
# `.env` is read first, so that every setting below sees it; values already in the
# environment win over the file.
BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("VENDING_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core and security ---------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The embedded default runs on loopback only; production must set its own key.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-embedded-development-key-never-used-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Production settings pass `manage.py check --deploy`.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# CSP, Permissions-Policy, sign-in throttling, proxies, API token lifetimes (docs/security.md).
from portal.settings_security import *  # noqa: E402, F403

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is hard to undo (browsers ship the list): only when asked for.
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    # Off by choice, so Django's reminder that preloading is off (W021) is not a finding.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
    # The health probe comes from inside the host, over plain http; so do metrics
    # scrapes from inside the network (a redirect would not protect the bearer token,
    # which the first request has already sent).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    # Only behind a TLS-terminating proxy that sets X-Forwarded-Proto on every request,
    # replacing what the client sent: trusted otherwise, a client could claim https.
    if env.bool("VENDING_TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Applications, requests and pages ------------------------------------------------------
INSTALLED_APPS = [
    "vending.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "vending",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database or broker outage: 503 with Retry-After, not 500 (portal/outage.py).
    "portal.outage.DependencyOutageMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in refused by django-axes into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "vending.context_processors.portal",
            ],
            "builtins": ["vending.templatetags.portal_format"],  # `when`, without {% load %}
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DATETIME_FORMAT = "Y-m-d H:i T"  # the one way pages write a moment (the `when` filter)

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))

# --- Database ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: take the write lock at the
    # start of each transaction and wait for it instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Workers keep theirs too: Celery closes it every this many tasks (portal/celery_app.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in and passwords -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Database sessions whose keys (bearer secrets) are stored as digests only.
SESSION_ENGINE = "vending.web.sessions"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out user or address before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes) and the client address: portal/settings_security.py.

# --- E-mail --------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
# SMTP as one URL, e.g. smtp+tls://user:password@mail.example.com:587 (sets the backend,
# host, port, credentials and TLS); the password belongs in the environment, not here.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="vending-portal@localhost")
# Seconds an SMTP connection may take: a hung mail server must not hold the outbox's sender.
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
# Where people open the portal: e-mails link to the page they talk about from here.
VENDING_PORTAL_URL = env.str("VENDING_PORTAL_URL", default="http://127.0.0.1:8000")
# The e-mail outbox (vending/services/outbox.py; .env.example explains each setting).
VENDING_OUTBOX_INTERVAL_SECONDS = env.int("VENDING_OUTBOX_INTERVAL_SECONDS", default=30)
VENDING_OUTBOX_RETRY_SECONDS = env.int("VENDING_OUTBOX_RETRY_SECONDS", default=30)
VENDING_OUTBOX_RETRY_MAX_SECONDS = env.int("VENDING_OUTBOX_RETRY_MAX_SECONDS", default=1800)
VENDING_OUTBOX_KEEP_DAYS = env.int("VENDING_OUTBOX_KEEP_DAYS", default=30)

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

# --- AWS Organizations and the emulator ----------------------------------------------------
# boto3 reads its own (AWS_ENDPOINT_URL, AWS_PROFILE, credentials); the portal adds these.
VENDING_ORG_ROLE_ARN = env.str("VENDING_ORG_ROLE_ARN", default="")
VENDING_ORG_ROLE_SESSION_NAME = env.str("VENDING_ORG_ROLE_SESSION_NAME", default="vending-portal")
# Empty: boto3's region chain (AWS_REGION, AWS_DEFAULT_REGION, profile), else us-east-1.
VENDING_AWS_REGION = env.str("VENDING_AWS_REGION", default="")
VENDING_AWS_MAX_ATTEMPTS = env.int("VENDING_AWS_MAX_ATTEMPTS", default=5)
# True when the endpoint is the local Organizations emulator (shown as a banner).
VENDING_EMULATOR = env.bool("VENDING_EMULATOR", default=False)

# --- Portal rules: accounts, approvals, the org blueprint ----------------------------------
VENDING_ACCOUNT_NAME_TEMPLATE = env.str(
    "VENDING_ACCOUNT_NAME_TEMPLATE", default="{team}-{environment}"
)
VENDING_ACCOUNT_EMAIL_TEMPLATE = env.str(
    "VENDING_ACCOUNT_EMAIL_TEMPLATE", default="aws+{team}-{environment}@{domain}"
)
VENDING_ACCOUNT_EMAIL_DOMAIN = env.str("VENDING_ACCOUNT_EMAIL_DOMAIN", default="example.com")
# A regulated class with prod needs this many distinct approvers; everything else one.
VENDING_REGULATED_CLASSES = env.list(
    "VENDING_REGULATED_CLASSES", default=["hipaa", "pci", "hipaa_pci"]
)
VENDING_REGULATED_PROD_APPROVALS = env.int("VENDING_REGULATED_PROD_APPROVALS", default=2)
# The org blueprint (OU tree, SCPs, class -> OU mapping); empty: the bundled one.
VENDING_BLUEPRINT = env.str("VENDING_BLUEPRINT", default="")
# AWS allows 5 levels of OUs below the root.
VENDING_OU_MAX_DEPTH = env.int("VENDING_OU_MAX_DEPTH", default=5)
# How often the drift scan compares the live organization with the blueprint.
VENDING_DRIFT_INTERVAL_SECONDS = env.int("VENDING_DRIFT_INTERVAL_SECONDS", default=900)
# HIPAA/PCI service catalog file; empty = the bundled vending/compliance/aws_services.yaml.
VENDING_COMPLIANCE_CATALOG = env.str("VENDING_COMPLIANCE_CATALOG", default="")
# AWS's SCP document size limit in characters, minified (5,120; raised to 10,240 in 2026).
VENDING_SCP_MAX_SIZE = env.int("VENDING_SCP_MAX_SIZE", default=5120)
# SCPs directly attached per root, OU or account (5; raised to 10 in 2026).
VENDING_SCP_MAX_PER_TARGET = env.int("VENDING_SCP_MAX_PER_TARGET", default=5)

# --- Portal rules: provisioning ------------------------------------------------------------
# AWS allows 5 CreateAccount requests in progress per organization.
VENDING_MAX_CONCURRENT_CREATES = env.int("VENDING_MAX_CONCURRENT_CREATES", default=5)
VENDING_CREATE_LEASE_SECONDS = env.int("VENDING_CREATE_LEASE_SECONDS", default=45)
# Automatic re-creations after AWS's retryable CreateAccount failures
# (INTERNAL_FAILURE, CONCURRENT_ACCOUNT_MODIFICATION) before a human is asked.
VENDING_CREATE_MAX_ATTEMPTS = env.int("VENDING_CREATE_MAX_ATTEMPTS", default=3)
# A creation's status is first read when it is likely done: after the median of how long
# AWS took for the last VENDING_CREATE_DURATION_SAMPLES creations; before the portal has
# seen one finish, after VENDING_CREATE_FIRST_CHECK_SECONDS (0: right after the call, one
# extra read per creation until there is history). Still in progress: read again after a
# tenth of its age, at most VENDING_POLL_MAX_COUNTDOWN seconds later.
VENDING_CREATE_FIRST_CHECK_SECONDS = env.float("VENDING_CREATE_FIRST_CHECK_SECONDS", default=0.0)
VENDING_CREATE_DURATION_SAMPLES = env.int("VENDING_CREATE_DURATION_SAMPLES", default=20)
VENDING_POLL_MAX_COUNTDOWN = env.int("VENDING_POLL_MAX_COUNTDOWN", default=30)
# Creations still IN_PROGRESS after this long are failed for a human to look at.
VENDING_CREATE_TIMEOUT_SECONDS = env.int("VENDING_CREATE_TIMEOUT_SECONDS", default=3600)
# Work in a non-terminal state untouched for this long is re-enqueued by the sweeper.
VENDING_SWEEP_STALE_SECONDS = env.int("VENDING_SWEEP_STALE_SECONDS", default=45)
VENDING_SWEEP_INTERVAL_SECONDS = env.int("VENDING_SWEEP_INTERVAL_SECONDS", default=5)
# An unfinished account with no progress for this long is shown as stalled, with the reason.
VENDING_STALLED_AFTER_SECONDS = env.int("VENDING_STALLED_AFTER_SECONDS", default=300)

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vending.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Last: a caller no credential authenticated is counted against its address.
        "vending.api.authentication.AnonymousAddressLimit",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API speaks JSON only, in and out (DESIGN.md section 9).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["vending.api.parsers.ApiJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "vending.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["vending.api.throttling.TokenRateThrottle"],
    "EXCEPTION_HANDLER": "vending.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Requests per token (per user for the browser session), e.g. 120/min, 5000/hour. The
# counters live in Django's cache: per process unless CACHES names a shared one.
VENDING_API_THROTTLE_USER = env.str("VENDING_API_THROTTLE_USER", default="120/min")
# Per client address, calls with no valid token (none, wrong, expired, revoked): 429 past it.
VENDING_API_THROTTLE_ANON = env.str("VENDING_API_THROTTLE_ANON", default="30/min")
# Client addresses for the per-address limit: see VENDING_PROXY_COUNT.
REST_FRAMEWORK["NUM_PROXIES"] = VENDING_PROXY_COUNT  # noqa: F405
# How long an Idempotency-Key of POST /api/v1/requests/ is remembered.
VENDING_API_IDEMPOTENCY_HOURS = env.int("VENDING_API_IDEMPOTENCY_HOURS", default=24)
# Seconds between two purges of expired idempotency keys (celery beat).
VENDING_API_IDEMPOTENCY_PURGE_SECONDS = env.int(
    "VENDING_API_IDEMPOTENCY_PURGE_SECONDS", default=3600
)
# The OpenAPI schema and Swagger UI for anybody; by default for signed-in users only.
VENDING_API_DOCS_PUBLIC = env.bool("VENDING_API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Account vending portal API",
    "DESCRIPTION": (
        "REST API v1 of the account vending portal (DESIGN.md section 9). Authenticate with "
        "`Authorization: Token <secret>` (a token from the API tokens page, or from `manage.py "
        "create_api_token <user>`) or the browser session. Errors answer the `Error` envelope."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The per-address limit is an authentication class that authenticates nobody.
    "AUTHENTICATION_WHITELIST": [
        "vending.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ComplianceClassEnum": "vending.choices.ComplianceClass",
        "EnvironmentEnum": "vending.choices.Environment",
        "RequestStatusEnum": "vending.choices.RequestStatus",
        "AccountStatusEnum": "vending.choices.AccountStatus",
        "AuditActionEnum": "vending.choices.AuditAction",
        "ErrorCodeEnum": "vending.api.errors.ERROR_CODE_VALUES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vending.api.schema.postprocess_api_contract",
    ],
    # Swagger UI's assets come from drf-spectacular-sidecar (static files), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
CELERY_BROKER_FILESYSTEM_DIR = Path(
    env.str("CELERY_BROKER_FILESYSTEM_DIR", default=str(VAR_DIR / "broker"))
)
CELERY_RESULT_BACKEND = None
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_IMPORTS = ("vending.api.tasks",)  # the API's periodic task, outside vending/tasks.py
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-provisioning": {
        "task": "vending.sweep",
        "schedule": float(VENDING_SWEEP_INTERVAL_SECONDS),
    },
    "org-drift-scan": {
        "task": "vending.org_drift_scan",
        "schedule": float(VENDING_DRIFT_INTERVAL_SECONDS),
    },
    "purge-idempotency-keys": {
        "task": "vending.api.purge_idempotency_keys",
        "schedule": float(VENDING_API_IDEMPOTENCY_PURGE_SECONDS),
    },
    "send-outbox": {
        "task": "vending.outbox_send",
        "schedule": float(VENDING_OUTBOX_INTERVAL_SECONDS),
        "kwargs": {"purge": True},
    },
}

# --- Metrics (Prometheus: /metrics, docs/operations.md) -----------------------------------
# Who may scrape: `Authorization: Bearer <token>` (unset: no token works), or a request
# straight from these networks (checked when the app loads: vending/metrics/access.py).
VENDING_METRICS_TOKEN = env.str("VENDING_METRICS_TOKEN", default="").strip()
VENDING_METRICS_ALLOWED_NETWORKS = env.list(
    "VENDING_METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"]
)
# Where every process (web, workers) keeps its counters for the scrape; shared by all.
PROMETHEUS_MULTIPROC_DIR = Path(
    env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "metrics"))
)

# --- Single sign-on (OpenID Connect, optional) ---------------------------------------------
# On when a client id is set (or VENDING_OIDC_ENABLED=true); password sign-in stays.
# The client secret comes from the environment only: never from the repo or the database.
VENDING_OIDC_RP_CLIENT_ID = env.str("VENDING_OIDC_RP_CLIENT_ID", default="")
VENDING_OIDC_ENABLED = env.bool("VENDING_OIDC_ENABLED", default=bool(VENDING_OIDC_RP_CLIENT_ID))
# The claim carrying the IdP's groups, and the IdP groups that grant each portal role
# (synced at every sign-in; a role with no IdP groups listed is left to the Django admin).
VENDING_OIDC_GROUPS_CLAIM = env.str("VENDING_OIDC_GROUPS_CLAIM", default="groups")
VENDING_OIDC_APPROVER_GROUPS = env.list("VENDING_OIDC_APPROVER_GROUPS", default=[])
VENDING_OIDC_ADMIN_GROUPS = env.list("VENDING_OIDC_ADMIN_GROUPS", default=[])
# The claim used as the username of a new user (falls back to a hash of the e-mail).
VENDING_OIDC_USERNAME_CLAIM = env.str("VENDING_OIDC_USERNAME_CLAIM", default="preferred_username")
if VENDING_OIDC_ENABLED:
    _oidc_required = {
        "VENDING_OIDC_RP_CLIENT_ID": VENDING_OIDC_RP_CLIENT_ID,
        "VENDING_OIDC_RP_CLIENT_SECRET": env.str("VENDING_OIDC_RP_CLIENT_SECRET", default=""),
        "VENDING_OIDC_OP_AUTHORIZATION_ENDPOINT": env.str(
            "VENDING_OIDC_OP_AUTHORIZATION_ENDPOINT", default=""
        ),
        "VENDING_OIDC_OP_TOKEN_ENDPOINT": env.str("VENDING_OIDC_OP_TOKEN_ENDPOINT", default=""),
        "VENDING_OIDC_OP_USER_ENDPOINT": env.str("VENDING_OIDC_OP_USER_ENDPOINT", default=""),
    }
    _oidc_missing = [name for name, value in _oidc_required.items() if not value]
    OIDC_RP_SIGN_ALGO = env.str("VENDING_OIDC_RP_SIGN_ALGO", default="RS256")
    OIDC_OP_JWKS_ENDPOINT = env.str("VENDING_OIDC_OP_JWKS_ENDPOINT", default="") or None
    if OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) and OIDC_OP_JWKS_ENDPOINT is None:
        _oidc_missing.append("VENDING_OIDC_OP_JWKS_ENDPOINT")
    if _oidc_missing:
        raise ImproperlyConfigured(
            "Single sign-on is enabled but these are not set: " + ", ".join(_oidc_missing)
        )
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("vending.web.oidc.PortalOIDCBackend")
    OIDC_RP_CLIENT_ID = VENDING_OIDC_RP_CLIENT_ID
    OIDC_RP_CLIENT_SECRET = _oidc_required["VENDING_OIDC_RP_CLIENT_SECRET"]
    OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc_required["VENDING_OIDC_OP_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = _oidc_required["VENDING_OIDC_OP_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = _oidc_required["VENDING_OIDC_OP_USER_ENDPOINT"]
    OIDC_RP_SCOPES = env.str("VENDING_OIDC_RP_SCOPES", default="openid email profile")
    OIDC_USE_PKCE = True
    OIDC_TIMEOUT = env.int("VENDING_OIDC_TIMEOUT_SECONDS", default=10)
    LOGIN_REDIRECT_URL_FAILURE = "login"
from portal.settings_lifecycle import *  # noqa: E402, F403  (invite, close, leases)
