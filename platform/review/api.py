"""Review queue API for reviewers, and appeals for creators."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination, paginated
from config.serializers import StrictSerializer
from studio.selectors import job_for_user

from .models import ReviewKind, ReviewState
from .selectors import review_item_for_reviewer, review_items_for_reviewer
from .services import appeal_submit, review_decide


class ReviewItemSerializer(serializers.Serializer):
    """What a reviewer sees: the prompt, the scores and the frames; never the ledger identity of the video."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReviewKind.choices)
    state = serializers.ChoiceField(choices=ReviewState.choices)
    job = serializers.UUIDField(source="job_id")
    prompt = serializers.CharField(source="job.prompt")
    negative_prompt = serializers.CharField(source="job.negative_prompt")
    categories = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    frames = serializers.SerializerMethodField()
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()

    def get_categories(self, item) -> dict:
        return item.verdict.get("categories", {})

    def get_reasons(self, item) -> list[str]:
        return item.verdict.get("reasons", [])

    def get_frames(self, item) -> list[str]:
        from django.urls import reverse

        return [reverse("review-frame", args=[item.pk, n]) for n in range(len(item.frames))]


class ReviewListApi(APIView):
    @extend_schema(
        operation_id="reviews_list", responses=paginated(ReviewItemSerializer, "PaginatedReviewItemList"),
        parameters=[OpenApiParameter("kind", str, enum=ReviewKind.values, required=False),
                    OpenApiParameter("state", str, enum=ReviewState.values, required=False)],
    )
    def get(self, request):
        kind = request.query_params.get("kind")
        state = request.query_params.get("state", ReviewState.OPEN)
        if kind and kind not in ReviewKind.values:
            raise serializers.ValidationError({"kind": [f"choose one of {', '.join(ReviewKind.values)}"]})
        if state not in ReviewState.values:
            raise serializers.ValidationError({"state": [f"choose one of {', '.join(ReviewState.values)}"]})
        paginator = Pagination()
        items = review_items_for_reviewer(user=request.user, kind=kind, state=state)
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(ReviewItemSerializer(page, many=True).data)


class ReviewDecideApi(APIView):
    class ReviewDecisionInputSerializer(StrictSerializer):
        decision = serializers.ChoiceField(choices=["approve", "reject"])
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(operation_id="reviews_decide", request=ReviewDecisionInputSerializer,
                   responses=ReviewItemSerializer)
    def post(self, request, item_id):
        data = self.ReviewDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = review_item_for_reviewer(user=request.user, item_id=item_id)
        item = review_decide(actor=request.user, item=item, **data.validated_data)
        return Response(ReviewItemSerializer(item).data)


class AppealCreateApi(APIView):
    class AppealInputSerializer(StrictSerializer):
        message = serializers.CharField(max_length=2000)

    @extend_schema(operation_id="generations_appeal", request=AppealInputSerializer,
                   responses={201: ReviewItemSerializer})
    def post(self, request, job_id):
        data = self.AppealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = appeal_submit(user=request.user, job=job_for_user(user=request.user, job_id=job_id),
                             message=data.validated_data["message"])
        return Response(ReviewItemSerializer(item).data, status=201)
