"""Template filters for the pages: permission checks through accounts.roles, percentages for bars."""

from django import template

from accounts.roles import Permission, has_permission

register = template.Library()


@register.filter
def can(user, permission: str) -> bool:
    """`{% if user|can:"review" %}`: the same rule the services apply, never a role name in a template."""
    return has_permission(user, Permission(permission))


@register.filter
def percent(value) -> int:
    """A score in 0..1 as a whole percentage (0 when it is missing or not a number)."""
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0
