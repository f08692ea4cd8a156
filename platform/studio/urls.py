from django.urls import path

from . import views

app_name = "studio"

urlpatterns = [
    path("", views.home, name="home"),
    path("studio/jobs/", views.job_list, name="jobs"),
]
