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

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="complaints"
    )
    region = models.CharField(_("region"), max_length=16, choices=Region.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.GENERAL)
    validity = models.CharField(_("validity"), max_length=16, choices=Validity.choices, default=Validity.PENDING)

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
    )
    supplier = models.CharField(_("responsible supplier"), max_length=200, blank=True)
    needs_rd = models.BooleanField(_("needs R&D opinion"), default=False)
    handling = models.CharField(_("handling"), max_length=16, choices=CustomerRequest.choices, blank=True)
    loss_amount = models.DecimalField(_("loss amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reopened from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
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

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    extended_days = models.PositiveSmallIntegerField(_("extended by working days"), default=0)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="step_open_due_idx"),
            models.Index(fields=["department", "due_at"], condition=Q(done_at__isnull=True), name="step_dept_open_idx"),
            models.Index(fields=["complaint", "started_at"], name="step_complaint_idx"),
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
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name
