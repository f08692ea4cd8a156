from django.contrib import admin

from .models import GenerationJob


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "state", "progress", "stage", "attempts", "created_at")
    list_filter = ("state",)
    search_fields = ("id", "user__username")
    # State changes go through the services (and their audit events), never through a form.
    readonly_fields = [f.name for f in GenerationJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
