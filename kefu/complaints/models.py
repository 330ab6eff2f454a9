"""The complaint form (R3.2), its workflow steps and attachments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.customers.choices import Region

from .choices import Category, Channel, CustomerRequest, Severity, Status, Step, Validity


class Complaint(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True)
    period = models.PositiveIntegerField(help_text="YYYYMM of registration")
    serial = models.PositiveIntegerField()

    # Indexed by complaint_customer_idx (customer, -received_at); no second index to
    # maintain on every intake.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,
    )
    region = models.CharField(_("region"), max_length=16, choices=Region.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.GENERAL
    )
    validity = models.CharField(
        _("validity"), max_length=16, choices=Validity.choices, default=Validity.PENDING
    )

    received_at = models.DateTimeField(_("received at"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    part_no = models.CharField(_("part number"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    quantity_pending = models.BooleanField(
        _("quantity not yet determined (customer still processing)"), default=False
    )
    defect_quantity = models.PositiveIntegerField(_("defective quantity"), null=True, blank=True)
    ship_date = models.DateField(_("ship date"), null=True, blank=True)
    customer_request = models.CharField(
        _("customer request"), max_length=16, choices=CustomerRequest.choices, blank=True
    )
    sample_received = models.BooleanField(_("sample received"), default=False)

    # Who filed it when it came through the public form.
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    submitter_ip = models.GenericIPAddressField(null=True, blank=True)

    # Acknowledgement to the customer (R3.5, 000 5.3.3).
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    answer_by = models.DateField(_("answer promised by"), null=True, blank=True)

    # Workflow state; transitions live in workflow.py, deadlines in deadlines.py.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    case_due_at = models.DateTimeField(_("case due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Outcomes of the workflow, denormalised for lists and reports; each
    # step's full submission is kept in ComplaintStep.data.
    responsible_department = models.ForeignKey(
        "core.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # set late in the case: a partial index (Meta) skips the NULLs
    )
    supplier = models.CharField(_("responsible supplier"), max_length=200, blank=True)
    needs_rd = models.BooleanField(_("needs R&D opinion"), default=False)
    handling = models.CharField(_("handling"), max_length=16, choices=CustomerRequest.choices, blank=True)
    loss_amount = models.DecimalField(
        _("loss amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reopened from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
        # Almost every row is NULL: a plain index makes SQLite's planner (after
        # ANALYZE) think parent_id = X matches everything; a partial one does not.
        db_index=False,
    )

    class Meta:
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "serial"], name="uniq_complaint_period_serial"),
            models.CheckConstraint(
                condition=Q(defect_quantity__isnull=True)
                | Q(quantity__isnull=True)
                | Q(defect_quantity__lte=models.F("quantity")),
                name="complaint_defects_le_quantity",
            ),
        ]
        indexes = [
            models.Index(fields=["-registered_at", "-id"], name="complaint_recent_idx"),
            models.Index(fields=["status", "due_at"], name="complaint_status_due_idx"),
            models.Index(fields=["customer", "-received_at"], name="complaint_customer_idx"),
            models.Index(fields=["received_at"], name="complaint_received_idx"),
            models.Index(fields=["case_due_at"], name="complaint_case_due_idx"),
            models.Index(fields=["due_at"], name="complaint_due_idx"),
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="complaint_parent_idx"),
            models.Index(
                fields=["responsible_department"],
                condition=Q(responsible_department__isnull=False),
                name="complaint_resp_dept_idx",
            ),
        ]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_key(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.NOT_ESTABLISHED)


class ComplaintStep(models.Model):
    """One step of the case: owner department, deadline, completion and what was submitted."""

    # Indexed by step_complaint_idx (complaint, started_at).
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps", db_index=False)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    # Mostly NULL, and NULL when the step opens: partial indexes (Meta) instead.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    extended_days = models.PositiveSmallIntegerField(_("extended by working days"), default=0)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="step_open_due_idx"),
            models.Index(
                fields=["department", "due_at"], condition=Q(done_at__isnull=True), name="step_dept_open_idx"
            ),
            models.Index(fields=["complaint", "started_at"], name="step_complaint_idx"),
            models.Index(fields=["assignee"], condition=Q(assignee__isnull=False), name="step_assignee_idx"),
            models.Index(fields=["done_by"], condition=Q(done_by__isnull=False), name="step_done_by_idx"),
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.complaint_id}:{self.step}"

    @property
    def late(self) -> bool:
        if self.done_at is not None:
            return self.done_at > self.due_at
        return timezone.now() > self.due_at


def attachment_path(instance, filename: str) -> str:
    now = timezone.now()
    return f"complaints/{now:%Y/%m}/{instance.complaint.number}/{filename}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


# --- workflow records (issue 4): reply letters, notices, inquiries, memos, extensions, meetings ---


class CustomerReply(models.Model):
    """The letter that tells the customer the decision (R1.4): never the internal form."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="replies")
    letter = models.TextField(_("letter to the customer"))
    customer_accepts = models.BooleanField(_("customer accepts"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    followup = models.ForeignKey(
        Complaint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new complaint"),
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("customer reply")
        verbose_name_plural = _("customer replies")

    def __str__(self) -> str:
        return f"{self.complaint_id} reply {self.recorded_at:%Y-%m-%d}"


class ReminderNotice(models.Model):
    """催办单: an overdue open step, one notice per escalation level (002 篇4 第十四条, R5.3)."""

    class Level(models.IntegerChoices):
        DEPARTMENT = 0, _("Owning department")
        MANAGER = 1, _("Department manager")
        GM = 2, _("General manager")

    step = models.ForeignKey(ComplaintStep, on_delete=models.CASCADE, related_name="reminders")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="reminders")
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    step_due_at = models.DateTimeField(_("step due at"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["step", "level"], name="uniq_reminder_step_level")]
        indexes = [
            models.Index(fields=["department", "-issued_at"], name="reminder_dept_idx"),
            models.Index(fields=["complaint", "-issued_at"], name="reminder_complaint_idx"),
        ]
        verbose_name = _("reminder notice")
        verbose_name_plural = _("reminder notices")

    def __str__(self) -> str:
        return f"催办 {self.step_id} L{self.level}"


class LatenessInquiry(models.Model):
    """治办单: after closing, one per step that finished late; its department answers with a reason."""

    step = models.OneToOneField(ComplaintStep, on_delete=models.CASCADE, related_name="inquiry")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="inquiries")
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="+")
    late_workdays = models.PositiveSmallIntegerField(_("late by working days"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(
                fields=["department", "issued_at"],
                condition=Q(answered_at__isnull=True),
                name="inquiry_open_idx",
            ),
        ]
        verbose_name = _("lateness inquiry")
        verbose_name_plural = _("lateness inquiries")

    def __str__(self) -> str:
        return f"治办 {self.step_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class Memo(models.Model):
    """签呈: a department's formal objection to a decision, sent to the GM (002 篇4 第九条(十一), R4.3)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="memos")
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="+")
    status_at = models.CharField(_("case status when filed"), max_length=20, choices=Status.choices)
    text = models.TextField(_("memo"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("memo (签呈)")
        verbose_name_plural = _("memos (签呈)")

    def __str__(self) -> str:
        return f"签呈 {self.complaint_id} {self.at:%Y-%m-%d}"


class ExtensionRequest(models.Model):
    """More working days for one step, approved by the managers (002 篇1 第十一条(三))."""

    step = models.ForeignKey(ComplaintStep, on_delete=models.CASCADE, related_name="extensions")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    approved = models.BooleanField(_("approved"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    due_before = models.DateTimeField(null=True, blank=True)
    due_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            # At most one undecided request per step.
            models.UniqueConstraint(
                fields=["step"], condition=Q(decided_at__isnull=True), name="uniq_open_extension"
            ),
        ]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    def __str__(self) -> str:
        return f"+{self.days} {self.step_id}"


class MeetingDecision(models.Model):
    """Decision of the management meeting (经理办公会) on a serious complaint (002 篇1 第十一条(二), R4.4)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="meeting_decisions")
    decision = models.TextField(_("decision"))
    attendees = models.TextField(_("attendees"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")

    def __str__(self) -> str:
        return f"{self.complaint_id} meeting {self.recorded_at:%Y-%m-%d}"
