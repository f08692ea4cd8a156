"""The quick start: SQLite and media under var/, no environment variable needed."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A development key, never used by the production module (which refuses to start without its own).
SECRET_KEY = SECRET_KEY or "clearframe-development-only-key-not-for-production"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
