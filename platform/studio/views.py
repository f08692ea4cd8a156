"""Studio pages: the home page and the creator's list of jobs."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import jobs_for_user


def home(request):
    return render(request, "studio/home.html")


@login_required
def job_list(request):
    return render(request, "studio/jobs.html", {"jobs": jobs_for_user(user=request.user)[:50]})
