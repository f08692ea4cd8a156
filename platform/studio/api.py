"""Generations API: create, list own, detail, cancel."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination, paginated
from config.serializers import StrictSerializer

from .models import JobState
from .params import BOUNDS
from .selectors import job_for_user, job_video_for_user, jobs_for_user
from .services import job_cancel, job_submit


def _number(name: str, integer: bool):
    bound = BOUNDS[name]
    field = serializers.IntegerField if integer else serializers.FloatField
    return field(min_value=bound.minimum, max_value=bound.maximum, required=False,
                 allow_null=bound.default is None)


class GenerationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.ChoiceField(choices=JobState.choices)
    prompt = serializers.CharField()
    negative_prompt = serializers.CharField()
    params = serializers.DictField()
    progress = serializers.FloatField()
    stage = serializers.CharField()
    moderation = serializers.DictField()
    failure_reason = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    video_url = serializers.SerializerMethodField()

    def get_video_url(self, job) -> str | None:
        from django.urls import reverse

        return reverse("api-generation-video", args=[job.pk]) if job.state == JobState.PUBLISHED else None


class GenerationListCreateApi(APIView):
    throttle_scope = "submit"

    class GenerationCreateInputSerializer(StrictSerializer):
        prompt = serializers.CharField(max_length=10_000, trim_whitespace=True)
        negative_prompt = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
        num_frames = _number("num_frames", True)
        width = _number("width", True)
        height = _number("height", True)
        steps = _number("steps", True)
        guidance = _number("guidance", False)
        seed = _number("seed", True)

    def get_throttles(self):
        # Only submissions count against the submit scope; reading the list does not.
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(request=GenerationCreateInputSerializer, responses={201: GenerationSerializer},
                   operation_id="generations_create")
    def post(self, request):
        data = self.GenerationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        prompt = values.pop("prompt")
        negative = values.pop("negative_prompt", "")
        params = {k: v for k, v in values.items() if v is not None}
        job = job_submit(user=request.user, prompt=prompt, negative_prompt=negative, params=params)
        return Response(GenerationSerializer(job).data, status=201)

    @extend_schema(
        responses=paginated(GenerationSerializer, "PaginatedGenerationList"), operation_id="generations_list",
        parameters=[OpenApiParameter("state", str, enum=JobState.values, required=False)],
    )
    def get(self, request):
        state = request.query_params.get("state")
        if state and state not in JobState.values:
            raise serializers.ValidationError({"state": [f"unknown state; choose one of {', '.join(JobState.values)}"]})
        paginator = Pagination()
        page = paginator.paginate_queryset(jobs_for_user(user=request.user, state=state), request, view=self)
        return paginator.get_paginated_response(GenerationSerializer(page, many=True).data)


class GenerationDetailApi(APIView):
    @extend_schema(responses=GenerationSerializer, operation_id="generations_retrieve")
    def get(self, request, job_id):
        return Response(GenerationSerializer(job_for_user(user=request.user, job_id=job_id)).data)


class GenerationCancelApi(APIView):
    @extend_schema(request=None, responses=GenerationSerializer, operation_id="generations_cancel")
    def post(self, request, job_id):
        job = job_cancel(user=request.user, job=job_for_user(user=request.user, job_id=job_id))
        return Response(GenerationSerializer(job).data)


class GenerationVideoApi(APIView):
    @extend_schema(operation_id="generations_video", responses={(200, "video/mp4"): bytes})
    def get(self, request, job_id):
        from django.http import FileResponse

        job, path = job_video_for_user(user=request.user, job_id=job_id)
        return FileResponse(path.open("rb"), content_type="video/mp4", as_attachment=True,
                            filename=f"clearframe-{job.pk}.mp4")
