"""Verification API (anyone may upload a video) and the ledger export for auditors."""

import csv
import io
import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Permission, has_permission, require_permission

from .selectors import ledger_entries_for_auditor
from .services import Verification, verify_upload


def manifest_summary(manifest: dict | None) -> dict | None:
    """The public part of content credentials: who signed, with what, when, and which actions it declares."""
    if not manifest:
        return None
    active = manifest.get("manifests", {}).get(manifest.get("active_manifest", ""), {})
    actions = []
    for assertion in active.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            actions += [a.get("action") for a in assertion.get("data", {}).get("actions", [])]
    signature = active.get("signature_info", {})
    generator = active.get("claim_generator_info") or active.get("claim_generator")
    return {
        "manifest_id": manifest.get("active_manifest"),
        "title": active.get("title"),
        "claim_generator": generator,
        "signer": signature.get("issuer") or signature.get("common_name"),
        "signed_at": signature.get("time"),
        "actions": actions,
        "assertions": [a.get("label") for a in active.get("assertions", [])],
    }


def verification_payload(result: Verification, user) -> dict:
    """What a caller sees: everyone gets the verdict; auditors also get the job, the account and the manifest."""
    inspection = result.inspection
    watermark = inspection.get("watermark", {})
    c2pa = inspection.get("c2pa", {})
    entry = result.entry
    body = {
        "verdict": result.verdict,
        "reasons": result.reasons,
        "created_at": entry.created_at.isoformat() if entry else None,
        "watermark": {k: watermark.get(k) for k in ("detected", "confidence", "seconds")},
        "c2pa": {k: c2pa.get(k) for k in ("present", "valid", "trusted", "signer")},
        # The credentials survive a strip: the record's manifest stands in for the one removed or broken.
        "content_credentials": manifest_summary(result.stored_manifest or (c2pa.get("manifest") if entry else None)),
    }
    if has_permission(user, Permission.VIEW_AUDIT):
        body["audit"] = {
            "job": str(entry.job_id) if entry else None,
            "account": entry.job.user.username if entry else None,
            "ledger_sequence": entry.sequence if entry else None,
            "payload": entry.payload if entry else watermark.get("payload"),
            "sha256": entry.sha256 if entry else None,
            "manifest": entry.manifest if entry else c2pa.get("manifest"),
            "inspection": inspection,
        }
    return body


class VerifyApi(APIView):
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "verify"

    @extend_schema(
        operation_id="verify",
        request={"multipart/form-data": inline_serializer("VerifyUpload", {"file": serializers.FileField()})},
        responses={200: OpenApiResponse(description="verdict: authentic | altered | unknown, with the reasons, "
                                                    "the per-second watermark map and, when the file's own "
                                                    "manifest is gone, the stored content credentials"),
                   413: OpenApiResponse(description="file too large"),
                   415: OpenApiResponse(description="not a video container this service reads"),
                   422: OpenApiResponse(description="a video that cannot be decoded")},
    )
    def post(self, request):
        result = verify_upload(upload=request.FILES.get("file"), user=request.user)
        return Response(verification_payload(result, request.user))


class LedgerExportApi(APIView):
    @extend_schema(
        operation_id="ledger_export",
        parameters=[OpenApiParameter("as", str, enum=["json", "csv"], required=False)],
        responses={200: OpenApiResponse(description="every ledger row, in chain order")},
    )
    def get(self, request):
        require_permission(request.user, Permission.EXPORT_LEDGER)
        fmt = request.query_params.get("as", "json")
        if fmt not in ("json", "csv"):
            raise serializers.ValidationError({"as": ["choose json or csv"]})
        fields = ["sequence", "job_id", "payload", "manifest_id", "sha256", "media_path", "created_at", "prev_hash",
                  "entry_hash"]
        rows = []
        for entry in ledger_entries_for_auditor(user=request.user):
            row = {f: getattr(entry, f) for f in fields}
            row["created_at"], row["job_id"] = entry.created_at.isoformat(), str(entry.job_id)
            row["fingerprint"] = json.dumps(entry.fingerprint) if fmt == "csv" else entry.fingerprint
            rows.append(row)
        if fmt == "json":
            return Response({"count": len(rows), "results": rows})
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=[*fields, "fingerprint"])
        writer.writeheader()
        writer.writerows(rows)
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="clearframe-ledger.csv"'
        return response
