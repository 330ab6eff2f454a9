"""The requirement registers (SPEC M12; 000 HSF 法律法规及客户要求识别, 004 顾客特殊要求管理程序,
000 CSR 稽查 4.3-4.4): customer-specific requirements (CSR) with their source documents and
every department's review, red lines, CMRT reports; the HSF registers (customers' substance limits,
applicable laws) and the cycles that collect them.

Two record types of the case engine (``kefu.flow``): a requirement's review (``csr``: one task per
named department, 004 5.2 各相关部门评审) and an HSF cycle (``hsf``: the annual and change-triggered
collection of a customer's limits, the half-yearly law collection, the compliance evaluation). Their
steps, deadlines, reminders and work-list rows are the engine's.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.models import StoredFile


class CsrStatus(models.TextChoices):
    REVIEW = "review", _("Under department review")
    ACTION = "action", _("Reviewed, actions open")
    IN_FORCE = "in_force", _("Reviewed, in force")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CSR_CLOSED = (CsrStatus.IN_FORCE, CsrStatus.WITHDRAWN)


class Answer(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    NEEDS_ACTION = "needs_action", _("Needs action")


class CsrDocument(models.Model):
    """A customer's source document (its CSR manual, a specification, a quality agreement)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("document number"), max_length=64)
    revision = models.CharField(_("revision"), max_length=16)
    issued_on = models.DateField(_("document date"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["customer_id", "number", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "number", "revision"], name="uniq_csr_document_revision"
            )
        ]
        verbose_name = _("CSR document")
        verbose_name_plural = _("CSR documents")

    def __str__(self) -> str:
        return f"{self.number} {self.revision} {self.title}"


class Requirement(models.Model):
    """One customer-specific requirement; its review by the departments is a record of the engine."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    period = models.PositiveIntegerField(help_text="YYYYMM of registration")
    serial = models.PositiveIntegerField()
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    document = models.ForeignKey(
        CsrDocument, verbose_name=_("source document"), on_delete=models.PROTECT, related_name="requirements"
    )
    clause = models.CharField(_("clause"), max_length=32, blank=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("requirement"))
    red_line = models.BooleanField(_("red line"), default=False)
    # The departments that review it (codes), in order; one Review row each.
    departments = models.JSONField(_("departments"), default=list)
    # Our documents that implement it (number, title, revision), 000 CSR 4.3 3).
    linked_documents = models.JSONField(_("linked documents"), default=list, blank=True)
    opened_at = models.DateTimeField(_("registered at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CsrStatus.choices, default=CsrStatus.REVIEW)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["period", "serial"], name="uniq_csr_period_serial")]
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="csr_recent_idx"),
            models.Index(fields=["status", "-opened_at", "-id"], name="csr_status_recent_idx"),
            models.Index(fields=["customer", "-opened_at", "-id"], name="csr_customer_recent_idx"),
            models.Index(
                fields=["customer", "-opened_at"], condition=Q(red_line=True), name="csr_red_line_idx"
            ),
        ]
        verbose_name = _("customer-specific requirement")
        verbose_name_plural = _("customer-specific requirements")

    flow_related = ("customer", "document")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_key(self) -> str:
        return self.number


class Review(models.Model):
    """One department's review of one requirement (004 顾客特殊要求评审记录表): accepted, not
    applicable, or needs action (with the action and its owner)."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="reviews")
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(_("answer"), max_length=16, choices=Answer.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    action = models.TextField(_("action"), blank=True)
    action_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_due = models.DateField(_("action due"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    action_done_at = models.DateTimeField(_("action done at"), null=True, blank=True)
    action_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_result = models.TextField(_("action result"), blank=True)

    class Meta:
        ordering = ["requirement_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "department"], name="uniq_csr_review_department")
        ]
        verbose_name = _("department review")
        verbose_name_plural = _("department reviews")

    def __str__(self) -> str:
        return f"{self.requirement_id}:{self.department_id} {self.answer or '-'}"

    @property
    def answered(self) -> bool:
        return bool(self.answer)

    @property
    def action_open(self) -> bool:
        return self.answer == Answer.NEEDS_ACTION and self.action_done_at is None


def file_path(instance, filename: str) -> str:
    now = timezone.now()
    return f"requirements/{now:%Y/%m}/{instance.customer_id}/{filename}"


class RequirementFile(StoredFile):
    """A source document's file, a conflict-minerals report (CMRT, 000 CSR 4.4 1.2.4) with its date,
    or a document linked to a requirement; checked as the complaint's files are."""

    class Kind(models.TextChoices):
        SOURCE = "source", _("source document")
        CMRT = "cmrt", _("conflict-minerals report (CMRT)")
        LINKED = "linked", _("linked document")

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        CsrDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    dated = models.DateField(_("report date"), null=True, blank=True)
    file = models.FileField(upload_to=file_path, max_length=300)

    class Meta(StoredFile.Meta):
        indexes = [models.Index(fields=["customer", "kind", "-dated"], name="csr_file_customer_idx")]


# --- HSF / RoHS (000 HSF 法律法规及客户要求识别作业指导书) -----------------------------------------


class CycleKind(models.TextChoices):
    ANNUAL = "annual", _("Annual collection of customer limits (December)")
    CHANGE = "change", _("Collection on a customer's change")
    LAWS = "laws", _("Half-yearly collection of laws")
    EVALUATION = "evaluation", _("Compliance evaluation")


CUSTOMER_KINDS = (CycleKind.ANNUAL, CycleKind.CHANGE)


class CycleStatus(models.TextChoices):
    COLLECT = "collect", _("Collecting")
    IDENTIFY = "identify", _("Quality identification")
    APPROVAL = "approval", _("HSPM representative approval")
    APPROVED = "approved", _("Approved")


CYCLE_CLOSED = (CycleStatus.APPROVED,)


class Regime(models.TextChoices):
    ROHS = "rohs", "RoHS"
    REACH = "reach", "REACH"
    UL = "ul", "UL"
    CUSTOMER = "customer", _("customer list")
    OTHER = "other", _("other")


class HsfCycle(models.Model):
    """One collection or evaluation: a record of the engine. ``scope`` + ``period`` are unique per
    kind (one annual cycle per customer and year, one law collection per half-year), so a
    scheduled job run twice, or twice at once, opens one."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CycleKind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope = models.CharField(max_length=40, help_text="the customer's code, or '*' for the company")
    period = models.CharField(
        _("period"), max_length=32, help_text="2026, 2026H2, or the change's date and serial"
    )
    reason = models.TextField(_("reason"), blank=True)
    due_by = models.DateField(_("due by"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    identified_at = models.DateTimeField(_("identified at"), null=True, blank=True)
    identified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.TextField(_("evaluation result"), blank=True)
    compliant = models.BooleanField(_("compliant"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CycleStatus.choices, default=CycleStatus.COLLECT
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope", "period"], name="uniq_hsf_cycle_period")
        ]
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="hsf_recent_idx"),
            models.Index(fields=["customer", "-opened_at"], name="hsf_customer_idx"),
        ]
        verbose_name = _("HSF cycle")
        verbose_name_plural = _("HSF cycles")

    flow_related = ("customer",)

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @property
    def audit_key(self) -> str:
        return self.number

    @property
    def for_customer(self) -> bool:
        return self.kind in CUSTOMER_KINDS


class SubstanceLimit(models.Model):
    """A customer's limit for one substance, as a cycle collected it; ``current`` once the HSPM
    representative approved that cycle (the customer's earlier limits are then superseded)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(HsfCycle, on_delete=models.CASCADE, related_name="limits")
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    substance = models.CharField(_("substance"), max_length=120)
    cas = models.CharField(_("CAS number"), max_length=32, blank=True)
    limit = models.DecimalField(_("limit"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=16)
    source = models.CharField(_("source"), max_length=200)
    current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["regime", "substance", "id"]
        indexes = [
            models.Index(
                fields=["customer", "regime"], condition=Q(current=True), name="hsf_limit_current_idx"
            )
        ]
        verbose_name = _("substance limit")
        verbose_name_plural = _("substance limits")

    def __str__(self) -> str:
        return f"{self.substance} {self.limit} {self.unit}"


class Law(models.Model):
    """An applicable law or regulation (RoHS, REACH, UL ...) with its version and date, as a law
    collection recorded it; ``current`` once that collection was approved."""

    cycle = models.ForeignKey(HsfCycle, on_delete=models.CASCADE, related_name="laws")
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    title = models.CharField(_("law or regulation"), max_length=200)
    version = models.CharField(_("version"), max_length=64)
    issued_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["regime", "title", "-issued_on"]
        verbose_name = _("applicable law")
        verbose_name_plural = _("applicable laws")

    def __str__(self) -> str:
        return f"{self.title} {self.version}"
