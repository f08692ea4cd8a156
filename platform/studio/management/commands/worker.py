"""A job worker: django-tasks-db's worker loop plus the reaper that re-queues jobs of lost workers."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from studio.services import jobs_reap

logger = logging.getLogger("studio.worker")


def _reap_forever(stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        try:
            counts = jobs_reap()
            if any(counts.values()):
                logger.warning("reaper: %s", counts)
        except Exception:
            logger.exception("reaper pass failed; retrying in %.0fs", interval)
        finally:
            close_old_connections()


class Command(DbWorkerCommand):
    help = "Run a Clearframe job worker (the task queue worker and the lost-job reaper)."

    def handle(self, *args, **options):
        stop = threading.Event()
        interval = settings.CLEARFRAME["REAPER_INTERVAL_SECONDS"]
        threading.Thread(target=_reap_forever, args=(stop, interval), daemon=True, name="reaper").start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
