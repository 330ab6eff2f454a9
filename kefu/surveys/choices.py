"""Stable codes of the survey domain (SPEC M10)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """The degree of satisfaction of a score on 100 points (004 6.4.2)."""

    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    SATISFIED = "satisfied", _("Satisfied")
    VERY_SATISFIED = "very_satisfied", _("Very satisfied")


class Frequency(models.TextChoices):
    """How often a customer is surveyed (R10.1; 客户满意度管理制度 四.2)."""

    QUARTERLY = "quarterly", _("Quarterly (key customer)")
    SEMIANNUAL = "semiannual", _("Every six months")


class Subject(models.TextChoices):
    """Whom a form rates: us, or a competitor (R10.6, 004 四.3(2))."""

    OURS = "ours", _("Our company")
    COMPETITOR = "competitor", _("Competitor")


class FormState(models.TextChoices):
    PENDING = "pending", _("Not answered")
    RETURNED = "returned", _("Returned")


class AnswerChannel(models.TextChoices):
    """How a returned form came back: the personal link, or answers taken by staff (004 6.3.1:
    客户口头回复的信息由营销部详细填写)."""

    LINK = "link", _("Personal link")
    ORAL = "oral", _("Oral, entered by staff")
    PAPER = "paper", _("Paper form, entered by staff")


class TriggerKind(models.TextChoices):
    """Why a corrective action is opened (R10.5, 004 6.4.3 a-d)."""

    ITEM_LOW = "item_low", _("An item rated too low")
    CUSTOMER_LOW = "customer_low", _("A customer's score too low")
    TOTAL_LOW = "total_low", _("The total score too low")
    EXPLICIT_COMMENT = "explicit_comment", _("An explicit written complaint")
