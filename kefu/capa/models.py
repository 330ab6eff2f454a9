"""The corrective action (CAPA / 8D) record (SPEC M6; 000 客户审核 4.4-4.7, 001 6.3.4, 003 4.1.3,
004 COP14): the eight disciplines on one row, its evidence files.

The workflow's steps, reminders, lateness inquiries, extensions and memos are the case engine's
(``kefu.flow.models``), keyed by record type ``capa`` and the record's id. The history is the
audit trail (``kefu.core.audit``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.complaints.choices import Severity
from kefu.core.models import StoredFile


class Status(models.TextChoices):
    REPLY = "reply", _("Department reply (D0-D7)")
    REVIEW = "review", _("Quality review")
    REVISION = "revision", _("Revision")
    APPROVAL = "approval", _("Management rep approval")
    VERIFICATION = "verification", _("Verification")
    CLOSURE = "closure", _("Closure (D8)")
    CLOSED = "closed", _("Closed")


CLOSED_STATES = (Status.CLOSED,)
OPEN_STATES = tuple(s for s in Status.values if s not in CLOSED_STATES)


class SourceType(models.TextChoices):
    """Where a CAPA comes from (R6.1): a generic link (record type + key) so that an audit
    nonconformity, a survey trigger or a field-failure alert can open one later."""

    MANUAL = "manual", _("by hand")
    COMPLAINT = "complaint", _("complaint")
    AUDIT = "audit", _("audit nonconformity")
    SURVEY = "survey", _("survey trigger")
    FIELD_FAILURE = "field_failure", _("field-failure alert")


class DocumentKind(models.TextChoices):
    PFMEA = "pfmea", _("PFMEA")
    CONTROL_PLAN = "control_plan", _("Control plan")
    WORK_INSTRUCTION = "work_instruction", _("Work instruction")
    OTHER = "other", _("Other")


class Capa(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True)
    period = models.PositiveIntegerField(help_text="YYYYMM of opening")
    serial = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)

    source_type = models.CharField(
        _("source"), max_length=16, choices=SourceType.choices, default=SourceType.MANUAL
    )
    source_key = models.CharField(_("source record"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.GENERAL
    )
    nonconformity = models.CharField(
        _("nonconformity type"), max_length=100, help_text="for the monthly analysis (R6.5)"
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # D1-D2: the problem, described by 5W2H.
    problem = models.TextField(_("problem description"))
    what = models.TextField(_("what"), blank=True)
    where = models.TextField(_("where"), blank=True)
    when = models.TextField(_("when"), blank=True)
    who = models.TextField(_("who"), blank=True)
    why = models.TextField(_("why"), blank=True)
    how = models.TextField(_("how"), blank=True)
    how_many = models.TextField(_("how many"), blank=True)

    # D0: the team (one name and role per row), filled with the reply.
    team = models.JSONField(_("team"), default=list, blank=True)
    # D3: containment, with the quantities checked / found nonconforming at each place.
    containment = models.TextField(_("containment"), blank=True)
    plant_checked = models.PositiveIntegerField(_("checked at our plant"), null=True, blank=True)
    plant_nonconforming = models.PositiveIntegerField(_("nonconforming at our plant"), null=True, blank=True)
    transit_checked = models.PositiveIntegerField(_("checked in transit"), null=True, blank=True)
    transit_nonconforming = models.PositiveIntegerField(_("nonconforming in transit"), null=True, blank=True)
    customer_checked = models.PositiveIntegerField(_("checked at the customer"), null=True, blank=True)
    customer_nonconforming = models.PositiveIntegerField(
        _("nonconforming at the customer"), null=True, blank=True
    )
    # D4: root cause of the occurrence and of the escape, each with its 5-Why rows and/or fishbone.
    why_occurrence = models.JSONField(_("5-Why (occurrence)"), default=list, blank=True)
    root_cause_occurrence = models.TextField(_("root cause (occurrence)"), blank=True)
    why_escape = models.JSONField(_("5-Why (escape)"), default=list, blank=True)
    root_cause_escape = models.TextField(_("root cause (escape)"), blank=True)
    # D4 as a fishbone (Ishikawa, 6M): {"man": [...], "machine": [...], ...}; see ``fishbone``.
    fishbone_occurrence = models.JSONField(_("fishbone (occurrence)"), default=dict, blank=True)
    fishbone_escape = models.JSONField(_("fishbone (escape)"), default=dict, blank=True)
    # D5-D6: the permanent corrective action and its implementation.
    corrective_action = models.TextField(_("permanent corrective action"), blank=True)
    implementation = models.TextField(_("implementation"), blank=True)
    verify_by = models.DateField(_("verification committed by"), null=True, blank=True)
    # D7: prevention, the documents updated with their new revision.
    prevention = models.TextField(_("prevention"), blank=True)
    documents = models.JSONField(_("documents updated"), default=list, blank=True)

    # The reply and its approvals (000 4.6.1-4.6.2, R6.3).
    reply_submitted_at = models.DateTimeField(_("reply submitted at"), null=True, blank=True)
    reply_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reply_approved_at = models.DateTimeField(_("reply approved at"), null=True, blank=True)
    reply_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_approved_at = models.DateTimeField(_("report approved at"), null=True, blank=True)
    report_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Verification (000 4.7) and D8.
    verification = models.TextField(_("verification result"), blank=True)
    effective = models.BooleanField(_("effective"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    reopened = models.PositiveIntegerField(_("times reopened at D4"), default=0)
    closure = models.TextField(_("closure"), blank=True)
    recognition = models.TextField(_("team recognition"), blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REPLY)
    due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A deadline the customer set: it replaces the clocks of 000 4.5.1 / 4.7.2.
    customer_deadline = models.DateTimeField(_("deadline set by the customer"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["period", "serial"], name="uniq_capa_period_serial")]
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="capa_recent_idx"),
            models.Index(fields=["status", "-opened_at", "-id"], name="capa_status_recent_idx"),
            models.Index(fields=["department", "-opened_at"], name="capa_department_idx"),
            models.Index(fields=["due_at"], name="capa_due_idx"),
            models.Index(
                fields=["source_type", "source_key"], condition=~Q(source_key=""), name="capa_source_idx"
            ),
        ]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")

    flow_related = ("customer", "department")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_key(self) -> str:
        return self.number


def attachment_path(instance, filename: str) -> str:
    now = timezone.now()
    return f"capa/{now:%Y/%m}/{instance.capa.number}/{filename}"


class Attachment(StoredFile):
    """Evidence (photos, training records; 000 4.6.1) or the report in the customer's format."""

    class Kind(models.TextChoices):
        EVIDENCE = "evidence", _("evidence")
        CUSTOMER_REPORT = "customer_report", _("report in the customer's format")

    capa = models.ForeignKey(Capa, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.EVIDENCE)
    file = models.FileField(upload_to=attachment_path, max_length=300)
