"""Permission-checked reads of the ledger."""

from accounts.roles import Permission, require_permission

from .models import LedgerEntry


def ledger_entries_for_auditor(*, user):
    require_permission(user, Permission.EXPORT_LEDGER)
    return LedgerEntry.objects.order_by("sequence")
