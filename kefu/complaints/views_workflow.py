"""Workflow pages: the panel on the complaint page, the action forms, the work lists (issue 4).

Views parse, call ``actions`` and render; htmx requests get the refreshed
panel back, plain POSTs a redirect with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache as django_cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core import access, config, outbox
from kefu.core.errors import KefuError
from kefu.core.workcalendar import WorkCalendar

from . import actions, deadlines, forms_workflow, reminders, selectors, workflow
from .choices import Step
from .models import Complaint, ReminderNotice

PANEL = "complaints/_partials/workflow_panel_body.html"


def clock(due_at, done_at, now, calendar) -> dict:
    """The working-day clock of one step: due, remaining or late by."""
    if done_at is not None:
        late = deadlines.late_workdays(due_at, done_at, calendar)
        return {"done": True, "late_by": late, "remaining": None}
    remaining = deadlines.remaining_workdays(due_at, now, calendar)
    return {"done": False, "late_by": -remaining if remaining < 0 else 0, "remaining": max(remaining, 0)}


def panel_context(
    user,
    complaint: Complaint,
    *,
    steps: list | None = None,
    records: selectors.CaseRecords | None = None,
    error: str = "",
    field: str = "",
    done: str = "",
) -> dict:
    """``steps``, ``records``: the case's, if the caller has read them (the detail page has), else read here."""
    now = timezone.now()
    cal = WorkCalendar.cached()
    steps = selectors.steps_of(complaint) if steps is None else steps
    sit = actions.situation(complaint, config.snapshot(), steps=steps)
    allowed = workflow.allowed_actions(complaint, user, sit)
    for s in steps:
        s.clock = clock(s.due_at, s.done_at, now, cal)
        s.current = sit.step is not None and s.pk == sit.step.pk
    records = selectors.case_records(complaint) if records is None else records
    inquiries = records.inquiries
    mine = access.departments(user)
    for i in inquiries:
        i.may_answer = i.answered_at is None and i.department.code in mine
    approval = None
    if complaint.status == "approval":
        approval = workflow.AUTHORITY_LABELS[workflow.required_authority(complaint.loss_amount, sit.settings)]
    return {
        "complaint": complaint,
        "steps": steps,
        "current": sit.step,
        "forms": [
            {
                "name": name,
                "label": _(workflow.ACTIONS[name].label),
                "inputs": forms_workflow.INPUTS[name],
                "transition": workflow.ACTIONS[name].closes_step,
            }
            for name in allowed
        ],
        "owners": sorted(workflow.step_owners(complaint, sit.step)) if sit.step else [],
        "approval_level": approval,
        "reminders": records.reminders,
        "inquiries": inquiries,
        "memos": records.memos,
        "extensions": records.extensions,
        "meetings": records.meetings,
        "replies": records.replies,
        "messages_out": outbox.for_object("complaint", complaint.number),
        "error": error,
        "error_field": field,
        "done": done,
    }


def _complaint(request, number, what: str = "view"):
    return selectors.get_complaint(request.user, number, what=what, request=request)


@login_required
def panel(request, number: str):
    try:
        complaint = _complaint(request, number)
    except KefuError as exc:
        return render(request, "complaints/work/refused.html", {"error": exc.detail}, status=exc.status)
    return render(request, PANEL, panel_context(request.user, complaint))


@login_required
@require_POST
def act(request, number: str, action: str):
    htmx = request.headers.get("HX-Request") == "true"
    try:
        _complaint(request, number, f"action {action}")
        result = actions.perform(
            number, action, by=request.user, payload=forms_workflow.parse(action, request.POST)
        )
    except KefuError as exc:
        if htmx:
            try:
                complaint = _complaint(request, number)
            except KefuError:
                return render(
                    request, "complaints/work/refused.html", {"error": exc.detail}, status=exc.status
                )
            ctx = panel_context(request.user, complaint, error=exc.detail, field=exc.field or "")
            ctx["failed_action"] = action
            ctx["posted"] = request.POST
            return render(request, PANEL, ctx, status=200)
        messages.error(request, exc.detail)
        return redirect(_back(request, number))
    django_cache.delete(badge_key(request.user))
    text = _("%(action)s done: the case is now %(status)s.") % {
        "action": _(workflow.ACTIONS[action].label),
        "status": result.complaint.get_status_display(),
    }
    if result.followup is not None:
        text += " " + _("New complaint %(number)s opened.") % {"number": result.followup.number}
    if htmx:
        complaint = Complaint.objects.get(pk=result.complaint.pk)
        response = render(request, PANEL, panel_context(request.user, complaint, done=text))
        response["HX-Trigger"] = "kefu:workflow-changed"
        return response
    messages.success(request, text)
    return redirect(_back(request, number))


def _back(request, number: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return reverse("complaints:detail", args=[number]) + "#workflow"


@login_required
@require_POST
def answer_inquiry(request, pk: int):
    try:
        actions.answer_inquiry(pk, by=request.user, reason=request.POST.get("reason", ""))
        django_cache.delete(badge_key(request.user))
        messages.success(request, _("Answer recorded."))
    except KefuError as exc:
        messages.error(request, exc.detail)
    target = request.POST.get("next", "")
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else "complaints_work:list"
    )


@login_required
def work_list(request):
    """My department's open steps (late first), my reminders, inquiries to answer (R5.3)."""
    user = request.user
    now = timezone.now()
    cal = WorkCalendar.load()
    settings = config.snapshot()
    steps = list(reminders.open_steps(user)[:300])
    for s in steps:
        s.clock = clock(s.due_at, None, now, cal)
        sit = workflow.Situation(step=s, settings=settings)
        name = _primary_action(s)
        s.action = None
        if name and workflow.permitted(workflow.ACTIONS[name], s.complaint, user, sit):
            s.action = {
                "name": name,
                "label": _(workflow.ACTIONS[name].label),
                "inputs": forms_workflow.INPUTS[name],
            }
    return render(
        request,
        "complaints/work/list.html",
        {
            "steps": steps,
            "late_count": sum(1 for s in steps if s.clock["late_by"]),
            "my_reminders": list(reminders.my_reminders(user)[:200]),
            "to_answer": list(reminders.inquiries_to_answer(user)[:200]),
            "unanswered": list(reminders.unanswered_for_gm_office(user)[:200]),
            "levels": dict(ReminderNotice.Level.choices),
            "nav": "work",
        },
    )


PRIMARY = {
    Step.ASSIGN: "assign",
    Step.INVESTIGATION: "submit_investigation",
    Step.COUNTERMEASURE: "submit_countermeasure",
    Step.RD_OPINION: "submit_rd_opinion",
    Step.PROPOSAL: "submit_proposal",
    Step.SYNTHESIS: "submit_synthesis",
    Step.APPROVAL: "approve",
    Step.REPLY: "record_reply",
}


def _primary_action(step) -> str | None:
    name = PRIMARY.get(step.step)
    if name and step.complaint.status in workflow.ACTIONS[name].from_states:
        return name
    return None


BADGE_SECONDS = 30


def badge_key(user) -> str:
    return f"kefu:work-badge:{user.pk}"


def work_badge(request) -> dict:
    """Context processor: ``kefu_work_badge`` for the navigation; counted only when a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"kefu_work_badge": 0}
    cache = {}

    def count():
        if "n" not in cache:
            # Shared for a short while: the counts run on every page of every user.
            cache["n"] = django_cache.get_or_set(
                badge_key(user), lambda: reminders.badge_count(user), BADGE_SECONDS
            )
        return cache["n"]

    return {"kefu_work_badge": count}
