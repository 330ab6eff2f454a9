"""The requirement registers' flows as data for the case engine (STYLE 2; SPEC M12).

``csr``: the review of a customer-specific requirement (004 顾客特殊要求管理程序 5.2: 各相关部门
评审). Registering it opens one task per named department (``department_review``, 5 working days);
each answers accepted / not applicable / needs action. "Needs action" opens that department's
``csr_action`` task. The requirement is reviewed when every named department answered, and in
force when, besides, no action is open.

``hsf``: a cycle of the HSF registers (000 HSF 法律法规及客户要求识别作业指导书): the customer's
limits collected by sales every December and on every change, identified by quality, approved by
the HSPM representative; the laws collected by quality every six months and the compliance
evaluation, approved by the HSPM representative.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kefu.core import access
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.flow import access as flow_access
from kefu.flow import forms as inputs
from kefu.flow.spec import Action, Flow, Input, Outcome, StepSpec, Summary, Who

from . import schemas, services
from .models import (
    CSR_CLOSED,
    CUSTOMER_KINDS,
    Answer,
    CsrStatus,
    CycleStatus,
    HsfCycle,
    Requirement,
)

NOTE = inputs.area("note", gettext_lazy("Note"), required=False)

# --- CSR ---------------------------------------------------------------------------------------------

C = CsrStatus


def _owns_open(code: str):
    def test(user, record, sit) -> bool:
        return any(
            access.in_department(user, t.department.code, min_role=Role.CLERK)
            for t in sit.tasks.get(code, [])
        )

    return test


def _open_departments(code: str):
    def text(record, sit) -> str:
        if sit is None:
            return _("a department named for the requirement whose answer is still open")
        names = [t.department.name for t in sit.tasks.get(code, [])]
        return _("the departments still to answer: %(departments)s") % {"departments": "、".join(names)}

    return text


REVIEWER = Who(
    "custom",
    test=_owns_open(services.REVIEW_TASK),
    text=_open_departments(services.REVIEW_TASK),
    reason=lambda user, record, sit: _("your department has no open review of this requirement"),
)
ACTION_OWNER = Who(
    "custom",
    test=_owns_open(services.ACTION_TASK),
    text=lambda record, sit: _("a department whose review asked for an action"),
    reason=lambda user, record, sit: _("your department has no open action on this requirement"),
)
REGISTRAR = Who(
    "custom",
    test=lambda user, record, sit: services.may_register(user),
    text=lambda record, sit: _("sales, quality, the GM office or an executive"),
    reason=lambda user, record, sit: _("you are not in sales, quality or the GM office"),
)

CSR_STEPS = {
    services.REVIEW_TASK: StepSpec(
        services.REVIEW_TASK, gettext_lazy("Department review of a CSR"), "5 workdays",
        owner=services.csr_owner, owner_doc="each department named for the requirement", action="review",
        task=True, seed="004 顾客特殊要求管理程序 5.2: each department concerned reviews (not timed by the seed)",
    ),
    services.ACTION_TASK: StepSpec(
        services.ACTION_TASK, gettext_lazy("Action for a CSR"), "20 workdays",
        owner=services.csr_owner, owner_doc="the department whose review asked for the action",
        action="complete_action", task=True,
        seed="004 5.3: the departments carry out the requirement (the review may set the date)",
    ),
}  # fmt: skip


def _next(record, default):
    return getattr(record, "_next_status", default)


CSR_ACTIONS = {
    "review": Action(
        "review", gettext_noop("Answer the review (department)"), (C.REVIEW,), REVIEWER,
        (
            Outcome(C.ACTION, None, "the last answer, an action open", lambda d, r: _next(r, "") == C.ACTION),
            Outcome(C.IN_FORCE, None, "the last answer, no action open", lambda d, r: _next(r, "") == C.IN_FORCE),
            Outcome(None),
        ),
        schemas.ReviewIn, services.apply_review,
        "004 5.2, 顾客特殊要求评审记录表: accepted / not applicable / needs action, who and when",
        task=services.REVIEW_TASK,
        inputs=(
            Input("answer", "choice", gettext_lazy("Answer"), True, tuple(Answer.choices)),
            inputs.area("comment", gettext_lazy("Comment"), required=False),
            inputs.area("action", gettext_lazy("Action needed (with the answer needs action)"), required=False),
            Input("action_owner", "text", gettext_lazy("Action owner (username; you by default)"), False),
            Input("action_due", "date", gettext_lazy("Action due by"), False),
            NOTE,
        ),
    ),
    "complete_action": Action(
        "complete_action", gettext_noop("Report the action done"), (C.REVIEW, C.ACTION), ACTION_OWNER,
        (
            Outcome(C.IN_FORCE, None, "the last open action, every department answered",
                    lambda d, r: _next(r, "") == C.IN_FORCE),
            Outcome(None),
        ),
        schemas.ActionDoneIn, services.apply_action_done, "004 5.3: each department carries out the requirement",
        task=services.ACTION_TASK, inputs=(inputs.area("result", gettext_lazy("What was done")), NOTE),
    ),
    "withdraw": Action(
        "withdraw", gettext_noop("Withdraw the requirement"), (C.REVIEW, C.ACTION, C.IN_FORCE), REGISTRAR,
        (Outcome(C.WITHDRAWN),), schemas.WithdrawIn, services.apply_withdraw,
        "the customer withdrew or replaced the requirement", closes_step=False,
        inputs=(inputs.area("note", gettext_lazy("Why")),),
    ),
}  # fmt: skip


def lookup_requirement(user, number: str, *, what: str = "view", request=None) -> Requirement:
    """The requirement for ``user`` (404; 403 logged in the customer's access log, R1.2)."""
    return flow_access.record_by_number(
        user, Requirement.objects.select_related("customer", "document"), number, kind="csr", what=what,
        missing=gettext_lazy("no requirement %(number)s"),
        refused=gettext_lazy("you may not see the requirements of customer %(code)s"),
    )  # fmt: skip


def csr_summary(r) -> Summary:
    return Summary(
        key=r.number,
        title=r.title,
        customer=r.customer.name,
        badge=str(_("red line")) if r.red_line else "",
        badge_class="badge-serious" if r.red_line else "",
    )


CSR_FLOW = Flow(
    name=services.CSR_FLOW,
    label=gettext_lazy("customer-specific requirement"),
    model="requirements.Requirement",
    states=CsrStatus,
    closed_states=CSR_CLOSED,
    steps=CSR_STEPS,
    actions=CSR_ACTIONS,
    first_step=services.REVIEW_TASK,
    customer_of=lambda r: r.customer_id,
    url=lambda number: reverse("requirements:detail", args=[number]),
    summary=csr_summary,
    list_related=("customer",),
    lookup=lookup_requirement,
    api_path="/requirements",
    seed="004 顾客特殊要求管理程序; 000 CSR 稽查 4.3",
)

# --- HSF cycles ---------------------------------------------------------------------------------------

H = CycleStatus

HSPM_REP = Who(
    "custom",
    test=services.is_hspm_rep,
    text=lambda record, sit: _("the HSPM representative"),
    reason=lambda user, record, sit: _("you do not hold the role of HSPM representative"),
)


def _collector(user, cycle, sit) -> bool:
    return any(access.in_department(user, code, min_role=Role.CLERK) for code in sit.owners())


COLLECTOR = Who(
    "custom",
    test=_collector,
    text=lambda cycle, sit: (
        _("sales (a customer's limits) or quality (laws, evaluation)")
        if cycle is None
        else (_("sales") if cycle.kind in CUSTOMER_KINDS else _("quality"))
    ),
    reason=lambda user, cycle, sit: _("the collection is the owning department's step"),
)

HSF_STEPS = {
    "collect": StepSpec(
        "collect", gettext_lazy("Collect the HSF requirements"), "10 workdays", owner=services.collect_owner,
        owner_doc="sales (customer limits), quality (laws, evaluation)", action="collect",
        due_of=services.cycle_due,
        seed="000 HSF 5.1-5.2: sales collects every December and on a change; quality the laws every six "
        "months; a December or half-yearly cycle is due at its date, this duration for a change",
    ),
    "identify": StepSpec(
        "identify", gettext_lazy("Quality identifies the limits"), "5 workdays", department=D.QUALITY,
        action="identify", seed="000 HSF 5.1: 交品保部识别 (not timed by the seed)",
    ),
    "approval": StepSpec(
        "approval", gettext_lazy("HSPM representative approves"), "3 workdays", owner=services.hspm_owner,
        owner_doc="the HSPM representative (department: setting hsf.hspm_department)", role=Role.HSPM_REP,
        action="approve", seed="000 HSF 3.4: the HSPM representative reviews and approves (not timed by the seed)",
    ),
}  # fmt: skip

HSF_ACTIONS = {
    "collect": Action(
        "collect", gettext_noop("Submit what was collected"), (H.COLLECT,), COLLECTOR,
        (
            Outcome(H.IDENTIFY, "identify", "a customer's limits", lambda d, c: c.kind in CUSTOMER_KINDS),
            Outcome(H.APPROVAL, "approval"),
        ),
        schemas.CollectIn, services.apply_collect,
        "000 HSF 5.1: sales collects the customer's limits and hands them to quality; 5.2 quality the laws",
        inputs=(
            inputs.area("limits", gettext_lazy(
                "Limits, one per line: regime (rohs/reach/ul/customer/other) | substance | limit | unit | source"),
                required=False),
            inputs.area("laws", gettext_lazy(
                "Laws, one per line: regime | title | version | date (YYYY-MM-DD) | note"), required=False),
            inputs.area("result", gettext_lazy("Evaluation result"), required=False),
            Input("compliant", "yesno", gettext_lazy("Compliant"), False, inputs.YES_NO),
            NOTE,
        ),
    ),
    "identify": Action(
        "identify", gettext_noop("Identify (quality)"), (H.IDENTIFY,), Who("department", D.QUALITY),
        (Outcome(H.APPROVAL, "approval"),), schemas.ApproveIn, services.apply_identify,
        "000 HSF 5.1: quality identifies the customer's limits", inputs=(NOTE,),
    ),
    "send_back": Action(
        "send_back", gettext_noop("Send back to collection"), (H.IDENTIFY,), Who("department", D.QUALITY),
        (Outcome(H.COLLECT, "collect"),), schemas.SendBackIn, services.apply_send_back,
        "000 HSF 5.1: what sales handed over is incomplete", inputs=(inputs.area("note", gettext_lazy("What is missing")),),
    ),
    "approve": Action(
        "approve", gettext_noop("Approve (HSPM representative)"), (H.APPROVAL,), HSPM_REP,
        (Outcome(H.APPROVED),), schemas.ApproveIn, services.apply_approve,
        "000 HSF 3.4: the HSPM representative approves; the limits or laws become current", inputs=(NOTE,),
    ),
    "return": Action(
        "return", gettext_noop("Return (HSPM representative)"), (H.APPROVAL,), HSPM_REP,
        (
            Outcome(H.IDENTIFY, "identify", "a customer's limits", lambda d, c: c.kind in CUSTOMER_KINDS),
            Outcome(H.COLLECT, "collect"),
        ),
        schemas.SendBackIn, services.apply_send_back, "000 HSF 3.4: returned for correction",
        inputs=(inputs.area("note", gettext_lazy("What to correct")),),
    ),
}  # fmt: skip


def lookup_cycle(user, number: str, *, what: str = "view", request=None) -> HsfCycle:
    return flow_access.record_by_number(
        user, HsfCycle.objects.select_related("customer"), number, kind="hsf", what=what,
        missing=gettext_lazy("no HSF cycle %(number)s"),
        refused=gettext_lazy("you may not see the requirements of customer %(code)s"),
    )  # fmt: skip


def cycle_summary(c) -> Summary:
    return Summary(
        key=c.number,
        title=f"{c.get_kind_display()} {c.period}",
        customer=c.customer.name if c.customer_id else "",
    )


HSF_FLOW = Flow(
    name=services.HSF_FLOW,
    label=gettext_lazy("HSF cycle"),
    model="requirements.HsfCycle",
    states=CycleStatus,
    closed_states=(H.APPROVED,),
    steps=HSF_STEPS,
    actions=HSF_ACTIONS,
    first_step="collect",
    customer_of=lambda c: c.customer_id,
    state_step={H.COLLECT: "collect", H.IDENTIFY: "identify", H.APPROVAL: "approval"},
    url=lambda number: reverse("requirements:cycle", args=[number]),
    summary=cycle_summary,
    list_related=("customer",),
    lookup=lookup_cycle,
    api_path="/requirements/hsf/cycles",
    seed="000 HSF 法律法规及客户要求识别作业指导书",
)
