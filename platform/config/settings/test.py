"""pytest: SQLite unless DATABASE_URL names another database (CI also runs on PostgreSQL)."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = "clearframe-test-key"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(env("CLEARFRAME_MEDIA_ROOT", default=str(Path(tempfile.gettempdir()) / "clearframe-test" / "media")))
STATIC_ROOT = Path(tempfile.gettempdir()) / "clearframe-test" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that worker subprocesses in the tests share the database.
    # One file per test run, so that two runs on one machine never share it.
    _name = f"clearframe-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / _name)}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1000/min",
                               "user": "10000/min", "submit": "1000/min", "verify": "10000/min"},
}
