"""The whole pipeline from a terminal: moderate, generate, check the frames, seal, record."""

import json
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from studio.models import JobState
from studio.services import job_execute, job_submit


class Command(BaseCommand):
    help = 'Run one job end to end as a user: python manage.py generate "PROMPT" --user NAME --out clip.mp4'

    def add_arguments(self, parser):
        parser.add_argument("prompt")
        parser.add_argument("--user", required=True, help="the account the job runs as (its role, quota, strikes)")
        parser.add_argument("--out", type=Path, help="where to copy the sealed MP4")
        parser.add_argument("--negative-prompt", default="")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--steps", type=int)

    def handle(self, *args, prompt, user, out, negative_prompt, seed, steps, **options):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"no account named {user!r}")
        params = {k: v for k, v in {"seed": seed, "steps": steps}.items() if v is not None}
        try:
            job = job_submit(user=account, prompt=prompt, negative_prompt=negative_prompt, params=params)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"job {job.pk}")
        self.stdout.write(f"prompt verdict: {json.dumps(job.moderation)}")
        if job.state != JobState.QUEUED:
            self.stdout.write(f"state: {job.state} ({job.stage})")
            if job.state == JobState.REJECTED:
                raise CommandError(f"the prompt was blocked: {job.failure_reason}")
            return
        # Run it here rather than wait for a worker; the queued task then finds the job taken and skips it.
        state = job_execute(job_id=job.pk, worker_id=f"cli-{os.getpid()}")
        job.refresh_from_db()
        frame_check = job.result.get("metadata", {}).get("frame_check")
        if frame_check:
            self.stdout.write(f"frame verdict: {json.dumps({k: frame_check[k] for k in ('decision', 'reasons')})}")
        self.stdout.write(f"state: {state}")
        if state != JobState.PUBLISHED:
            raise CommandError(f"nothing was published: {job.failure_reason or job.stage}")
        entry = job.ledger_entry
        self.stdout.write(f"sealed: payload {entry.payload}, manifest {entry.manifest_id}, sha256 {entry.sha256}, "
                          f"ledger row {entry.sequence}")
        if out:
            shutil.copyfile(Path(settings.MEDIA_ROOT) / job.result["media_path"], out)
            self.stdout.write(f"written to {out}")
