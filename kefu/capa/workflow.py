"""The CAPA / 8D flow as data for the case engine (STYLE 2; SPEC M6; 000 客户审核 4.4-4.7).

reply (the responsible department, 48 clock hours; counts as sent only when its manager approves)
-> review (quality, 7 calendar days) -> approval (the management representative) -> verification
(quality, at the date the department committed to) -> closure (D8) -> closed. Quality, or the
management rep, sends a report back to ``revision`` (24 hours); a verification found ineffective
reopens the record at D4 (``reply``). A deadline the customer set replaces the clocks. The
settings are ``due.capa.<step>``; ``kefu workflow_doc`` prints the table.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kefu.core import access
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.flow import access as flow_access
from kefu.flow import engine
from kefu.flow import forms as inputs
from kefu.flow.spec import Action, Flow, Guard, Input, Outcome, StepSpec, Summary, Who

from . import schemas, services
from .models import CLOSED_STATES, Capa, Status

S = Status
ALL_STATES = tuple(S.values)
ALL_OPEN = tuple(s for s in S.values if s not in CLOSED_STATES)
NOTE = inputs.area("note", gettext_lazy("Note"), required=False)


def _department_owner(capa, ctx):
    return capa.department, Role.CLERK, {}


def is_management_rep(user, capa=None, sit=None) -> bool:
    """The management representative (管理者代表): the role, in whichever department."""
    return access.has_role(user, Role.MANAGEMENT_REP)


MANAGEMENT_REP = Who(
    "custom",
    test=is_management_rep,
    text=lambda capa, sit: _("the management representative"),
    reason=lambda user, capa, sit: _("you do not hold the role of management representative"),
)


def _quality_or_management_rep(user, capa=None, sit=None) -> bool:
    return access.in_department(user, D.QUALITY, min_role=Role.CLERK) or is_management_rep(user)


QUALITY_OR_MANAGEMENT_REP = Who(
    "custom",
    test=_quality_or_management_rep,
    text=lambda capa, sit: _("quality or the management representative"),
    reason=lambda user, capa, sit: _(
        "only quality or the management representative records the customer's deadline"
    ),
)


def _in_owning_department(user, capa, sit) -> bool:
    return any(access.in_department(user, code, min_role=Role.CLERK) for code in sit.owners())


DEPARTMENT = Who(
    "custom",
    test=_in_owning_department,
    text=lambda capa, sit: (
        _("the responsible department")
        if capa is None
        else _("the responsible department: %(department)s") % {"department": capa.department.name}
    ),
    reason=lambda user, capa, sit: (
        _("you are not a member of %(department)s") % {"department": capa.department.name}
    ),
)

STEPS = {
    "reply": StepSpec(
        "reply", gettext_lazy("8D reply (D0-D7)"), "48 hours", owner=_department_owner,
        owner_doc="the responsible department", action="submit_reply", customer_deadline=True,
        seed="000 4.5.1, 4.6.1: the responsible department replies within 48 hours; the manager approves it, "
        "else it counts as not sent",
    ),
    "review": StepSpec(
        "review", gettext_lazy("Quality review of the 8D"), "7 days", department=D.QUALITY,
        action="accept_report", customer_deadline=True,
        seed="000 4.5.1: quality reviews within 5-7 days",
    ),
    "revision": StepSpec(
        "revision", gettext_lazy("Revision of the 8D"), "24 hours", owner=_department_owner,
        owner_doc="the responsible department", action="submit_reply", customer_deadline=True,
        seed="000 4.5.1: a report sent back is revised within 24 hours",
    ),
    "final_approval": StepSpec(
        "final_approval", gettext_lazy("Approval of the 8D report"), "3 workdays", department=D.MANAGEMENT_REP,
        role=Role.MANAGEMENT_REP, action="approve_report",
        seed="000 4.6.2, 004 COP14: the management representative approves the report (not timed by the seed)",
    ),
    "verification": StepSpec(
        "verification", gettext_lazy("Verification of the corrective action"), "30 days", department=D.QUALITY,
        action="verify", customer_deadline=True, due_of=services.verification_due,
        seed="000 4.7.1-4.7.2: at the date the department committed to, at most a month after the reply; "
        "this duration only when no date was committed",
    ),
    "closure": StepSpec(
        "closure", gettext_lazy("Closure and recognition (D8)"), "3 workdays", department=D.QUALITY,
        action="close", seed="8D D8: closure and the team's recognition (not timed by the seed)",
    ),
    engine.MEMO_TASK: engine.MEMO_STEP,
}  # fmt: skip

STATE_STEP = {
    S.REPLY: "reply",
    S.REVIEW: "review",
    S.REVISION: "revision",
    S.APPROVAL: "final_approval",
    S.VERIFICATION: "verification",
    S.CLOSURE: "closure",
}

GUARDS = {
    "reply_submitted": Guard(
        lambda c, sit: c.reply_submitted_at is not None,
        gettext_lazy("the department has not submitted its reply yet"),
        gettext_lazy("a reply was submitted"),
    ),
    **engine.EXTENSION_GUARDS,
}

FISHBONE_OCCURRENCE = gettext_lazy(
    'D4 fishbone, occurrence (one cause per line, "category: cause"; categories man, machine, material, '
    "method, measurement, environment); 5-Why or fishbone"
)
FISHBONE_ESCAPE = gettext_lazy('D4 fishbone, escape (one cause per line, "category: cause")')

REPLY_INPUTS = (
    inputs.area("team", gettext_lazy("D0 team (one member per line: name, role)")),
    inputs.area("containment", gettext_lazy("D3 containment")),
    Input("plant_checked", "text", gettext_lazy("D3 checked at our plant")),
    Input("plant_nonconforming", "text", gettext_lazy("D3 nonconforming at our plant")),
    Input("transit_checked", "text", gettext_lazy("D3 checked in transit")),
    Input("transit_nonconforming", "text", gettext_lazy("D3 nonconforming in transit")),
    Input("customer_checked", "text", gettext_lazy("D3 checked at the customer")),
    Input("customer_nonconforming", "text", gettext_lazy("D3 nonconforming at the customer")),
    inputs.area("why_occurrence", gettext_lazy("D4 5-Why, occurrence (one why per line)"), required=False),
    inputs.area("fishbone_occurrence", FISHBONE_OCCURRENCE, required=False),
    inputs.area("root_cause_occurrence", gettext_lazy("D4 root cause of the occurrence")),
    inputs.area("why_escape", gettext_lazy("D4 5-Why, escape (one why per line)"), required=False),
    inputs.area("fishbone_escape", FISHBONE_ESCAPE, required=False),
    inputs.area("root_cause_escape", gettext_lazy("D4 root cause of the escape")),
    inputs.area("corrective_action", gettext_lazy("D5 permanent corrective action")),
    inputs.area("implementation", gettext_lazy("D6 implementation")),
    Input("verify_by", "date", gettext_lazy("D6 verification due by (at most a month)")),
    inputs.area("prevention", gettext_lazy("D7 prevention")),
    inputs.area(
        "documents",
        gettext_lazy(
            "D7 documents updated (one per line: pfmea | control_plan | work_instruction, number, revision)"
        ),
        required=False,
    ),
    NOTE,
)

ACTIONS = {
    "submit_reply": Action(
        "submit_reply", gettext_noop("Submit the 8D reply"), (S.REPLY, S.REVISION), DEPARTMENT,
        (Outcome(None),), schemas.ReplyIn, services.apply_reply,
        "000 4.6.1: the department replies with evidence attached; not sent until its manager approves",
        closes_step=False, inputs=REPLY_INPUTS,
    ),
    "approve_reply": Action(
        "approve_reply", gettext_noop("Approve the reply (department manager)"), (S.REPLY, S.REVISION),
        Who("step_manager"), (Outcome(S.REVIEW, "review"),), schemas.ApproveIn, services.apply_approve_reply,
        "000 4.6.1, R6.3: the department manager approves the reply before quality sees it",
        guard="reply_submitted", inputs=(NOTE,),
    ),
    "accept_report": Action(
        "accept_report", gettext_noop("Accept the report (quality)"), (S.REVIEW,), Who("department", D.QUALITY),
        (Outcome(S.APPROVAL, "final_approval"),), schemas.ApproveIn, None,
        "000 4.6.2: quality checks and confirms the measures", inputs=(NOTE,),
    ),
    "send_back": Action(
        "send_back", gettext_noop("Send the report back for revision"), (S.REVIEW,), Who("department", D.QUALITY),
        (Outcome(S.REVISION, "revision"),), schemas.SendBackIn, services.apply_send_back,
        "000 4.5.1: a report to be revised or rewritten is done again within 24 hours",
        inputs=(inputs.area("note", gettext_lazy("What to revise")),),
    ),
    "approve_report": Action(
        "approve_report", gettext_noop("Approve the final report (management rep)"), (S.APPROVAL,),
        MANAGEMENT_REP, (Outcome(S.VERIFICATION, "verification"),), schemas.ApproveIn,
        services.apply_approve_report, "000 4.6.2, 004 COP14, R6.3: the management representative approves",
        inputs=(NOTE,),
    ),
    "return_report": Action(
        "return_report", gettext_noop("Return the report (management rep)"), (S.APPROVAL,), MANAGEMENT_REP,
        (Outcome(S.REVISION, "revision"),), schemas.SendBackIn, services.apply_send_back,
        "000 4.6.2: the management representative returns the report for revision",
        inputs=(inputs.area("note", gettext_lazy("What to revise")),),
    ),
    "verify": Action(
        "verify", gettext_noop("Record the verification"), (S.VERIFICATION,), Who("department", D.QUALITY),
        (
            Outcome(S.REPLY, "reply", "`effective` is false: written notice, management rep informed",
                    lambda d, c: d.effective is False),
            Outcome(S.CLOSURE, "closure"),
        ),
        schemas.VerifyIn, services.apply_verify,
        "000 4.7.1-4.7.2, R6.4: verified; not effective -> notice to the department and the management rep, "
        "reopened at D4",
        inputs=(inputs.yes_no("effective", gettext_lazy("Effective")),
                inputs.area("result", gettext_lazy("Verification result")), NOTE),
    ),
    "close": Action(
        "close", gettext_noop("Close the 8D (D8)"), (S.CLOSURE,), Who("department", D.QUALITY),
        (Outcome(S.CLOSED),), schemas.CloseIn, services.apply_close,
        "8D D8: closure and recognition of the team",
        inputs=(inputs.area("closure", gettext_lazy("Closure")), inputs.area("recognition", gettext_lazy("Team recognition")), NOTE),
    ),
    "set_customer_deadline": Action(
        "set_customer_deadline", gettext_noop("Record the customer's deadline"), ALL_OPEN,
        QUALITY_OR_MANAGEMENT_REP, (Outcome(None),), schemas.CustomerDeadlineIn, services.apply_customer_deadline,
        "000 4.5.1, 4.7.2: a deadline the customer set replaces the clocks; set, moved or removed after opening, "
        "with the reason; the open step's deadline follows",
        closes_step=False,
        inputs=(Input("customer_deadline", "datetime", gettext_lazy("Deadline set by the customer")),
                inputs.area("reason", gettext_lazy("Reason (the customer's request)")), NOTE),
    ),
    "object": Action(
        "object", gettext_noop("File an objection (签呈)"), ALL_STATES, Who("any_member"), (Outcome(None),),
        engine.MemoIn, engine.file_memo, "002 篇4 第九条(十一), R4.3: a memo to the GM, recorded on the record",
        closes_step=False, inputs=(inputs.area("memo", gettext_lazy("Memo (签呈) to the GM")),),
    ),
    "request_extension": Action(
        "request_extension", gettext_noop("Request an extension"), ALL_OPEN, Who("step_owner"), (Outcome(None),),
        engine.ExtensionIn, engine.request_extension,
        "002 篇1 第十一条(三): the step's whole time, extensions included, is capped (extension.max_hours / max_workdays)",
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
        engine.MemoRulingIn, engine.rule_memo,
        "002 篇4 第九条(十一): the GM upholds or overrules; upheld, the record goes back to the reply",
        closes_step=False, task=engine.MEMO_TASK,
        inputs=(inputs.yes_no("upheld", gettext_lazy("Upheld")), inputs.area("note", gettext_lazy("Ruling")),
                Input("reopen_at", "choice", gettext_lazy("Reopen at step (when upheld)"), False,
                      (("reply", gettext_lazy("8D reply (D0-D7)")),))),
    ),
}  # fmt: skip


def lookup(user, number: str, *, what: str = "view", request=None) -> Capa:
    """The CAPA for ``user`` (404; 403 logged in the customer's access log when it has a customer
    the user may not see, R1.2)."""
    return flow_access.record_by_number(
        user, Capa.objects.select_related("customer", "department"), number, kind="capa", what=what,
        missing=gettext_lazy("no corrective action %(number)s"),
        refused=gettext_lazy("you may not see corrective actions of customer %(code)s"),
    )  # fmt: skip


def summary(c) -> Summary:
    return Summary(
        key=c.number,
        title=c.title,
        customer=c.customer.name if c.customer_id else "",
        badge=c.get_severity_display() if c.severity != "general" else "",
        badge_class=f"badge-{c.severity}",
    )


def panel_notes(capa, sit) -> list[str]:
    if capa.status in (S.REPLY, S.REVISION) and capa.reply_submitted_at is not None:
        return [
            _("Reply submitted; it counts as sent only once the department manager approves it (000 4.6.1).")
        ]
    if capa.status in (S.REPLY, S.REVISION):
        return [_("Attach the evidence (photos, training records) before submitting the reply.")]
    return []


FLOW = Flow(
    name="capa",
    label=gettext_lazy("corrective action"),
    model="capa.Capa",
    states=Status,
    closed_states=CLOSED_STATES,
    steps=STEPS,
    actions=ACTIONS,
    first_step="reply",
    customer_of=lambda c: c.customer_id,
    customer_deadline_of=lambda c: c.customer_deadline,
    guards=GUARDS,
    state_step=STATE_STEP,
    url=lambda number: reverse("capa:detail", args=[number]),
    summary=summary,
    list_related=("customer",),
    lookup=lookup,
    panel_notes=panel_notes,
    api_path="/capa",
    reopen_steps=lambda c: ("reply",),
    seed="000 客户审核 4.4-4.7; 001 6.3.4; 003 4.1.3; 004 COP14",
)
