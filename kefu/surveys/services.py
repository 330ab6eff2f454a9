"""The survey services (SPEC M10): one function per user action, the only place that writes.

Workflow actions of a round (close the collection, remind, score, review, follow-ups) are the
case engine's ``perform`` (``kefu.flow.engine``) with the ``apply_*`` effects below; every
other change (plan, round, link, answers, figures, templates) is one transaction here that
writes its audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import Form, Plan, Round, Template

FLOW_NAME = "survey"
LINK_SALT = "kefu.surveys.form-link"


# --- templates (R10.2) ----------------------------------------------------------------------------------


def current_template(code: str = "default") -> Template:
    """The current version of template ``code`` (404 when there is none)."""
    raise NotImplementedError


@transaction.atomic
def edit_template(
    code: str, *, by, name: str | None = None, items: list[dict] | None = None, pass_mark=None
) -> Template:
    """Change a template: edited in place while no form uses it, else a new version (the old one
    stays as it was under its answered forms)."""
    raise NotImplementedError


# --- the annual plan (R10.1) ------------------------------------------------------------------------------


@transaction.atomic
def make_plan(year: int, *, by, template: Template | None = None, now: dt.datetime | None = None) -> Plan:
    """The annual plan for ``year``, made in December of the year before (004 6.1)."""
    raise NotImplementedError


def plan_gaps(plan: Plan) -> list:
    """Customers of ``plan`` who would go more than ``surveys.plan.max_gap_months`` without a survey."""
    raise NotImplementedError


def coverage(year: int, *, now: dt.datetime | None = None):
    """Coverage of the active customers in ``year``: planned and surveyed, against the 90 % target."""
    raise NotImplementedError


# --- rounds -----------------------------------------------------------------------------------------------


@transaction.atomic
def create_round_from_plan(
    plan: Plan,
    month: int,
    *,
    by,
    title: str = "",
    collect_until: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    template: Template | None = None,
    now: dt.datetime | None = None,
) -> Round:
    """A round for the plan's customers due in ``month``: one form per customer with last round's
    dissatisfied points; the collection step starts, due at ``collect_until``."""
    raise NotImplementedError


@transaction.atomic
def create_round(
    *,
    by,
    customers,
    title: str,
    template: Template | None = None,
    collect_until: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Round:
    """A round outside the plan (a special survey), for the given customers (codes or records)."""
    raise NotImplementedError


# --- forms and answers (R10.3, R10.6) -------------------------------------------------------------------


def link_token(form: Form) -> str:
    """The personal link's token of ``form`` (signed, expiring after ``surveys.link_days``)."""
    raise NotImplementedError


@transaction.atomic
def issue_link(form: Form, *, by, send: bool = True, now: dt.datetime | None = None) -> str:
    """A personal link for ``form``; with ``send`` it is e-mailed to the customer's contacts
    through the outbox. Returns the token (``/s/<token>`` on the pages)."""
    raise NotImplementedError


def form_by_token(token: str, *, now: dt.datetime | None = None) -> Form:
    """The form of a personal link: 404 unknown, 410 expired or revoked, 409 already answered or
    the round no longer collecting."""
    raise NotImplementedError


@transaction.atomic
def submit_by_token(
    token: str,
    *,
    answers: Mapping[str, object],
    comment: str = "",
    suggestions: str = "",
    respondent: str = "",
    now: dt.datetime | None = None,
) -> Form:
    """The customer answers through the personal link (no account); the link is used up."""
    raise NotImplementedError


@transaction.atomic
def enter_answers(
    form_id: int,
    *,
    by,
    answers: Mapping[str, object],
    comment: str = "",
    suggestions: str = "",
    respondent: str = "",
    channel: str = "oral",
    now: dt.datetime | None = None,
) -> Form:
    """Staff enter an oral or paper answer on the same form (004 6.3.1)."""
    raise NotImplementedError


@transaction.atomic
def add_competitor_form(
    round_: Round,
    *,
    by,
    competitor: str,
    answers: Mapping[str, object],
    customer=None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Form:
    """An answer about a competitor (R10.6), entered by staff."""
    raise NotImplementedError


# --- internal figures -------------------------------------------------------------------------------------


@transaction.atomic
def set_internal_figures(
    round_: Round,
    *,
    by,
    deliveries: int,
    on_time_deliveries: int,
    line_stops: int,
    excess_freight: Decimal,
    total_freight: Decimal,
    self_degree: Decimal | None = None,
    self_rate: Decimal | None = None,
    now: dt.datetime | None = None,
) -> Round:
    """The delivery figures of the round's period (004 6.4.2.2)."""
    raise NotImplementedError


def import_internal_figures(round_: Round, *, by, upload) -> Round:
    """The delivery figures from an Excel sheet (a row per figure: name, value)."""
    raise NotImplementedError


def count_quality_complaints(round_: Round) -> int:
    """kefu's own complaints of the round's period: category quality, found valid."""
    raise NotImplementedError


def score_now(round_: Round, *, now: dt.datetime | None = None):
    """The round's figures as scoring would store them now (``scoring.Result``), without saving."""
    raise NotImplementedError


def _now(now):
    return now or timezone.now()


# --- the round's workflow effects (called by the case engine inside its transaction) -----------------


def apply_remind(ctx) -> None:
    """Remind every customer whose form is not returned: a fresh personal link by e-mail to the
    customer's contacts (outbox), and the key customers still missing named to sales."""
    raise NotImplementedError


def apply_close_collection(ctx) -> None:
    """The collection ends: the unanswered forms stay unanswered (the return rate counts them)."""
    raise NotImplementedError


def apply_score(ctx) -> None:
    """Score the round (004 6.4.2) and act on the triggers (6.4.3): a CAPA per trigger, a complaint
    per explicit written complaint (channel survey), a named owner and follow-up task per
    dissatisfied answer. Idempotent: a trigger already raised opens nothing again."""
    raise NotImplementedError


def apply_follow_up(ctx) -> None:
    """A follow-up task done: what was done, and whether the customer was told (003 4.5.3.7)."""
    raise NotImplementedError
