from django.urls import path

from . import api

urlpatterns = [
    path("reviews", api.ReviewListApi.as_view(), name="api-reviews"),
    path("reviews/<int:item_id>/decide", api.ReviewDecideApi.as_view(), name="api-review-decide"),
    path("generations/<uuid:job_id>/appeal", api.AppealCreateApi.as_view(), name="api-generation-appeal"),
]
