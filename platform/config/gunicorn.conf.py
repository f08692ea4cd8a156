"""gunicorn settings for production: `gunicorn -c platform/config/gunicorn.conf.py config.wsgi:application`."""

import os
from pathlib import Path

# config/ lives in platform/, which is a folder on sys.path rather than a package.
pythonpath = f"{Path(__file__).resolve().parents[1]},{Path(__file__).resolve().parents[2]}"
bind = os.environ.get("CLEARFRAME_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("CLEARFRAME_WEB_WORKERS", "3"))
timeout = 120  # a verify upload of a long clip is decoded in the request
max_requests = 2000  # recycle workers now and then; the models load again in the new one
max_requests_jitter = 200


def post_worker_init(worker):
    """Load the moderation models before the first request rather than during it."""
    try:
        import safety

        safety.warm_up()
    except Exception:  # the first submission will report what is missing, with a 503
        worker.log.exception("could not load the safety models at start")
