from django.contrib import admin

from .models import Attachment, Complaint


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-mostly: complaints are registered and moved through services, which write the audit trail."""

    list_display = [
        "number",
        "customer",
        "title",
        "category",
        "severity",
        "status",
        "due_at",
        "registered_at",
    ]
    list_filter = ["status", "category", "severity", "region", "channel"]
    search_fields = ["number", "title", "customer__code", "customer__name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "parent", "registered_by", "responsible_department"]
    readonly_fields = [
        "number",
        "period",
        "serial",
        "status",
        "registered_at",
        "registered_by",
        "due_at",
        "case_due_at",
        "closed_at",
        "acknowledged_at",
        "answer_by",
    ]
    inlines = [AttachmentInline]  # its steps: Case engine -> Steps, filtered by record
    date_hierarchy = "registered_at"

    def has_delete_permission(self, request, obj=None):
        return False
