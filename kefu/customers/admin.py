from django.contrib import admin

from .models import Contact, Customer, CustomerAccessLog, CustomerGrant, GradeChange


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "grade", "region", "area", "owner", "is_key", "updated_at"]
    list_filter = ["grade", "region", "is_key"]
    search_fields = ["code", "name", "contacts__name", "contacts__phone", "contacts__mobile"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    inlines = [ContactInline]


@admin.register(GradeChange)
class GradeChangeAdmin(admin.ModelAdmin):
    list_display = ["customer", "from_grade", "to_grade", "changed_at", "changed_by", "reason"]
    list_select_related = ["customer", "changed_by"]
    search_fields = ["customer__code", "customer__name"]
    raw_id_fields = ["customer", "changed_by"]


@admin.register(CustomerGrant)
class CustomerGrantAdmin(admin.ModelAdmin):
    list_display = ["customer", "user", "granted_by", "granted_at", "reason"]
    list_select_related = ["customer", "user", "granted_by"]
    search_fields = ["customer__code", "user__username"]
    raw_id_fields = ["customer", "user", "granted_by"]


@admin.register(CustomerAccessLog)
class CustomerAccessLogAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only (R1.2)."""

    list_display = ["at", "user", "action", "customer", "detail", "ip"]
    list_filter = ["action"]
    list_select_related = ["user", "customer"]
    search_fields = ["customer__code", "user__username", "detail"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
