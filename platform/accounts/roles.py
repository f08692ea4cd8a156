"""Who may do what: the one place that maps roles to permissions."""

from enum import StrEnum

from config.errors import NotAllowed

from .models import Role


class Permission(StrEnum):
    SUBMIT_JOBS = "submit_jobs"
    REVIEW = "review"
    VIEW_AUDIT = "view_audit"
    EXPORT_LEDGER = "export_ledger"
    VIEW_DASHBOARD = "view_dashboard"
    MANAGE_USERS = "manage_users"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.CREATOR: frozenset({Permission.SUBMIT_JOBS}),
    Role.REVIEWER: frozenset({Permission.SUBMIT_JOBS, Permission.REVIEW}),
    Role.AUDITOR: frozenset({Permission.VIEW_AUDIT, Permission.EXPORT_LEDGER, Permission.VIEW_DASHBOARD}),
    Role.ADMIN: frozenset(Permission),
}

# A suspended account keeps read access to its own work but loses everything that acts.
SUSPENDED_PERMISSIONS: frozenset[Permission] = frozenset()


class AccountSuspended(NotAllowed):
    code = "account_suspended"


def has_permission(user, permission: Permission) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_suspended:
        return permission in SUSPENDED_PERMISSIONS
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def require_permission(user, permission: Permission) -> None:
    """Raise a 403-mapped error naming why the user may not do this."""
    if user is not None and user.is_authenticated and user.is_suspended:
        raise AccountSuspended(
            "this account is suspended" + (f": {user.suspension_reason}" if user.suspension_reason else "")
            + "; an administrator can lift the suspension"
        )
    if not has_permission(user, permission):
        raise NotAllowed(f"your role does not allow this ({permission.value.replace('_', ' ')})")
