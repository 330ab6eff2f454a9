"""Customer satisfaction (SPEC M10; 004 发动机顾客满意管理程序 6.2-6.5, 山西 4.7, COP14 5.1-5.2;
003 4.2; 002 篇1 附件1): templates with their items and scales, the annual plan, rounds (records
of the case engine) with one form per customer, the answers, the triggers a scored round raised.

A round's steps (collection, scoring, review), reminders and follow-up tasks are the case
engine's (``kefu.flow.models``), keyed by record type ``survey`` and the round's id. The
history is the audit trail (``kefu.core.audit``). The arithmetic is ``kefu.surveys.scoring``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .choices import AnswerChannel, FormState, Frequency, Level, Subject, TriggerKind

MONEY = {"max_digits": 14, "decimal_places": 2}
SCORE = {"max_digits": 9, "decimal_places": 4}


# --- templates ------------------------------------------------------------------------------------


class Template(models.Model):
    """A questionnaire: items rated on scales. Versioned (R10.2): a version that forms were sent
    with is never changed; editing it makes the next version of the same ``code``, which becomes
    the current one. ``pass_mark``: the score on 100 that counts as basic satisfaction where the
    seed names one (山西 4.7: 70)."""

    code = models.CharField(_("code"), max_length=32)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    seed = models.CharField(_("seed reference"), max_length=200, blank=True)
    pass_mark = models.DecimalField(
        _("basic satisfaction at"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_survey_template_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="uniq_survey_template_current"
            ),
        ]
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def audit_key(self) -> str:
        return f"{self.code}@{self.version}"

    @property
    def title(self) -> str:
        return self.name_en if self.name_en and not (get_language() or "zh").startswith("zh") else self.name


class Item(models.Model):
    """One question of a template, with its own scale (002 篇1 附件1 scores service differently from
    quality). ``levels``: best first, ``[{"code", "label", "label_en", "value"}]``; a level with
    ``"dissatisfied": true`` (不满意 / 很不满意) gets a named owner when chosen. ``weight``: the
    item's share when a template is normalised to 100 points (equal by default)."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=64)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("label"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=3, default=Decimal(1))
    # The department a corrective action about this item goes to (a department code); blank:
    # the setting ``surveys.capa_department``.
    department = models.CharField(_("responsible department"), max_length=32, blank=True)
    levels = models.JSONField(_("levels"), default=list)

    class Meta:
        ordering = ["template", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="uniq_survey_item_code")]
        verbose_name = _("survey item")
        verbose_name_plural = _("survey items")

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return (
            self.label_en if self.label_en and not (get_language() or "zh").startswith("zh") else self.label
        )


# --- the annual plan (R10.1) -------------------------------------------------------------------------


class Plan(models.Model):
    """The annual survey plan (顾客沟通年度计划), made in December for the next year (004 6.1)."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    template = models.ForeignKey(
        Template, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("made at"), default=timezone.now)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    made_late = models.BooleanField(_("made after December"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("survey plan")
        verbose_name_plural = _("survey plans")

    def __str__(self) -> str:
        return str(self.year)

    @property
    def audit_key(self) -> str:
        return str(self.year)


class PlanLine(models.Model):
    """One customer's planned surveys in the year: key customers quarterly, others every six
    months (客户满意度管理制度 四.2); ``months`` are the months of the year its rounds start in."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="lines")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    months = models.JSONField(_("months"), default=list)
    last_surveyed_on = models.DateField(_("last surveyed on"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "customer__code"]
        constraints = [models.UniqueConstraint(fields=["plan", "customer"], name="uniq_survey_plan_customer")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.customer_id} {self.frequency}"


# --- rounds (records of the case engine) -------------------------------------------------------------


class Status(models.TextChoices):
    COLLECTION = "collection", _("Collecting answers")
    SCORING = "scoring", _("Scoring")
    REVIEW = "review", _("Review")
    CLOSED = "closed", _("Closed")


CLOSED_STATES = (Status.CLOSED,)
OPEN_STATES = tuple(s for s in Status.values if s not in CLOSED_STATES)


class Round(models.Model):
    """One survey round (一次顾客满意度调查): its forms, the internal delivery figures of its
    period (004 6.4.2.2), its scores once scored (stored, with ``results`` holding every figure
    of the score sheet) and the triggers they raised."""

    number = models.CharField(_("number"), max_length=16, unique=True)
    year = models.PositiveIntegerField(_("year"))
    serial = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="rounds")
    plan_month = models.PositiveSmallIntegerField(_("plan month"), null=True, blank=True)
    template = models.ForeignKey(
        Template, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    collect_until = models.DateField(_("answers due by"))
    minimum_returns = models.PositiveIntegerField(_("minimum returned forms"), default=100)
    return_target = models.DecimalField(
        _("return-rate target (%)"), max_digits=5, decimal_places=2, default=Decimal(80)
    )
    minimum_competitor = models.PositiveIntegerField(_("minimum competitor answers"), default=10)

    # Internal figures of the period (004 6.4.2.2), entered or imported; the quality complaints
    # are counted from kefu's own complaints when the round is scored.
    deliveries = models.PositiveIntegerField(_("deliveries"), null=True, blank=True)
    on_time_deliveries = models.PositiveIntegerField(_("on-time deliveries"), null=True, blank=True)
    line_stops = models.PositiveIntegerField(_("line stops"), null=True, blank=True)
    excess_freight = models.DecimalField(_("excess freight"), null=True, blank=True, **MONEY)
    total_freight = models.DecimalField(_("total freight"), null=True, blank=True, **MONEY)
    quality_complaints = models.PositiveIntegerField(_("quality complaints"), null=True, blank=True)
    # Self-assessment by the salespeople (客户满意度管理制度 五.1), where that procedure is chosen.
    self_degree = models.DecimalField(_("self-assessed degree"), null=True, blank=True, **SCORE)
    self_rate = models.DecimalField(_("self-assessed rate (%)"), null=True, blank=True, **SCORE)

    # Results, stored when scored (full precision; rounded only when shown).
    external_score = models.DecimalField(_("external score"), null=True, blank=True, **SCORE)
    internal_score = models.DecimalField(_("internal score"), null=True, blank=True, **SCORE)
    total = models.DecimalField(_("total"), null=True, blank=True, **SCORE)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True)
    satisfaction_rate = models.DecimalField(_("satisfaction rate (%)"), null=True, blank=True, **SCORE)
    results = models.JSONField(_("results"), default=dict, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.COLLECTION)
    due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["year", "serial"], name="uniq_survey_round_serial")]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="survey_round_recent_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="survey_round_status_idx"),
            models.Index(fields=["due_at"], name="survey_round_due_idx"),
        ]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")

    flow_related = ("template",)

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_key(self) -> str:
        return self.number


class Form(models.Model):
    """One questionnaire of a round: a customer's about us, or an answer about a competitor
    (R10.6). Answered through its personal link (signed, expiring, single-use: ``token_nonce``
    changes to revoke every link issued) or entered by staff (oral / paper)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="forms")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("rates"), max_length=16, choices=Subject.choices, default=Subject.OURS)
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)
    is_key = models.BooleanField(_("key customer"), default=False)
    # The dissatisfied points of the customer's previous round (004 6.3.1: 考虑上次不满意状况).
    last_dissatisfied = models.JSONField(_("last round's dissatisfied points"), default=list, blank=True)

    # The personal link: ``token_nonce`` is signed into the token (``services.link_token``);
    # a new nonce revokes every link issued before. Valid until ``link_expires_at``.
    token_nonce = models.CharField(max_length=32, blank=True)
    link_expires_at = models.DateTimeField(_("link valid until"), null=True, blank=True)
    link_sent_at = models.DateTimeField(_("link sent at"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)

    state = models.CharField(_("state"), max_length=16, choices=FormState.choices, default=FormState.PENDING)
    channel = models.CharField(_("answered by"), max_length=16, choices=AnswerChannel.choices, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    respondent = models.CharField(_("respondent"), max_length=100, blank=True)
    # An explicit written complaint or opinion (004 6.4.3 d): a trigger, and a complaint.
    comment = models.TextField(_("explicit complaint or opinion"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    score = models.DecimalField(_("score"), null=True, blank=True, **SCORE)  # on 100, when returned
    complaint = models.ForeignKey(
        "complaints.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["round", "id"]
        indexes = [
            models.Index(fields=["round", "state", "id"], name="survey_form_round_idx"),
            models.Index(fields=["customer", "-returned_at"], name="survey_form_customer_idx"),
            models.Index(fields=["-id"], name="survey_form_recent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "customer"], condition=Q(subject="ours"), name="uniq_survey_form_customer"
            ),
        ]
        verbose_name = _("survey form")
        verbose_name_plural = _("survey forms")

    def __str__(self) -> str:
        return f"{self.round_id}/{self.pk}"

    @property
    def audit_key(self) -> str:
        return str(self.pk)

    @property
    def returned(self) -> bool:
        return self.state == FormState.RETURNED


class Answer(models.Model):
    """One rating on a returned form: the level chosen and its value on the item's scale."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(_("item"), max_length=64)
    level = models.CharField(_("level"), max_length=32, blank=True)
    value = models.DecimalField(_("value"), max_digits=7, decimal_places=2)
    dissatisfied = models.BooleanField(_("dissatisfied"), default=False)
    # The named owner of a 不满意 / 很不满意 answer (客户满意度管理制度 三.2); the engine's task
    # (``follow_up``) carries the deadline.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["form", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "item"], name="uniq_survey_answer_item")]
        indexes = [
            models.Index(fields=["item", "form"], name="survey_answer_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id}/{self.item}={self.value}"


class Trigger(models.Model):
    """What a scored round raised (R10.5): one row per trigger, ``key`` unique in the round, so
    scoring a round twice opens nothing twice. ``capa`` / ``complaint``: what it opened."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="triggers")
    key = models.CharField(max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=TriggerKind.choices)
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(_("item"), max_length=64, blank=True)
    score = models.DecimalField(_("score"), null=True, blank=True, **SCORE)
    capa = models.ForeignKey("capa.Capa", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    complaint = models.ForeignKey(
        "complaints.Complaint", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="uniq_survey_trigger_key")]
        verbose_name = _("survey trigger")
        verbose_name_plural = _("survey triggers")

    def __str__(self) -> str:
        return f"{self.round_id}/{self.key}"
