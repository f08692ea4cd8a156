"""Writes on the ledger, and the check of its hash chain."""

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import DomainError
from review.events import audit_event_record

from .models import LedgerEntry

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64


def ledger_append(*, job, payload: str, manifest_id: str, sha256: str, fingerprint, manifest: dict,
                  media_path: str) -> LedgerEntry:
    """Append the row of a sealed video at the head of the chain (called inside the publishing transaction)."""
    for _ in range(5):
        head = LedgerEntry.objects.order_by("-sequence").only("sequence", "entry_hash").first()
        entry = LedgerEntry(
            sequence=(head.sequence + 1) if head else 1, job=job, payload=payload, manifest_id=manifest_id,
            sha256=sha256, fingerprint=fingerprint, manifest=manifest, media_path=media_path,
            created_at=timezone.now(), prev_hash=head.entry_hash if head else GENESIS_HASH,
        )
        entry.entry_hash = entry.compute_hash()
        try:
            with transaction.atomic():  # a savepoint: another writer took this sequence number, read the head again
                entry.save()
        except IntegrityError:
            if LedgerEntry.objects.filter(job=job).exists() or LedgerEntry.objects.filter(payload=payload).exists():
                raise
            continue
        audit_event_record(actor=None, action="ledger.appended", target=job,
                           data={"sequence": entry.sequence, "payload": payload, "entry_hash": entry.entry_hash})
        return entry
    raise IntegrityError("could not append to the ledger: too many concurrent writers")


@dataclass
class LedgerReport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def ledger_verify() -> LedgerReport:
    """Walk the chain: every row's hash must match its fields, link to the previous row, with no gap."""
    report = LedgerReport()
    previous_hash, expected_sequence = GENESIS_HASH, 1
    for entry in LedgerEntry.objects.order_by("sequence").iterator(chunk_size=500):
        report.rows += 1
        if entry.sequence != expected_sequence:
            report.problems.append(f"row {expected_sequence} to {entry.sequence - 1} missing (deleted rows)")
        if entry.prev_hash != previous_hash:
            report.problems.append(f"row {entry.sequence}: does not link to the row before it")
        if entry.compute_hash() != entry.entry_hash:
            report.problems.append(f"row {entry.sequence}: its fields were changed after it was written")
        previous_hash, expected_sequence = entry.entry_hash, entry.sequence + 1
    # Removing rows from the end leaves a valid chain; the audit log remembers every head that was written.
    from review.models import AuditEvent

    last = AuditEvent.objects.filter(action="ledger.appended").order_by("-id").values_list("data", flat=True).first()
    if last and last.get("sequence", 0) >= expected_sequence:
        report.problems.append(f"rows {expected_sequence} to {last['sequence']} missing from the end of the ledger")
    elif last and not LedgerEntry.objects.filter(sequence=last["sequence"], entry_hash=last["entry_hash"]).exists():
        report.problems.append(f"row {last['sequence']}: differs from the hash recorded when it was written")
    return report


# --- verification of an uploaded video --------------------------------------------------------------------

class UploadRefused(DomainError):
    code = "upload_refused"
    status_code = 400


class UploadTooLarge(UploadRefused):
    code = "upload_too_large"
    status_code = 413


class UnsupportedUpload(UploadRefused):
    code = "unsupported_media"
    status_code = 415


class UnreadableVideo(UploadRefused):
    code = "unreadable_video"
    status_code = 422


# Containers accepted for verification, recognised by their first bytes before anything is decoded.
def _container(head: bytes) -> str | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"  # MP4, MOV, 3GP share the ISO base media file format
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"  # WebM and Matroska (EBML)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return None


@dataclass
class Verification:
    verdict: str  # authentic | altered | unknown
    reasons: list[str]
    entry: LedgerEntry | None
    inspection: dict
    stored_manifest: dict | None  # returned when the file's own manifest is missing or does not match


def _fingerprint_match(fingerprint) -> LedgerEntry | None:
    import provenance

    best, best_distance = None, None
    for entry in LedgerEntry.objects.only("pk", "fingerprint", "job_id", "payload").iterator(chunk_size=500):
        try:
            distance = provenance.fingerprint_distance(fingerprint, entry.fingerprint)
        except provenance.ProvenanceError:
            continue
        if distance <= provenance.FINGERPRINT_MATCH_THRESHOLD and (best_distance is None or distance < best_distance):
            best, best_distance = entry, distance
    return LedgerEntry.objects.get(pk=best.pk) if best else None


def verify_upload(*, upload, user=None) -> Verification:
    """Inspect an uploaded video and look its watermark, manifest and fingerprint up in the ledger."""
    from django.conf import settings

    import provenance

    limit = settings.CLEARFRAME["VERIFY_MAX_UPLOAD_BYTES"]
    if upload is None:
        raise UploadRefused("attach the video to verify as the multipart field 'file'")
    if upload.size is None or upload.size == 0:
        raise UploadRefused("the uploaded file is empty")
    if upload.size > limit:
        raise UploadTooLarge(f"the file is {upload.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if _container(head) is None:
        raise UnsupportedUpload("not a video this service reads: send an MP4, MOV, WebM, Matroska or AVI file")

    held = Path(settings.CLEARFRAME["HELD_CLIP_DIR"])
    held.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".video", dir=held) as scratch:
        for chunk in upload.chunks():
            scratch.write(chunk)
        scratch.flush()
        limits = provenance.VideoLimits(max_bytes=limit, max_seconds=settings.CLEARFRAME["VERIFY_MAX_SECONDS"])
        anchors = Path(settings.CLEARFRAME["SIGNING"]["TRUST_ANCHORS"])
        try:
            inspection = provenance.inspect(scratch.name, limits=limits,
                                            trust_anchors=anchors.read_bytes() if anchors.is_file() else None)
        except provenance.VideoTooLarge as exc:
            raise UploadTooLarge(str(exc)) from exc
        except provenance.ProvenanceError as exc:
            raise UnreadableVideo(str(exc)) from exc
        except Exception as exc:  # a decoder tripping over a hostile file is still the file's fault
            logger.warning("inspecting an upload failed unexpectedly", exc_info=True)
            raise UnreadableVideo(f"the file could not be read as a video ({type(exc).__name__})") from exc

    c2pa, watermark = inspection.c2pa, inspection.watermark
    by_watermark = LedgerEntry.objects.filter(payload=watermark.payload).first() if watermark.detected else None
    by_manifest = (LedgerEntry.objects.filter(manifest_id=c2pa.manifest_id).first()
                   if c2pa.present and c2pa.manifest_id else None)
    by_fingerprint = None if (by_watermark or by_manifest) else _fingerprint_match(inspection.fingerprint)
    entry = by_watermark or by_manifest or by_fingerprint

    reasons: list[str] = []
    if entry is None:
        verdict = "unknown"
        reasons.append("no watermark, manifest or fingerprint of this platform was found")
        if c2pa.present:
            reasons.append(f"the file carries a C2PA manifest from another signer ({c2pa.signer or 'unknown'})")
    elif (c2pa.present and c2pa.valid and c2pa.trusted and by_manifest is not None and by_watermark is not None
          and by_manifest.pk == by_watermark.pk):
        verdict = "authentic"
        reasons.append("valid manifest, and the watermark in the pixels matches its ledger record")
    else:
        verdict = "altered"
        if by_watermark is not None:
            reasons.append("the watermark matches a ledger record")
        elif by_fingerprint is not None:
            reasons.append("the frames match the fingerprint of a ledger record, but no watermark was read")
        if not c2pa.present:
            reasons.append("the C2PA manifest was removed")
        elif not c2pa.valid:
            reasons.append("the C2PA manifest does not validate: the file was changed after signing")
        elif not c2pa.trusted:
            reasons.append("the C2PA manifest is signed by a certificate this platform does not trust")
        elif by_manifest is None:
            reasons.append("the C2PA manifest is not one this platform recorded")
        elif by_watermark is None:
            reasons.append("the manifest is ours but the pixels do not carry its watermark")
        elif by_manifest.pk != by_watermark.pk:
            reasons.append("the manifest and the watermark belong to different videos")
    stored_manifest = entry.manifest if entry is not None and verdict == "altered" else None
    audit_event_record(actor=user, action="verification.performed", target=entry.job if entry else None,
                       data={"verdict": verdict, "payload": watermark.payload if watermark.detected else None,
                             "manifest_present": c2pa.present, "manifest_valid": c2pa.valid})
    return Verification(verdict=verdict, reasons=reasons, entry=entry, inspection=inspection.to_dict(),
                        stored_manifest=stored_manifest)
