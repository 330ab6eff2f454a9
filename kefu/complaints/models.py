"""The complaint form (R3.2), its attachments and the letters to the customer.

The workflow's steps, reminder notices, lateness inquiries, extensions, memos
and meeting decisions are the case engine's (``kefu.flow.models``), keyed by
record type ``complaint`` and the complaint's id.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.models import StoredFile
from kefu.customers.choices import Region

from .choices import (
    Category,
    Channel,
    ConfirmVia,
    CustomerRequest,
    Outcome,
    Penalty,
    ReplyMethod,
    Severity,
    Status,
    Validity,
)


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

    # Workflow state; transitions live in workflow.py (the case engine's flow), deadlines in the
    # engine's steps: ``due_at`` is the open step's, ``case_due_at`` the whole case's.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    case_due_at = models.DateTimeField(_("case due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A deadline the customer set: it replaces the case deadline of 002 篇4 第十条.
    customer_deadline = models.DateTimeField(_("deadline set by the customer"), null=True, blank=True)

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
    # How the closed case ended (accepted / rejected with a new complaint / not established): the
    # list and reports filter on it. The GM office's responsibility decision (002 篇4 第九条(六)):
    # the split is in ``Responsibility`` rows, these the rest of it. ``meeting_at``: when the
    # management meeting's decision was recorded (篇1 第十一条(二)); approval waits for it.
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    tracking = models.BooleanField(_("improvement under tracking"), null=True, blank=True)
    human_negligence = models.BooleanField(_("human negligence"), default=False)
    penalty = models.CharField(
        _("proposed penalty"), max_length=16, choices=Penalty.choices, blank=True, default=""
    )
    meeting_at = models.DateTimeField(_("management meeting decided at"), null=True, blank=True)
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
            models.Index(
                fields=["-registered_at", "-id"],
                condition=Q(closed_at__isnull=True),
                name="complaint_open_recent_idx",
            ),
            models.Index(fields=["status", "due_at"], name="complaint_status_due_idx"),
            models.Index(fields=["customer", "-received_at"], name="complaint_customer_idx"),
            models.Index(fields=["received_at"], name="complaint_received_idx"),
            # one status, newest first ("every closed complaint"): the page's ids in index order.
            models.Index(fields=["status", "-registered_at", "-id"], name="complaint_status_recent_idx"),
            # status + dates sorted newest first ("every closed complaint of last quarter"):
            # the page's ids come from this index alone (selectors.paginate's deferred join).
            models.Index(
                fields=["status", "received_at", "registered_at", "id"], name="complaint_status_received_idx"
            ),
            models.Index(fields=["case_due_at"], name="complaint_case_due_idx"),
            models.Index(fields=["due_at"], name="complaint_due_idx"),
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="complaint_parent_idx"),
            # the list's outcome filter, newest first (only closed cases have one)
            models.Index(
                fields=["outcome", "-registered_at", "-id"],
                condition=~Q(outcome=""),
                name="complaint_outcome_recent_idx",
            ),
            models.Index(
                fields=["responsible_department"],
                condition=Q(responsible_department__isnull=False),
                name="complaint_resp_dept_idx",
            ),
        ]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    # What the case engine reads with the complaint when it takes an action.
    flow_related = ("customer", "responsible_department", "parent")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_key(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.NOT_ESTABLISHED)


def attachment_path(instance, filename: str) -> str:
    now = timezone.now()
    return f"complaints/{now:%Y/%m}/{instance.complaint.number}/{filename}"


class Attachment(StoredFile):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)


# --- the letters to the customer (R1.4) -------------------------------------------------------------


class CustomerReply(models.Model):
    """The letter that tells the customer the decision (R1.4): never the internal form."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="replies")
    letter = models.TextField(_("letter to the customer"))
    method = models.CharField(_("answered by"), max_length=8, choices=ReplyMethod.choices, default="letter")
    # A phone answer: whom our clerk (``recorded_by``) spoke with, and when.
    spoke_with = models.CharField(_("spoke with"), max_length=200, blank=True, default="")
    spoke_at = models.DateTimeField(_("spoke at"), null=True, blank=True)
    # Unknown until the customer confirms (or the follow-up call): closing waits for it.
    customer_accepts = models.BooleanField(_("customer accepts"), null=True, blank=True)
    confirmed_via = models.CharField(
        _("confirmed by"), max_length=24, choices=ConfirmVia.choices, blank=True, default=""
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
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


# --- the GM office's responsibility decision (002 篇4 第九条(六)(九)) -------------------------------


class Responsibility(models.Model):
    """One responsible department (and optionally a person in it) with its share of the case, as
    the GM office decided in its synthesis; the shares of a complaint add up to 100."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="responsibilities")
    department = models.ForeignKey(
        "core.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    share = models.PositiveSmallIntegerField(_("share (%)"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["department", "decided_at"], name="complaint_resp_dept_at_idx")]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.department_id} {self.share}%"
