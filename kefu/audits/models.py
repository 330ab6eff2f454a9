"""The customer audit record (SPEC M7; 000 客户审核 3-4.4, CSR稽查 4.1): who audits us, when, which of
our departments take part, the preparation / opening / closing meetings, the documents in the
P / D / C / A folders and the nonconformities found, each of which becomes an 8D (``kefu.capa``).

The workflow's steps, tasks, reminders, lateness inquiries, extensions and memos are the case
engine's (``kefu.flow.models``), keyed by record type ``audit`` and the record's id. The history is
the audit trail (``kefu.core.audit``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.models import StoredFile
from kefu.core.workcalendar import TZ


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned (preparation)")
    IN_PROGRESS = "in_progress", _("Audit in progress")
    FINDINGS = "findings", _("Collecting the findings")
    CORRECTIVE = "corrective", _("Opening the 8Ds")
    FOLLOW_UP = "follow_up", _("8Ds under way")
    REPORT = "report", _("Improvement report to the customer")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


CLOSED_STATES = (Status.CLOSED, Status.CANCELLED)
OPEN_STATES = tuple(s for s in Status.values if s not in CLOSED_STATES)


class AuditType(models.TextChoices):
    """The audit types of 000 客户审核 2 and CSR稽查 2 (新客户验厂, 年度复审, 客户专案, CSR稽查)."""

    NEW_CUSTOMER = "new_customer", pgettext_lazy("audit type", "New customer")
    PERIODIC = "periodic", _("Periodic")
    PROJECT = "project", _("Project")
    CSR = "csr", _("CSR")


class Routing(models.TextChoices):
    """Who turns the nonconformities into 8Ds (000 4.4.2-4.4.3, R7.3)."""

    QUALITY = "quality", _("Quality (new customer)")
    SYSTEM_SPECIALIST = "system_specialist", _("System specialist (existing customer)")


class Audit(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True)
    period = models.PositiveIntegerField(help_text="YYYYMM of creation")
    serial = models.PositiveIntegerField()
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    audit_type = models.CharField(_("audit type"), max_length=16, choices=AuditType.choices)
    planned_start = models.DateTimeField(_("planned start"))
    planned_end = models.DateTimeField(_("planned end"))
    scope = models.TextField(_("scope and focus"), blank=True)
    # The customer's auditors: [{"name": ..., "title": ..., "email": ...}]
    auditors = models.JSONField(_("auditors"), default=list, blank=True)
    # Our departments involved and their managers: [{"department": "production", "manager": "王五"}]
    departments = models.JSONField(_("departments involved"), default=list, blank=True)
    key_customer = models.BooleanField(
        _("key customer"), default=False, help_text="the customer's key flag when the audit was planned"
    )
    routing = models.CharField(_("8Ds routed to"), max_length=20, choices=Routing.choices, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_planned_at = models.DateTimeField(_("closing meeting planned at"), null=True, blank=True)
    report_sent_at = models.DateTimeField(_("improvement report sent at"), null=True, blank=True)
    report_sent_to = models.TextField(_("improvement report sent to"), blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-planned_start", "-id"]
        constraints = [models.UniqueConstraint(fields=["period", "serial"], name="uniq_audit_period_serial")]
        indexes = [
            models.Index(fields=["-planned_start", "-id"], name="audit_recent_idx"),
            models.Index(fields=["status", "-planned_start", "-id"], name="audit_status_recent_idx"),
            models.Index(fields=["customer", "-planned_start"], name="audit_customer_idx"),
            models.Index(fields=["audit_type", "-planned_start", "-id"], name="audit_type_recent_idx"),
            models.Index(fields=["due_at"], name="audit_due_idx"),
        ]
        verbose_name = _("customer audit")
        verbose_name_plural = _("customer audits")

    flow_related = ("customer",)

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def name(self) -> str:
        """As the seed names an audit (CSR稽查 4.1): date + customer + audit type."""
        day = timezone.localtime(self.planned_start, TZ).strftime("%Y%m%d") if self.planned_start else ""
        return f"{day} {self.customer.name} {self.get_audit_type_display()}"

    @property
    def audit_key(self) -> str:
        return self.number

    def department_codes(self) -> list[str]:
        return [d.get("department") for d in self.departments or [] if d.get("department")]


class MeetingKind(models.TextChoices):
    PREPARATION = "preparation", _("Preparation meeting")
    OPENING = "opening", _("Opening meeting")
    CLOSING = "closing", _("Closing meeting")


class Side(models.TextChoices):
    OURS = "ours", _("our side")
    CUSTOMER = "customer", _("customer")


class AuditMeeting(models.Model):
    """A meeting of the audit with its attendees (000 4.1.2, 4.2.1-4.2.3, R7.2)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("meeting"), max_length=16, choices=MeetingKind.choices)
    held_at = models.DateTimeField(_("held at"))
    # [{"name": ..., "side": "ours" | "customer"}]
    attendees = models.JSONField(_("attendees"), default=list)
    minutes = models.TextField(_("minutes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = _("audit meeting")
        verbose_name_plural = _("audit meetings")

    def __str__(self) -> str:
        return f"{self.audit_id} {self.kind}"

    def side(self, side: str) -> list[str]:
        return [a.get("name", "") for a in self.attendees or [] if a.get("side") == side]


class Nonconformity(models.Model):
    """A finding of the customer (000 4.4.1): it becomes an 8D (``capa`` source ``audit``, key ``key``)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="nonconformities")
    seq = models.PositiveSmallIntegerField()
    key = models.CharField(_("key"), max_length=32, unique=True)
    description = models.TextField(_("finding"))
    clause = models.CharField(_("requirement / clause"), max_length=200, blank=True)
    severity = models.CharField(_("severity"), max_length=16, default="general")
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["audit", "seq"]
        constraints = [models.UniqueConstraint(fields=["audit", "seq"], name="uniq_audit_nc_seq")]
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")

    def __str__(self) -> str:
        return self.key


class Folder(models.TextChoices):
    """The PDCA folders of CSR稽查 4.1 (7.3.1)."""

    P = "p", _("P: preparation")
    D = "d", _("D: during the audit")
    C = "c", _("C: customer findings")
    A = "a", _("A: our replies")


def attachment_path(instance, filename: str) -> str:
    now = timezone.now()
    return f"audits/{now:%Y/%m}/{instance.audit.number}/{instance.folder}/{filename}"


class Attachment(StoredFile):
    """A document of the audit, in its PDCA folder; ``customer_format`` marks our improvement report
    in the customer's own format (A folder)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="attachments")
    folder = models.CharField(_("folder"), max_length=1, choices=Folder.choices, default=Folder.P)
    customer_format = models.BooleanField(_("report in the customer's format"), default=False)
    file = models.FileField(upload_to=attachment_path, max_length=300)
