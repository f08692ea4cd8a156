"""Studio pages: the home page, the creator's jobs with the submit form, one job, its video."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from config.errors import DomainError

from .models import TERMINAL_STATES
from .selectors import job_for_user, job_video_for_user, jobs_for_user
from .services import job_submit


def home(request):
    return render(request, "studio/home.html")


@login_required
def job_list(request):
    form = {"prompt": "", "negative_prompt": ""}
    if request.method == "POST":
        form = {"prompt": request.POST.get("prompt", ""), "negative_prompt": request.POST.get("negative_prompt", "")}
        try:
            job = job_submit(user=request.user, prompt=form["prompt"], negative_prompt=form["negative_prompt"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("studio:job", job_id=job.pk)
    return render(request, "studio/jobs.html", {"jobs": jobs_for_user(user=request.user)[:50], "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def job_detail(request, job_id):
    try:
        job = job_for_user(user=request.user, job_id=job_id)
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    appealable = job.state == "rejected" and not job.review_items.filter(kind="appeal").exists()
    return render(request, "studio/job.html", {"job": job, "active": job.state not in TERMINAL_STATES,
                                               "appealable": appealable})


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
        messages.success(request, "Your appeal is in the review queue.")
    return redirect("studio:job", job_id=job_id)


@login_required
def job_video(request, job_id):
    try:
        job, path = job_video_for_user(user=request.user, job_id=job_id)
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    return FileResponse(path.open("rb"), content_type="video/mp4", as_attachment="download" in request.GET,
                        filename=f"clearframe-{job.pk}.mp4")
