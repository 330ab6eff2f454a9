from django.contrib import admin

from .models import Extension, Inquiry, Meeting, Memo, Reminder, Step


class ReadOnly(admin.ModelAdmin):
    """The engine's rows are written by its actions, which keep the audit trail: read here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Step)
class StepAdmin(ReadOnly):
    list_display = [
        "record_type",
        "record_key",
        "kind",
        "code",
        "department",
        "role",
        "assignee",
        "due_at",
        "done_at",
    ]
    list_filter = ["record_type", "kind", "code", "department", "unit"]
    search_fields = ["record_key"]
    list_select_related = ["department", "assignee"]
    date_hierarchy = "due_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnly):
    list_display = ["record_type", "step", "department", "level", "step_due_at", "issued_at"]
    list_filter = ["record_type", "level", "department"]
    list_select_related = ["step", "department"]


@admin.register(Inquiry)
class InquiryAdmin(ReadOnly):
    list_display = ["record_type", "step", "department", "late_workdays", "issued_at", "answered_at"]
    list_filter = ["record_type", "department"]
    list_select_related = ["step", "department"]


admin.site.register(Extension, ReadOnly)
admin.site.register(Memo, ReadOnly)
admin.site.register(Meeting, ReadOnly)
