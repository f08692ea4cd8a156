from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from .models import Strike, User
from .services import user_lift_suspension, user_role_change, user_suspend


@admin.register(User)
class ClearframeUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "suspended_at", "is_active", "date_joined")
    list_filter = ("role", "is_active", "suspended_at")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Clearframe", {"fields": ("role", "daily_job_quota", "suspended_at", "suspension_reason")}),
    )
    readonly_fields = ("suspended_at", "suspension_reason")
    actions = ["suspend", "lift_suspension"]

    def save_model(self, request, obj, form, change):
        # Role changes go through the service so that each one is an audit event.
        new_role = obj.role
        if change and "role" in form.changed_data:
            obj.role = form.initial["role"]
            super().save_model(request, obj, form, change)
            user_role_change(actor=request.user, user=obj, role=new_role)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Suspend the selected accounts")
    def suspend(self, request, queryset):
        for user in queryset:
            user_suspend(actor=request.user, user=user, reason=f"suspended by {request.user.username}")
        messages.success(request, f"{queryset.count()} account(s) suspended.")

    @admin.action(description="Lift the suspension of the selected accounts")
    def lift_suspension(self, request, queryset):
        for user in queryset:
            user_lift_suspension(actor=request.user, user=user)
        messages.success(request, f"{queryset.count()} suspension(s) lifted.")


@admin.register(Strike)
class StrikeAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "reason")
    readonly_fields = ("user", "created_at", "reason", "categories", "job")

    def has_add_permission(self, request):
        return False
