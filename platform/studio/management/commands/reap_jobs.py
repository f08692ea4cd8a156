from django.core.management.base import BaseCommand

from studio.services import jobs_reap


class Command(BaseCommand):
    help = "Re-queue (or fail, after the last attempt) jobs whose worker stopped renewing its lease."

    def handle(self, *args, **options):
        counts = jobs_reap()
        self.stdout.write(f"re-queued {counts['requeued']}, failed {counts['failed']}")
