"""Liveness (the process answers) and readiness (it can do its job: database, queue, workers, signing)."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone


def live(request):
    return JsonResponse({"status": "ok"})


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _queue() -> dict:
    from django_tasks_db.models import DBTaskResult

    from studio.models import GenerationJob, JobState

    now = timezone.now()
    waiting = DBTaskResult.objects.filter(status="READY").count()
    stale = GenerationJob.objects.filter(state__in=[JobState.RUNNING, JobState.SEALING],
                                         lease_expires_at__lt=now).count()
    last_heartbeat = (GenerationJob.objects.filter(heartbeat_at__isnull=False).order_by("-heartbeat_at")
                      .values_list("heartbeat_at", flat=True).first())
    oldest_queued = (GenerationJob.objects.filter(state=JobState.QUEUED).order_by("updated_at")
                     .values_list("updated_at", flat=True).first())
    waited = (now - oldest_queued) if oldest_queued else timedelta(0)
    # Jobs waiting much longer than a lease with nobody renewing one means no worker is running.
    no_worker = waited > 5 * settings.CLEARFRAME["JOB_LEASE"]
    return {"ok": stale == 0 and not no_worker, "tasks_waiting": waiting, "stale_leases": stale,
            "oldest_queued_seconds": round(waited.total_seconds(), 1),
            "last_heartbeat": last_heartbeat.isoformat() if last_heartbeat else None,
            **({"error": "queued jobs are not being picked up: is a worker running?"} if no_worker else {}),
            **({"error": f"{stale} job(s) hold an expired lease: a worker died"} if stale else {})}


def _signing() -> dict:
    from studio.pipeline import PipelineError, signing_credentials

    try:
        credentials = signing_credentials()  # the same check a job makes before it seals
    except PipelineError as exc:
        return {"ok": False, "error": str(exc)}
    expires = credentials.not_after.isoformat() if credentials.not_after else None
    return {"ok": True, "signer": credentials.signer, "expires": expires}


def ready(request):
    checks = {"database": _database()}
    if checks["database"]["ok"]:
        checks["queue"] = _queue()
    checks["signing"] = _signing()
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)
