"""What a locked-out login attempt gets: the API's JSON error shape, or a plain page."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape


def lockout_response(request, original_response=None, credentials=None):
    message = (f"too many failed logins for this account from this address; try again in "
               f"{settings.AXES_COOLOFF_TIME} or ask an administrator")
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "login_locked_out", "message": message, "fields": {}}},
                                status=429)
    else:
        response = HttpResponse(f"<!doctype html><title>Locked out</title><h1>Log-in locked</h1><p>{escape(message)}"
                                "</p>", status=429, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
