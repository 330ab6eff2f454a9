from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    """R3.1"""

    PHONE = "phone", _("Phone")
    FAX = "fax", _("Fax")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")
    WEB = "web", _("Web form")
    SURVEY = "survey", _("Survey")
    ON_SITE = "on_site", _("On site")
    INTERNAL = "internal", _("Internal")


class Category(models.TextChoices):
    """R3.4"""

    QUALITY = "quality", pgettext_lazy("complaint category", "Quality")  # 品质, not the department
    NON_QUALITY = "non_quality", _("Non-quality (human-caused)")


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    MAJOR = "major", _("Major")
    SERIOUS = "serious", _("Serious")


class Validity(models.TextChoices):
    PENDING = "pending", _("Not yet decided")
    VALID = "valid", _("Valid")
    NOT_ESTABLISHED = "not_established", _("Not established")


class CustomerRequest(models.TextChoices):
    """R3.2 and the handling choices of the proposal step."""

    RETURN = "return", _("Return")
    EXCHANGE = "exchange", _("Exchange")
    ALLOWANCE = "allowance", _("Allowance")
    COMPENSATION = "compensation", _("Compensation")
    EXPLANATION = "explanation", _("Explanation")
    REWORK = "rework", _("Rework on site")


class Status(models.TextChoices):
    """Case states; the transitions between them live in ``workflow.py``."""

    REGISTERED = "registered", _("Registered")
    INVESTIGATING = "investigating", _("Investigating")
    COUNTERMEASURE = "countermeasure", _("Countermeasure")
    RD_REVIEW = "rd_review", _("R&D review")
    NEGOTIATION = "negotiation", _("Negotiation")
    SYNTHESIS = "synthesis", _("Synthesis")
    APPROVAL = "approval", _("Approval")
    REPLY = "reply", _("Reply")
    CLOSED = "closed", _("Closed")
    NOT_ESTABLISHED = "not_established", _("Not established")


CLOSED_STATES = (Status.CLOSED, Status.NOT_ESTABLISHED)
OPEN_STATES = tuple(s for s in Status.values if s not in CLOSED_STATES)


class Step(models.TextChoices):
    """Workflow steps, each owned by a department and with its own deadline (M4)."""

    ASSIGN = "assign", _("Assign")
    INVESTIGATION = "investigation", _("Investigation")
    COUNTERMEASURE = "countermeasure", _("Countermeasure")
    RD_OPINION = "rd_opinion", _("R&D opinion")
    PROPOSAL = "proposal", _("Proposal")
    SYNTHESIS = "synthesis", _("Synthesis")
    APPROVAL = "approval", _("Approval")
    REPLY = "reply", _("Reply")
    # Tasks beside the steps (kefu.flow: kind task), after a complaint is found not established.
    EXPLANATION = "explanation", _("Explanation to the customer")
    COLLECTION = "collection", _("Collection of the receivable")
