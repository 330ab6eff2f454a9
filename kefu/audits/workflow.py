"""The customer audit's flow as data for the case engine (STYLE 2; SPEC M7; 000 客户审核 4.1-4.4).

planned (sales / customer service prepare; the engine's advance notices tell the departments 2
working days before and e-mail the opening meeting's attendees 1 working day before; a key
customer's preparation meeting is a task due a week before) -> in_progress (opening meeting held;
the closing meeting's time fixed, its attendees reminded an hour before) -> findings (closing
meeting held; the customer's findings collected) -> corrective (quality for a new customer, the
system specialist for an existing one open an 8D per nonconformity) -> follow_up (until every 8D
is closed) -> report (the improvement report to the customer) -> closed. ``kefu workflow_doc``
prints the table.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.flow import access as flow_access
from kefu.flow import engine
from kefu.flow import forms as inputs
from kefu.flow.spec import Action, Flow, Guard, Input, NoticeSpec, Outcome, StepSpec, Summary, Who

from . import schemas, services
from .models import CLOSED_STATES, Audit, Routing, Status

S = Status
ALL_STATES = tuple(S.values)
ALL_OPEN = tuple(s for s in S.values if s not in CLOSED_STATES)
NOTE = inputs.area("note", gettext_lazy("Note"), required=False)
SALES = Who("department", D.SALES)

ROUTED = Who(
    "custom",
    test=services.may_route,
    text=lambda a, sit: (
        _("quality (new customer) or the system specialist (existing customer)")
        if a is None or not a.routing
        else (_("the system specialist") if a.routing == Routing.SYSTEM_SPECIALIST else _("quality"))
    ),
    reason=lambda user, a, sit: (
        _("you do not hold the role of system specialist")
        if a.routing == Routing.SYSTEM_SPECIALIST
        else _("you are not a member of quality")
    ),
)

MEETING_INPUTS = (
    Input("held_at", "datetime", gettext_lazy("Held at"), required=False),
    inputs.area("ours", gettext_lazy("Our attendees (one per line)")),
    inputs.area("customer", gettext_lazy("Customer attendees (one per line)"), required=False),
    inputs.area("minutes", gettext_lazy("Minutes"), required=False),
    NOTE,
)

BEFORE = "time before the audit's planned start"

STEPS = {
    "preparation": StepSpec(
        "preparation", gettext_lazy("Audit preparation"), "0 days", department=D.SALES, action="open_meeting",
        due_of=services.start_due, seed="000 3.1, 4.1.4: sales / customer service organise; due at the planned start",
    ),
    "prep_meeting": StepSpec(
        "prep_meeting", gettext_lazy("Preparation meeting (key customer)"), "7 days", department=D.SALES,
        action="hold_prep_meeting", task=True, opened_doc="when the audit of a key customer is planned", due_of=services.prep_meeting_due,
        seed=f"000 4.1.2: a key customer's audit, at least a week before; the setting is the {BEFORE}",
    ),
    "audit": StepSpec(
        "audit", gettext_lazy("Audit on site"), "0 days", department=D.SALES, action="close_meeting",
        due_of=services.end_due, seed="000 4.2-4.3: due at the end of the planned last day",
    ),
    "findings": StepSpec(
        "findings", gettext_lazy("Collect the customer's findings"), "3 workdays", department=D.SALES,
        action="hand_over", seed="000 4.4.1: sales collect the nonconformities (not timed by the seed)",
    ),
    "open_8d": StepSpec(
        "open_8d", gettext_lazy("Open the 8Ds of the nonconformities"), "1 workdays", owner=services.routed_owner,
        owner_doc="quality (new customer) / system specialist (existing)", action="open_8ds",
        seed="000 4.4.2-4.4.3, R7.3: quality or the system specialist fill in the 8D forms (not timed by the seed)",
    ),
    "follow_up": StepSpec(
        "follow_up", gettext_lazy("Follow the 8Ds until closed"), "45 days", owner=services.routed_owner,
        owner_doc="quality (new customer) / system specialist (existing)", action="confirm_closed",
        seed="000 3.2-3.3, 4.5-4.7: confirm and close the findings (48 h reply + 7 days review + at most a month)",
    ),
    "report": StepSpec(
        "report", gettext_lazy("Send the improvement report to the customer"), "3 workdays", department=D.SALES,
        action="send_report", seed="000 3.1: sales send the improvement report (not timed by the seed)",
    ),
    engine.MEMO_TASK: engine.MEMO_STEP,
}  # fmt: skip

# Advance notices (kefu.flow.notices): mailed by the engine at their setting's time before the date.
NOTICES = {
    "departments": NoticeSpec(
        "departments", gettext_lazy("The departments told of the audit"), "2 workdays", services.start_moment,
        services.notice_recipients, services.departments_text,
        seed="000 4.1.1: at least 1-2 days before the audit, so the departments arrange who attends",
    ),
    "opening": NoticeSpec(
        "opening", gettext_lazy("Opening meeting e-mail"), "1 workdays", services.start_moment,
        services.notice_recipients, services.opening_text,
        seed="000 4.2.1: the opening meeting's attendees e-mailed one day before the audit",
    ),
    "closing": NoticeSpec(
        "closing", gettext_lazy("Closing meeting reminder"), "1 hours", services.closing_moment,
        services.notice_recipients, services.closing_text,
        seed="000 4.2.3: the closing meeting's attendees reminded one hour before it",
    ),
}  # fmt: skip

STATE_STEP = {
    S.PLANNED: "preparation",
    S.IN_PROGRESS: "audit",
    S.FINDINGS: "findings",
    S.CORRECTIVE: "open_8d",
    S.FOLLOW_UP: "follow_up",
    S.REPORT: "report",
}

GUARDS = {
    "all_8ds_closed": Guard(
        services.all_8ds_closed,
        gettext_lazy("not every nonconformity has a closed 8D yet"),
        gettext_lazy("every nonconformity's 8D is closed"),
    ),
    **engine.EXTENSION_GUARDS,
}

ACTIONS = {
    "hold_prep_meeting": Action(
        "hold_prep_meeting", gettext_noop("Record the preparation meeting"), (S.PLANNED,), SALES, (Outcome(None),),
        schemas.MeetingIn, services.apply_prep_meeting,
        "000 4.1.2-4.1.3: the audit's focus explained to the departments' managers", task="prep_meeting",
        inputs=MEETING_INPUTS,
    ),
    "open_meeting": Action(
        "open_meeting", gettext_noop("Record the opening meeting"), (S.PLANNED,), SALES,
        (Outcome(S.IN_PROGRESS, "audit"),), schemas.MeetingIn, services.apply_open_meeting,
        "000 4.2.1-4.2.2: the opening meeting, chaired by sales; preparation tasks still open close as missed",
        inputs=MEETING_INPUTS,
    ),
    "schedule_closing": Action(
        "schedule_closing", gettext_noop("Fix the closing meeting's time"), (S.IN_PROGRESS,), SALES, (Outcome(None),),
        schemas.ClosingIn, services.apply_schedule_closing,
        "000 4.2.3: the closing meeting's time; its attendees reminded an hour before (advance notice `closing`)",
        closes_step=False, inputs=(Input("closing_at", "datetime", gettext_lazy("Closing meeting at")), NOTE),
    ),
    "close_meeting": Action(
        "close_meeting", gettext_noop("Record the closing meeting"), (S.IN_PROGRESS,), SALES,
        (Outcome(S.FINDINGS, "findings"),), schemas.MeetingIn, services.apply_close_meeting,
        "000 4.2.3: the closing meeting; the customer's findings are collected next", inputs=MEETING_INPUTS,
    ),
    "hand_over": Action(
        "hand_over", gettext_noop("Hand the findings over for 8Ds"), (S.FINDINGS,), SALES,
        (
            Outcome(S.CORRECTIVE, "open_8d", "nonconformities recorded: to quality (new customer) or the system "
                    "specialist (existing)", services.has_findings),
            Outcome(S.CLOSED, None, "no nonconformity"),
        ),
        schemas.ActionIn, services.apply_hand_over,
        "000 4.4.1-4.4.3, R7.3: new customer -> quality, existing customer -> system specialist", inputs=(NOTE,),
    ),
    "open_8ds": Action(
        "open_8ds", gettext_noop("Open an 8D per nonconformity"), (S.CORRECTIVE,), ROUTED,
        (Outcome(S.FOLLOW_UP, "follow_up"),), schemas.ActionIn, services.apply_open_8ds,
        "000 4.4.2-4.4.3: each nonconformity becomes an 8D of its responsible department", inputs=(NOTE,),
    ),
    "confirm_closed": Action(
        "confirm_closed", gettext_noop("Confirm every 8D closed"), (S.FOLLOW_UP,), ROUTED,
        (Outcome(S.REPORT, "report"),), schemas.ActionIn, None,
        "000 3.2-3.3: the findings confirmed and closed", guard="all_8ds_closed", inputs=(NOTE,),
    ),
    "send_report": Action(
        "send_report", gettext_noop("Send the improvement report"), (S.REPORT,), SALES, (Outcome(S.CLOSED),),
        schemas.ActionIn, services.apply_send_report,
        "000 3.1: the improvement report to the customer (e-mailed when it has an address); the audit closes",
        guard="all_8ds_closed", inputs=(NOTE,),
    ),
    "cancel": Action(
        "cancel", gettext_noop("Cancel the audit"), (S.PLANNED, S.IN_PROGRESS), Who("department", D.SALES, Role.MANAGER),
        (Outcome(S.CANCELLED),), schemas.CancelIn, services.apply_cancel,
        "the customer called the audit off; its open tasks close", inputs=(inputs.area("note", gettext_lazy("Reason")),),
    ),
    "object": Action(
        "object", gettext_noop("File an objection (签呈)"), ALL_STATES, Who("any_member"), (Outcome(None),),
        engine.MemoIn, engine.file_memo, "002 篇4 第九条(十一), R4.3: a memo to the GM, recorded on the record",
        closes_step=False, inputs=(inputs.area("memo", gettext_lazy("Memo (签呈) to the GM")),),
    ),
    "request_extension": Action(
        "request_extension", gettext_noop("Request an extension"), (S.FINDINGS, S.CORRECTIVE, S.FOLLOW_UP, S.REPORT),
        Who("step_owner"), (Outcome(None),), engine.ExtensionIn, engine.request_extension,
        "002 篇1 第十一条(三): the step's whole time, extensions included, is capped",
        closes_step=False, guard="no_pending_extension",
        inputs=(Input("days", "int", gettext_lazy("Amount (in the step's unit)")), inputs.area("reason", gettext_lazy("Reason"))),
    ),
    "approve_extension": Action(
        "approve_extension", gettext_noop("Decide on the extension"), ALL_OPEN, engine.EXTENSION_APPROVER,
        (Outcome(None),), engine.ExtensionDecisionIn, engine.decide_extension,
        "002 篇1 第十一条(三): approved by the managers; the step deadline moves",
        closes_step=False, guard="pending_extension", inputs=(inputs.yes_no("approved", gettext_lazy("Approve")), NOTE),
    ),
    "rule_memo": Action(
        "rule_memo", gettext_noop("Rule on the memo (签呈)"), ALL_STATES, engine.MEMO_RULER, (Outcome(None),),
        engine.MemoRulingIn, engine.rule_memo, "002 篇4 第九条(十一): the GM upholds or overrules",
        closes_step=False, task=engine.MEMO_TASK,
        inputs=(inputs.yes_no("upheld", gettext_lazy("Upheld")), inputs.area("note", gettext_lazy("Ruling"))),
    ),
}  # fmt: skip


def lookup(user, number: str, *, what: str = "view", request=None) -> Audit:
    """The audit for ``user`` (404; 403 logged in the customer's access log when the user may not
    see its customer, R1.2)."""
    return flow_access.record_by_number(
        user, Audit.objects.select_related("customer"), number, kind="audit", what=what,
        missing=gettext_lazy("no customer audit %(number)s"),
        refused=gettext_lazy("you may not see audits of customer %(code)s"),
    )  # fmt: skip


def summary(a) -> Summary:
    return Summary(
        key=a.number,
        title=a.name,
        customer=a.customer.name,
        badge=str(_("Key customer")) if a.key_customer else "",
        badge_class="badge-key",
    )


def panel_notes(a, sit) -> list[str]:
    if a.status == S.FOLLOW_UP:
        missing, still_open = services.open_8d_count(a)
        return [
            _("8Ds still open: %(n)d; the audit moves on once every one is closed.")
            % {"n": still_open + missing}
        ]
    if a.status == S.CORRECTIVE and a.routing:
        return [a.get_routing_display()]
    return []


FLOW = Flow(
    name="audit",
    label=gettext_lazy("customer audit"),
    model="audits.Audit",
    states=Status,
    closed_states=CLOSED_STATES,
    steps=STEPS,
    actions=ACTIONS,
    first_step="preparation",
    customer_of=lambda a: a.customer_id,
    guards=GUARDS,
    state_step=STATE_STEP,
    url=lambda number: reverse("audits:detail", args=[number]),
    summary=summary,
    list_related=("customer",),
    lookup=lookup,
    panel_notes=panel_notes,
    api_path="/audits",
    seed="000 客户审核 3-4.4; CSR稽查 4.1; SPEC M7",
    notices=NOTICES,
)
