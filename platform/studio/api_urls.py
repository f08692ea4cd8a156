from django.urls import path

from . import api

urlpatterns = [
    path("generations", api.GenerationListCreateApi.as_view(), name="api-generations"),
    path("generations/<uuid:job_id>", api.GenerationDetailApi.as_view(), name="api-generation-detail"),
    path("generations/<uuid:job_id>/cancel", api.GenerationCancelApi.as_view(), name="api-generation-cancel"),
    path("generations/<uuid:job_id>/video", api.GenerationVideoApi.as_view(), name="api-generation-video"),
]
