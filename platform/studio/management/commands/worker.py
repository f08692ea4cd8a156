"""A job worker: django-tasks-db's worker loop plus the reaper that re-queues jobs of lost workers."""

import logging
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
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
        backoff = 1.0
        try:
            while True:
                try:
                    super().handle(*args, **options)
                    return
                except (OperationalError, InterfaceError) as exc:
                    # The database went away (a restart, a failover): wait for it and carry on. A job that was
                    # running keeps no lease meanwhile; the reaper re-queues it once the database is back.
                    logger.error("database unavailable (%s); retrying in %.0f s", exc, backoff)
                    close_old_connections()
                    connections.close_all()
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
        finally:
            stop.set()
