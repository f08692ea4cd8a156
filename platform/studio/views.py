"""Studio pages: the home page, the creator's jobs with the prompt form, one job, its video."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.selectors import quota_left
from config.errors import DomainError

from .forms import GenerationForm
from .models import TERMINAL_STATES, JobState
from .selectors import job_for_user, job_video_for_user, jobs_for_user
from .services import job_submit


def home(request):
    return render(request, "studio/home.html")


def _generator(claim_generator) -> str:
    """The claim generator in words: "Clearframe 0.1.0" from the C2PA claim_generator_info list or a string."""
    entries = claim_generator if isinstance(claim_generator, list) else [claim_generator]
    names = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name"):
            names.append(" ".join(str(entry[k]) for k in ("name", "version") if entry.get(k)))
        elif isinstance(entry, str) and entry:
            names.append(entry)
    return ", ".join(names)


def _moderation_rows(verdict: dict) -> list[dict]:
    """The verdict's categories, highest score first, for the score bars."""
    categories = (verdict or {}).get("categories", {})
    return [{"name": name, "score": score} for name, score in sorted(categories.items(), key=lambda kv: -kv[1])]


@login_required
@require_http_methods(["GET", "POST"])
def job_list(request):
    form = GenerationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = job_submit(user=request.user, prompt=form.cleaned_data["prompt"],
                             negative_prompt=form.cleaned_data["negative_prompt"], params=form.params())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if job.state == JobState.REJECTED:
                messages.error(request, "This prompt was blocked. The reasons are below; you may appeal once.")
            return redirect("studio:job", job_id=job.pk)
    jobs = jobs_for_user(user=request.user)[:50]
    return render(request, "studio/jobs.html", {"jobs": jobs, "form": form, "quota_left": quota_left(request.user),
                                                "polling": any(job.state not in TERMINAL_STATES for job in jobs)},
                  status=400 if request.method == "POST" else 200)


@login_required
def job_list_progress(request):
    """The rows of the jobs table alone, polled by the page while a job is still moving."""
    jobs = jobs_for_user(user=request.user)[:50]
    response = render(request, "studio/_job_rows.html", {"jobs": jobs})
    if all(job.state in TERMINAL_STATES for job in jobs):
        response["X-Poll-Done"] = "1"
    return response


def _job_context(request, job_id) -> dict:
    try:
        job = job_for_user(user=request.user, job_id=job_id)
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    return {"job": job, "active": job.state not in TERMINAL_STATES}


@login_required
def job_detail(request, job_id):
    from verification.api import manifest_summary

    context = _job_context(request, job_id)
    job = context["job"]
    appeal = job.review_items.filter(kind="appeal").first()
    severe = any(str(r).startswith("severe:") for r in job.moderation.get("reasons", []))
    entry = getattr(job, "ledger_entry", None) if job.state == JobState.PUBLISHED else None
    credentials = manifest_summary(entry.manifest) if entry else None
    context.update({
        "appeal": appeal,
        "appealable": job.state == JobState.REJECTED and appeal is None and not severe,
        "severe": severe,
        "blocked": job.moderation.get("decision") == "block",
        "moderation_rows": _moderation_rows(job.moderation),
        "entry": entry,
        "credentials": credentials,
        "generator": _generator(credentials["claim_generator"]) if credentials else "",
        "model": (job.result or {}).get("metadata", {}).get("model"),
    })
    return render(request, "studio/job.html", context)


@login_required
def job_progress(request, job_id):
    """The status panel of one job alone, polled by its page until the job reaches an end state."""
    context = _job_context(request, job_id)
    response = render(request, "studio/_job_status.html", context)
    if not context["active"]:
        response["X-Poll-Done"] = "1"
    return response


@login_required
def job_appeal(request, job_id):
    from review.services import appeal_submit

    if request.method != "POST":
        return redirect("studio:job", job_id=job_id)
    try:
        appeal_submit(user=request.user, job=job_for_user(user=request.user, job_id=job_id),
                      message=request.POST.get("message", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your appeal is in the review queue. A reviewer will look at the prompt again.")
    return redirect("studio:job", job_id=job_id)


@login_required
def job_video(request, job_id):
    try:
        job, path = job_video_for_user(user=request.user, job_id=job_id)
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    return FileResponse(path.open("rb"), content_type="video/mp4", as_attachment="download" in request.GET,
                        filename=f"clearframe-{job.pk}.mp4")
