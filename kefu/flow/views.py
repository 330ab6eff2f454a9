"""The engine's pages: the work list (/work/), a record's workflow panel, its action forms, the
answer to a lateness inquiry. Views parse, call the engine and render; an htmx request gets the
refreshed panel back, a plain POST a redirect with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache as django_cache
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core import access as core_access
from kefu.core import config, outbox
from kefu.core.errors import Invalid, KefuError
from kefu.core.workcalendar import WorkCalendar

from . import clocks, engine, forms, registry, selectors
from .models import Kind, ReminderLevel
from .spec import Flow, Situation

PANEL = "flow/_partials/panel.html"


def safe_next(request, default: str) -> str:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return default


# --- the panel on a record's page ----------------------------------------------------------------


def panel_context(
    flow: Flow,
    record,
    user,
    *,
    steps: list | None = None,
    records: selectors.CaseRecords | None = None,
    result: engine.Result | None = None,
    error: KefuError | None = None,
    failed_action: str = "",
    posted=None,
    done: str = "",
) -> dict:
    """Everything the panel shows; ``steps`` / ``records``: the record's, if the caller has read them
    (the record's page, an action's result), else read here."""
    now = timezone.now()
    cal = WorkCalendar.cached()
    if result is not None:
        steps = result.steps
    steps = list(engine.steps_query(flow, record.pk)) if steps is None else steps
    sit = engine.situation(flow, record, steps, config.snapshot())
    allowed = result.allowed if result is not None else flow.allowed(user, sit)
    timeline = []
    for s in steps:
        s.clock = clocks.read(s.due_at, s.done_at, now, s.unit, cal)
        s.current = sit.step is not None and s.pk == sit.step.pk
        s.label = engine.step_label(flow, s)
        if s.kind != Kind.CASE:
            timeline.append(s)
    case_row = next((s for s in steps if s.kind == Kind.CASE), None)
    records = records_of(flow, record) if records is None else records
    mine = core_access.departments(user)
    for i in records.inquiries:
        i.may_answer = i.answered_at is None and i.department.code in mine
        i.label = engine.step_label(flow, i.step)
    for r in records.reminders:
        r.label = engine.step_label(flow, r.step)
    for m in records.memos:
        spec = flow.steps.get(m.reopen_at) if m.reopen_at else None
        m.reopen_label = str(spec.label) if spec is not None else m.reopen_at
    errors = {}
    if error is not None and error.field:
        errors = {e["field"]: e["message"] for e in error.extra.get("errors", [])} or {
            error.field: error.detail.split(": ", 1)[-1]
        }
    action_forms = []
    for name in allowed:
        action = flow.actions[name]
        failed = name == failed_action
        action_forms.append(
            {
                "name": name,
                "label": _(action.label),
                "inputs": forms.form_inputs(
                    action, posted=posted if failed else None, errors=errors if failed else None
                ),
                "transition": action.closes_step,
                "failed": failed,
            }
        )
    extra = flow.panel_extra(record, given=records) if flow.panel_extra is not None else {}
    return {
        **extra,
        "flow": flow,
        "record": record,
        "record_key": flow.key(record),
        "is_open": flow.is_open(record),
        "status_label": flow.status_label(record.status),
        "steps": timeline,
        "case_row": case_row,
        "current": sit.step,
        "owners": sorted(sit.owners()),
        "forms": action_forms,
        "notes": flow.panel_notes(record, sit) if flow.panel_notes is not None else [],
        "reminders": records.reminders,
        "inquiries": records.inquiries,
        "memos": records.memos,
        "extensions": records.extensions,
        "meetings": records.meetings,
        "messages_out": outbox.for_object(flow.name, flow.key(record)),
        "error": error.detail if error is not None else "",
        "error_field": (error.field or "") if error is not None else "",
        "done": done,
        "levels": dict(ReminderLevel.choices),
    }


def records_of(flow: Flow, record) -> selectors.CaseRecords:
    return selectors.case_records(flow.name, record.pk)


def _lookup(request, flow: Flow, key: str, what: str):
    if flow.lookup is None:
        raise Invalid(_("this record type has no pages"), field="record_type")
    return flow.lookup(request.user, key, what=what, request=request)


@login_required
def panel(request, record_type: str, key: str):
    try:
        flow = registry.get(record_type)
        record = _lookup(request, flow, key, "view")
    except KefuError as exc:
        return render(request, "flow/refused.html", {"error": exc.detail}, status=exc.status)
    return render(request, PANEL, panel_context(flow, record, request.user))


@login_required
@require_POST
def act(request, record_type: str, key: str, action: str):
    htmx = request.headers.get("HX-Request") == "true"
    try:
        flow = registry.get(record_type)
        record = _lookup(request, flow, key, f"action {action}")
        spec = flow.get(action)
        result = engine.perform(record, action, by=request.user, data=forms.parse(spec, request.POST))
    except KefuError as exc:
        if not htmx:
            messages.error(request, exc.detail)
            return redirect(safe_next(request, _record_url(record_type, key)))
        try:
            flow = registry.get(record_type)
            record = _lookup(request, flow, key, "view")
        except KefuError:
            return render(request, "flow/refused.html", {"error": exc.detail}, status=exc.status)
        ctx = panel_context(flow, record, request.user, error=exc, failed_action=action, posted=request.POST)
        return render(request, PANEL, ctx, status=200)
    django_cache.delete(badge_key(request.user))
    text = _("%(action)s done: the %(record)s is now %(status)s.") % {
        "action": flow.label_of(action),
        "record": flow.label,
        "status": flow.status_label(result.to_state),
    }
    if result.followup is not None:
        text += " " + _("New %(record)s %(key)s opened.") % {
            "record": flow.label,
            "key": flow.key(result.followup),
        }
    if not htmx:
        messages.success(request, text)
        return redirect(safe_next(request, _record_url(record_type, key)))
    response = render(
        request, PANEL, panel_context(flow, result.record, request.user, result=result, done=text)
    )
    response["HX-Trigger"] = "kefu:workflow-changed"
    return response


def _record_url(record_type: str, key: str) -> str:
    flow = registry.flows_by_name().get(record_type)
    if flow is not None and flow.url is not None:
        return flow.url(key) + "#workflow"
    return "/work/"


@login_required
@require_POST
def answer_inquiry(request, pk: int):
    try:
        engine.answer_inquiry(pk, by=request.user, reason=request.POST.get("reason", ""))
        django_cache.delete(badge_key(request.user))
        messages.success(request, _("Answer recorded."))
    except KefuError as exc:
        messages.error(request, exc.detail)
    return redirect(safe_next(request, "flow:work"))


# --- the work list -----------------------------------------------------------------------------------

WORK_ROWS = 300


def primary_actions(rows, user, records: dict) -> None:
    """Set ``action`` on each work-list row: its step's own action when ``user`` may take it now."""
    settings = config.snapshot()
    people = {}  # each department's members read once for all the rows' forms
    for s in rows:
        s.action = None
        flow = registry.flows_by_name().get(s.record_type)
        record = records.get((s.record_type, s.record_id))
        spec = flow.steps.get(s.code) if flow is not None else None
        if record is None or spec is None or not spec.action:
            continue
        action = flow.actions[spec.action]
        sit = Situation(flow, record, s, settings)
        if record.status in action.from_states and flow.permitted(action, user, sit):
            s.action = {
                "name": action.name,
                "label": _(action.label),
                "inputs": forms.form_inputs(action, people=people),
            }


@login_required
def work_list(request):
    """My departments' open steps (or only those waiting for me), my reminders, inquiries to answer (R5.3)."""
    user = request.user
    now = timezone.now()
    cal = WorkCalendar.cached()
    error = None
    try:
        filters = selectors.WorkFilters.parse(request.GET)
    except Invalid as exc:
        error, filters = exc.detail, selectors.WorkFilters()
    steps = list(selectors.work(user, filters, now=now)[:WORK_ROWS])
    records = selectors.records_for(steps)
    rows = selectors.with_summaries(steps, records)
    flows = registry.flows_by_name()
    for s in rows:
        s.clock = clocks.read(s.due_at, None, now, s.unit, cal)
        s.label = engine.step_label(flows[s.record_type], s) if s.record_type in flows else s.code
    primary_actions(rows, user, records)
    reminders = list(selectors.my_reminders(user)[:200])
    to_answer = list(selectors.inquiries_to_answer(user)[:200])
    unanswered = list(selectors.unanswered_for_gm_office(user)[:200])
    for item in (*reminders, *to_answer, *unanswered):
        flow = registry.flows_by_name().get(item.record_type)
        item.label = engine.step_label(flow, item.step) if flow is not None else item.step.code
        item.url = flow.url(item.step.record_key) if flow is not None and flow.url else ""
    return render(
        request,
        "flow/work.html",
        {
            "steps": rows,
            "filters": filters,
            "error": error,
            "late_count": sum(1 for s in rows if s.clock.late_by),
            "my_reminders": reminders,
            "to_answer": to_answer,
            "unanswered": unanswered,
            "flows": registry.flows(),
            "nav": "work",
        },
    )


# --- the navigation badge -------------------------------------------------------------------------

BADGE_SECONDS = 30


def badge_key(user) -> str:
    return f"kefu:work-badge:{user.pk}"


def work_badge(request) -> dict:
    """Context processor: ``kefu_work`` for the navigation (what waits for me: steps, of them late,
    and inquiries to answer); counted only when a template uses it, shared for a short while."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"kefu_work": {}}
    cache = {}

    def counts():
        if "n" not in cache:
            cache["n"] = django_cache.get_or_set(
                badge_key(user), lambda: selectors.badge_counts(user), BADGE_SECONDS
            )
        return cache["n"]

    return {"kefu_work": counts}
