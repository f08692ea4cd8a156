from django.core.management.base import BaseCommand, CommandError

from verification.services import ledger_verify


class Command(BaseCommand):
    help = "Check the ledger's hash chain: any edited, deleted or reordered row is reported."

    def handle(self, *args, **options):
        report = ledger_verify()
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.intact:
            raise CommandError(f"ledger tampered with: {len(report.problems)} problem(s) in {report.rows} rows")
        self.stdout.write(f"ledger intact: {report.rows} rows, hash chain verified")
