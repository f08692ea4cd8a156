"""The ledger: one append-only row per sealed video, chained by hashes so that an edit or a deletion shows."""

import hashlib
import json

from django.db import models


class LedgerTampering(Exception):
    """Ledger rows are never changed or removed once written."""


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerTampering("the ledger is append-only: rows cannot be updated")

    def delete(self):
        raise LedgerTampering("the ledger is append-only: rows cannot be deleted")


class LedgerEntry(models.Model):
    """What was sealed for one published job. `entry_hash` covers every field and the previous row's hash."""

    sequence = models.PositiveBigIntegerField(unique=True)
    job = models.OneToOneField("studio.GenerationJob", on_delete=models.PROTECT, related_name="ledger_entry")
    payload = models.CharField(max_length=64, unique=True, help_text="Watermark payload (hex): a random id.")
    manifest_id = models.CharField(max_length=255, db_index=True)
    sha256 = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the published file.")
    fingerprint = models.JSONField(help_text="Perceptual fingerprint of sampled frames.")
    manifest = models.JSONField(help_text="The C2PA manifest store as read back from the sealed file.")
    media_path = models.CharField(max_length=255, help_text="Path of the sealed file under MEDIA_ROOT.")
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"ledger #{self.sequence} job {self.job_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerTampering("the ledger is append-only: rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerTampering("the ledger is append-only: rows cannot be deleted")

    def compute_hash(self) -> str:
        body = {
            "sequence": self.sequence,
            "job": str(self.job_id),
            "payload": self.payload,
            "manifest_id": self.manifest_id,
            "sha256": self.sha256,
            "fingerprint": self.fingerprint,
            "manifest": self.manifest,
            "media_path": self.media_path,
            "created_at": self.created_at.isoformat(),
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
