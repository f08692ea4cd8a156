"""A database outage answers 503 with a clear body, for pages and the API alike, never a stack trace."""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

MESSAGE = "the database is unavailable; try again in a moment"


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._unavailable(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            return self._unavailable(request, exception)
        return None

    def _unavailable(self, request, exc):
        logger.error("database unavailable while serving %s: %s", request.path, exc)
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"error": {"code": "database_unavailable", "message": MESSAGE, "fields": {}}},
                                    status=503)
        else:
            response = HttpResponse(f"<!doctype html><title>Unavailable</title><h1>Clearframe is unavailable</h1>"
                                    f"<p>{MESSAGE}.</p>", status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = "5"
        return response
