"""The case engine's tables: one steps table for every kind of record, and what is keyed to it.

A record (a complaint, a corrective action, an audit ...) is named by its flow
(``record_type``, e.g. ``complaint``) and its primary key (``record_id``); its
human key (``record_key``, e.g. ``202611-0001``) and its customer are copied
onto each step, so that "the open steps of my departments", "what is overdue"
and "only the customers I may see" are each one indexed query across all
record types, without joining every record table. The engine imports no
domain app: ``customer_id`` is a plain column, filtered by the access scope
that the customers app registers (``kefu.flow.access``).

Besides its workflow steps (``kind = step``, one open at a time) a record may have tasks
(``kind = task``) open beside them or after it closed: a memo's ruling by the GM, the explanation
to a customer whose complaint was not established. A record with a deadline of its
own (the complaint's 15 / 20 days) has one ``kind = case`` row that opens with
the record and closes with it, so the case deadline gets reminder notices and
lateness inquiries exactly as a step does (002 篇4 第十四条).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.choices import Role

from . import clocks


class Kind(models.TextChoices):
    STEP = "step", _("Step")
    CASE = "case", _("Case deadline")
    TASK = "task", _("Task")


# What a work list and a badge show: the workflow steps and the tasks beside them (not the case
# deadline). The open-steps index has this very condition, so the planner matches it as written.
WORK_KINDS = (Kind.STEP.value, Kind.TASK.value)


class Unit(models.TextChoices):
    WORKDAYS = clocks.WORKDAYS, _("working days")
    DAYS = clocks.DAYS, _("calendar days")
    HOURS = clocks.HOURS, _("hours")
    WORK_HOURS = clocks.WORK_HOURS, _("working hours")


CASE_CODE = "case"


class Step(models.Model):
    """One step of a record (or its case deadline): owner, role, clock, completion, what was submitted."""

    record_type = models.CharField(_("record type"), max_length=32)
    record_id = models.BigIntegerField()
    record_key = models.CharField(_("record"), max_length=32)
    # The record's customer (R1.2: who may see this step); a plain column, see the module docstring.
    customer_id = models.BigIntegerField(null=True, blank=True)

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.STEP)
    code = models.CharField(_("step"), max_length=32)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    # The lowest role of the department that may act (reminders go to its holders).
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.CLERK)
    # A second owner (the GM office handles a supplier's case jointly, 002 篇4 第九条(十二)).
    co_department = models.ForeignKey(
        "core.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
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
    unit = models.CharField(_("clock"), max_length=16, choices=Unit.choices, default=Unit.WORKDAYS)
    allowed = models.PositiveIntegerField(_("time allowed"), default=0)
    extended = models.PositiveIntegerField(_("extended by"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            # The sweep: open steps and case deadlines past due, across all record types.
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="flow_step_open_due_idx"),
            # Work lists and badges: the open steps of a department, by deadline.
            models.Index(
                fields=["department", "due_at"],
                condition=Q(done_at__isnull=True, kind__in=WORK_KINDS),
                name="flow_step_dept_open_idx",
            ),
            models.Index(
                fields=["co_department", "due_at"],
                condition=Q(done_at__isnull=True, co_department__isnull=False),
                name="flow_step_codept_open_idx",
            ),
            models.Index(
                fields=["assignee", "due_at"],
                condition=Q(done_at__isnull=True, assignee__isnull=False),
                name="flow_step_assignee_open_idx",
            ),
            models.Index(fields=["record_type", "record_id", "started_at"], name="flow_step_record_idx"),
            models.Index(
                fields=["done_by"], condition=Q(done_by__isnull=False), name="flow_step_done_by_idx"
            ),
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_key}:{self.code}"

    @property
    def is_case(self) -> bool:
        return self.kind == Kind.CASE

    @property
    def late(self) -> bool:
        return (self.done_at or timezone.now()) > self.due_at


class ReminderLevel(models.IntegerChoices):
    DEPARTMENT = 0, _("Owning department")
    MANAGER = 1, _("Department manager")
    GM = 2, _("General manager")


class Reminder(models.Model):
    """催办单: an overdue open step, one notice per escalation level (002 篇4 第十四条, R5.3)."""

    Level = ReminderLevel

    # No index of their own: the unique (step, level) and (department, -issued_at) indexes lead
    # with these columns (the sweep writes a notice per step and level: each index costs it).
    # No foreign-key constraint in the database either: the sweep's INSERT ... SELECT is the only
    # writer and copies both from the step row it reads, so they exist when the notice is written;
    # Django still cascades a deleted step and protects a department. The two checks per notice
    # cost PostgreSQL more than the rest of the sweep (each locks the step row: 1.0 of 2.4 s for
    # 104,000 notices at 1,000,000 complaints).
    step = models.ForeignKey(
        Step, on_delete=models.CASCADE, related_name="reminders", db_index=False, db_constraint=False
    )
    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=ReminderLevel.choices)
    step_due_at = models.DateTimeField(_("step due at"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["step", "level"], name="flow_uniq_reminder_step_level")
        ]
        indexes = [
            models.Index(fields=["department", "-issued_at"], name="flow_reminder_dept_idx"),
            models.Index(fields=["record_type", "record_id", "-issued_at"], name="flow_reminder_record_idx"),
        ]
        verbose_name = _("reminder notice")
        verbose_name_plural = _("reminder notices")

    def __str__(self) -> str:
        return f"催办 {self.step_id} L{self.level}"


class Inquiry(models.Model):
    """治办单: after closing, one per step (or case deadline) that finished late; its department
    answers with the reason (002 篇4 第十四条)."""

    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="inquiry")
    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
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
                name="flow_inquiry_open_idx",
            ),
            models.Index(fields=["record_type", "record_id"], name="flow_inquiry_record_idx"),
        ]
        verbose_name = _("lateness inquiry")
        verbose_name_plural = _("lateness inquiries")

    def __str__(self) -> str:
        return f"治办 {self.step_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class Extension(models.Model):
    """More time for one step, in the step's own unit, approved by the managers (002 篇1 第十一条(三))."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="extensions")
    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    amount = models.PositiveSmallIntegerField(_("amount"))  # in the step's unit
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
                fields=["step"], condition=Q(decided_at__isnull=True), name="flow_uniq_open_extension"
            ),
        ]
        indexes = [models.Index(fields=["record_type", "record_id"], name="flow_extension_record_idx")]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    def __str__(self) -> str:
        return f"+{self.amount} {self.step_id}"


class Ruling(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    OVERRULED = "overruled", _("Overruled")


class Memo(models.Model):
    """签呈: a department's formal objection to a decision, sent to the GM (002 篇4 第九条(十一), R4.3).

    Filed while the record is open or after it closed; it opens a task for the GM (``task``), who
    rules on it: upheld or overruled, with a note; an upheld memo may send the record back to a
    step (``reopen_at``)."""

    Ruling = Ruling

    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="+")
    status_at = models.CharField(_("status when filed"), max_length=32)
    text = models.TextField(_("memo"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    task = models.OneToOneField(
        Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="memo", verbose_name=_("task")
    )
    ruling = models.CharField(_("ruling"), max_length=16, choices=Ruling.choices, blank=True)
    ruling_note = models.TextField(_("ruling note"), blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ruled_at = models.DateTimeField(_("ruled at"), null=True, blank=True)
    reopen_at = models.CharField(_("reopened at step"), max_length=32, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="flow_memo_record_idx")]
        verbose_name = _("memo (签呈)")
        verbose_name_plural = _("memos (签呈)")

    def __str__(self) -> str:
        return f"签呈 {self.record_type}:{self.record_id} {self.at:%Y-%m-%d}"


class Meeting(models.Model):
    """A decision of the management meeting (经理办公会) on a record (002 篇1 第十一条(二), R4.4)."""

    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    decision = models.TextField(_("decision"))
    attendees = models.TextField(_("attendees"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="flow_meeting_record_idx")]
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_id} meeting {self.recorded_at:%Y-%m-%d}"


class Notice(models.Model):
    """An advance notice ("heads-up"): a mail at a set time before a date of a record (an audit's
    start, its closing meeting), for the flows that declare them (``Flow.notices``). Written when the
    record is planned or its date moves (``kefu.flow.notices.schedule``), sent once by the notice
    pass of the schedule (``kefu.flow.notices.send_due``), never by the reminder sweep: a flow without
    notices has no rows here, and the sweep of overdue steps reads nothing of this table."""

    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    record_key = models.CharField(_("record"), max_length=32)
    customer_id = models.BigIntegerField(null=True, blank=True)
    code = models.CharField(_("notice"), max_length=32)
    about = models.DateTimeField(_("about the moment"))  # the record's date the notice announces
    at = models.DateTimeField(_("due at"))  # when it goes out
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    mails = models.PositiveIntegerField(_("messages"), default=0)
    skipped = models.CharField(_("skipped"), max_length=32, blank=True)  # why nothing went out

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "code", "about"],
                name="flow_uniq_notice_record_code_about",
            )
        ]
        indexes = [
            # The notice pass: the unsent notices that are due, one range of this index.
            models.Index(fields=["at"], condition=Q(sent_at__isnull=True), name="flow_notice_due_idx"),
        ]
        verbose_name = _("advance notice")
        verbose_name_plural = _("advance notices")

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_key}:{self.code}@{self.at:%Y-%m-%d %H:%M}"
