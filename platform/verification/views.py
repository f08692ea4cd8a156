"""The /verify page: the same service as POST /api/v1/verify."""

from django.shortcuts import render

from config.errors import DomainError

from .api import verification_payload
from .services import verify_upload


def verify_page(request):
    context, status = {}, 200
    if request.method == "POST":
        try:
            result = verify_upload(upload=request.FILES.get("file"), user=request.user)
        except DomainError as exc:
            context["error"], status = exc.message, exc.status_code
        else:
            context["result"] = verification_payload(result, request.user)
    return render(request, "verification/verify.html", context, status=status)
