"""The /verify page: the same service as POST /api/v1/verify, with a result card in plain words."""

from datetime import datetime

from django.shortcuts import render

from config.errors import DomainError

from .api import verification_payload
from .services import verify_upload

HEADLINES = {
    "authentic": ("Made on Clearframe, unchanged",
                  "This file is a video this platform made, and it has not been altered since it was sealed."),
    "altered": ("Made on Clearframe, but changed since",
                "This video came from this platform, but the file was edited, re-encoded or stripped of its "
                "credentials after it was sealed."),
    "unknown": ("No trace of Clearframe",
                "Nothing in this file links it to this platform. That does not say who made it or whether it "
                "is genuine: only that it was not sealed here."),
}


def watermark_timeline(seconds: list[dict] | None) -> dict | None:
    """Geometry for the per-second watermark strip: one segment per span the detector read, in a 0..1000 box."""
    spans = [s for s in (seconds or []) if isinstance(s, dict) and s.get("end", 0) > s.get("start", 0)]
    if not spans:
        return None
    total = max(float(s["end"]) for s in spans)
    segments = [{
        "x": round(1000 * float(s["start"]) / total, 2),
        "width": max(0.5, round(1000 * (float(s["end"]) - float(s["start"])) / total - 2, 2)),
        "start": float(s["start"]), "end": float(s["end"]),
        "z": s.get("z"), "detected": bool(s.get("detected")),
    } for s in spans]
    carried = sum(s["end"] - s["start"] for s in segments if s["detected"])
    return {"segments": segments, "total": total, "carried": carried,
            "ticks": [{"x": round(1000 * t / total, 2), "label": f"{t:g}s"} for t in range(0, int(total) + 1)]}


def verify_page(request):
    context, status = {}, 200
    if request.method == "POST":
        try:
            result = verify_upload(upload=request.FILES.get("file"), user=request.user)
        except DomainError as exc:
            context["error"], status = exc.message, exc.status_code
        else:
            payload = verification_payload(result, request.user)
            headline, explanation = HEADLINES[payload["verdict"]]
            sealed_at = datetime.fromisoformat(payload["created_at"]) if payload["created_at"] else None
            context.update({"result": payload, "sealed_at": sealed_at, "headline": headline, "explanation": explanation,
                            "timeline": watermark_timeline(payload["watermark"].get("seconds"))})
    # The page's script uploads with progress and shows only the card; without script the whole page returns.
    template = ("verification/_verify_result.html" if request.headers.get("X-Requested-With") == "fetch"
                else "verification/verify.html")
    return render(request, template, context, status=status)
