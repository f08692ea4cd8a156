from django.urls import path

from . import views

app_name = "studio"

urlpatterns = [
    path("", views.home, name="home"),
    path("studio/jobs/", views.job_list, name="jobs"),
    path("studio/jobs/progress", views.job_list_progress, name="jobs-progress"),
    path("studio/jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("studio/jobs/<uuid:job_id>/progress", views.job_progress, name="job-progress"),
    path("studio/jobs/<uuid:job_id>/appeal", views.job_appeal, name="job-appeal"),
    path("studio/jobs/<uuid:job_id>/video.mp4", views.job_video, name="job-video"),
]
