"""Settings shared by every environment; the environment modules override what differs."""

from datetime import timedelta
from pathlib import Path

import environ

ROOT_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = ROOT_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "review",
    "studio",
    "verification",
    "axes",
]

MIDDLEWARE = [
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Pages load scripts, styles, images and video from this origin only; nothing inline, nothing from elsewhere.
# The API docs pages (Swagger UI, ReDoc) start themselves with inline scripts, so they are left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/api/redoc/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT_DIR / "templates"],
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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clearframe.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection broken by a database restart is noticed and replaced instead of failing every later query.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that vanishes without closing its connections (a network partition, a dead host) is noticed
    # within about a minute by TCP keepalives, instead of leaving a worker waiting on a dead socket for hours.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
        "keepalives_count": 3,
    })
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and a worker share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while a username/address pair is locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Brute-force protection on the login page and the token endpoint.
AXES_FAILURE_LIMIT = env.int("CLEARFRAME_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CLEARFRAME_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:account"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [ROOT_DIR / "static"]
MEDIA_ROOT = Path(env("CLEARFRAME_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Django's tasks API through the django-tasks backport, stored in the database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("CLEARFRAME_THROTTLE_ANON", default="60/min"),
        "user": env("CLEARFRAME_THROTTLE_USER", default="600/min"),
        "submit": env("CLEARFRAME_THROTTLE_SUBMIT", default="10/min"),
        "login": env("CLEARFRAME_THROTTLE_LOGIN", default="10/min"),
        "verify": env("CLEARFRAME_THROTTLE_VERIFY", default="20/hour"),
    },
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("CLEARFRAME_TOKEN_TTL_HOURS", default=24 * 7)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Clearframe API",
    "DESCRIPTION": "Moderated, watermarked and signed text-to-video generation, and verification.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("CLEARFRAME_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Clearframe's own rules. Every number here is an operator's choice, read from the environment.
CLEARFRAME = {
    # Jobs one user may submit per UTC day (creators; reviewers, auditors and admins share it).
    "DAILY_JOB_QUOTA": env.int("CLEARFRAME_DAILY_JOB_QUOTA", default=50),
    # Blocked prompts within the window that suspend an account.
    "STRIKE_LIMIT": env.int("CLEARFRAME_STRIKE_LIMIT", default=3),
    "STRIKE_WINDOW": timedelta(hours=env.int("CLEARFRAME_STRIKE_WINDOW_HOURS", default=24)),
    # A running job whose heartbeat is older than the lease is considered lost.
    "JOB_LEASE": timedelta(seconds=env.int("CLEARFRAME_JOB_LEASE_SECONDS", default=60)),
    "JOB_MAX_ATTEMPTS": env.int("CLEARFRAME_JOB_MAX_ATTEMPTS", default=3),
    "REAPER_INTERVAL_SECONDS": env.float("CLEARFRAME_REAPER_INTERVAL_SECONDS", default=10.0),
    # The function a worker runs for a job, and the one that moderates a prompt on submit.
    "PIPELINE": env("CLEARFRAME_PIPELINE", default="studio.pipeline.run_pipeline"),
    "PROMPT_MODERATOR": env("CLEARFRAME_PROMPT_MODERATOR", default="studio.moderation.moderate_prompt"),
    "FRAME_MODERATOR": env("CLEARFRAME_FRAME_MODERATOR", default="studio.pipeline.moderate_frames"),
    "MAX_PROMPT_LENGTH": env.int("CLEARFRAME_MAX_PROMPT_LENGTH", default=2000),
    # The generator a worker runs: "builtin" (the shipped model) or wan, ltx-video, cogvideox from a local folder.
    "GENERATION": {
        "BACKEND": env("CLEARFRAME_GENERATION_BACKEND", default="builtin"),
        "WEIGHTS": env("CLEARFRAME_GENERATION_WEIGHTS", default=""),  # builtin: another weights folder
        "FOLDER": env("CLEARFRAME_GENERATION_FOLDER", default=""),  # diffusers: the model folder
        "DEVICE": env("CLEARFRAME_GENERATION_DEVICE", default=""),
        "DTYPE": env("CLEARFRAME_GENERATION_DTYPE", default=""),
        "CPU_OFFLOAD": env.bool("CLEARFRAME_GENERATION_CPU_OFFLOAD", default=False) or "",
        "VAE_TILING": env.bool("CLEARFRAME_GENERATION_VAE_TILING", default=False) or "",
    },
    # C2PA signing: the certificate chain (leaf first), its key and the trust anchors verification accepts.
    # The defaults are the development credentials `python -m provenance keys init` writes (labelled as test).
    "SIGNING": {
        "CERT_CHAIN": env("CLEARFRAME_SIGNING_CERT_CHAIN", default=str(VAR_DIR / "keys" / "signing-chain.pem")),
        "KEY": env("CLEARFRAME_SIGNING_KEY", default=str(VAR_DIR / "keys" / "signing-key.pem")),
        "TRUST_ANCHORS": env("CLEARFRAME_TRUST_ANCHORS", default=str(VAR_DIR / "keys" / "trust-anchors.pem")),
    },
    # Unsealed clips held for output review live here, outside MEDIA_ROOT: nothing in it is ever served.
    "HELD_CLIP_DIR": env("CLEARFRAME_HELD_CLIP_DIR", default=str(VAR_DIR / "held")),
    # Uploads to the verify endpoint: refused above this size before anything is decoded.
    "VERIFY_MAX_UPLOAD_BYTES": env.int("CLEARFRAME_VERIFY_MAX_UPLOAD_MB", default=200) * 1024 * 1024,
    "VERIFY_MAX_SECONDS": env.float("CLEARFRAME_VERIFY_MAX_SECONDS", default=600.0),
}
