"""The complaint's flow as data for the case engine (STYLE 2; SPEC M4; 002 篇4 第九条).

``FLOW`` is the whole table: the states, the steps with their owners and clocks
(settings ``due.complaint.<step>``, the seed's wording as default), the case
deadline (15 / 20 calendar days, 002 篇4 第十条), and for each action the
states it may be taken in, who may take it, the next state and step (possibly
decided by what was submitted), its body and what it changes besides the steps
(``services.apply_*``). ``kefu.flow.engine.perform`` takes the actions;
``kefu workflow_doc`` prints the table to ``docs/workflow.md``. Nothing here
writes to the database.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kefu.core import access
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.flow import engine
from kefu.flow import forms as inputs
from kefu.flow.spec import Action, CaseSpec, Flow, Guard, Input, Outcome, StepSpec, Summary, Who

from . import schemas, services
from .choices import CLOSED_STATES, OPEN_STATES, CustomerRequest, Severity, Status, Step

D = DepartmentCode
S = Status

# --- the authority matrix (R1.3, 002 篇4 第九条(五)) -----------------------------------------------

SALES_MANAGER = "sales_manager"
DEPUTY_GM = "deputy_gm"
GM = "gm"
AUTHORITY_LABELS = {
    SALES_MANAGER: gettext_lazy("sales manager"),
    DEPUTY_GM: gettext_lazy("deputy GM"),
    GM: gettext_lazy("GM"),
}
# Where each level's approval step sits, and the role that takes it.
AUTHORITY_DEPARTMENT = {SALES_MANAGER: D.SALES, DEPUTY_GM: D.GM_OFFICE, GM: D.GM_OFFICE}
AUTHORITY_ROLE = {SALES_MANAGER: Role.MANAGER, DEPUTY_GM: Role.DEPUTY_GM, GM: Role.GM}


def required_authority(loss_amount: Decimal | None, settings: dict) -> str:
    """Who decides a case with this loss amount: up to the first limit the sales manager, etc."""
    amount = loss_amount or Decimal("0")
    if amount <= Decimal(str(settings["authority.sales_manager_max"])):
        return SALES_MANAGER
    if amount <= Decimal(str(settings["authority.deputy_gm_max"])):
        return DEPUTY_GM
    return GM


def has_authority(user, level: str) -> bool:
    """A higher level may always decide what a lower one may."""
    top = access.rank(user)
    if level == SALES_MANAGER:
        return access.in_department(user, D.SALES, min_role=Role.MANAGER) or top >= ROLE_RANK[Role.DEPUTY_GM]
    if level == DEPUTY_GM:
        return top >= ROLE_RANK[Role.DEPUTY_GM]
    return top >= ROLE_RANK[Role.GM]


def _authority_level(complaint, sit) -> str:
    return required_authority(complaint.loss_amount, sit.settings)


def _authority_text(complaint, sit) -> str:
    if complaint is None or sit is None:
        return _("authority matrix on the loss amount: sales manager / deputy GM / GM")
    return _("the %(level)s or above (loss amount %(amount)s)") % {
        "level": AUTHORITY_LABELS[_authority_level(complaint, sit)],
        "amount": complaint.loss_amount or 0,
    }


def _authority_reason(user, complaint, sit) -> str:
    roles = [role for _dept, role in access.memberships(user)]
    return _("the loss amount needs the %(level)s or above; your highest role is %(role)s") % {
        "level": AUTHORITY_LABELS[_authority_level(complaint, sit)],
        "role": Role(max(roles, key=lambda r: ROLE_RANK[r])).label,
    }


AUTHORITY = Who(
    "custom",
    test=lambda user, complaint, sit: has_authority(user, _authority_level(complaint, sit)),
    text=_authority_text,
    reason=_authority_reason,
)

# --- steps ----------------------------------------------------------------------------------------


def _countermeasure_owner(complaint, ctx):
    """The responsible department of the investigation acts (002 篇4 第九条(三))."""
    return complaint.responsible_department.code, Role.CLERK, {}


def _approval_owner(complaint, ctx):
    """The approval goes to the level the loss amount needs (R1.3): its department and role."""
    level = required_authority(complaint.loss_amount, ctx.settings)
    return AUTHORITY_DEPARTMENT[level], AUTHORITY_ROLE[level], {"authority": level}


STEPS = {
    s.code: s
    for s in (
        StepSpec(Step.ASSIGN, Step.ASSIGN.label, "1 workdays", D.GM_OFFICE, action="assign",
                 seed="002 篇4 第九条(三): the GM office numbers the case and sends it to quality"),
        StepSpec(Step.INVESTIGATION, Step.INVESTIGATION.label, "3 workdays", D.QUALITY,
                 action="submit_investigation", seed="002 篇4 第九条(二): quality reports within three days"),
        StepSpec(Step.COUNTERMEASURE, Step.COUNTERMEASURE.label, "1 workdays", owner=_countermeasure_owner,
                 owner_doc="the responsible department (+ GM office when a supplier is responsible)",
                 variants={Severity.MAJOR: "3 workdays", Severity.SERIOUS: "3 workdays"},
                 action="submit_countermeasure",
                 seed="002 篇1 第十一条(三): general complaints within one working day, larger ones within three"),
        StepSpec(Step.RD_OPINION, Step.RD_OPINION.label, "2 workdays", D.RD, action="submit_rd_opinion",
                 seed="002 篇4 第九条(三): R&D's opinion when the anomaly needs it"),
        StepSpec(Step.PROPOSAL, Step.PROPOSAL.label, "1 workdays", D.SALES, action="submit_proposal",
                 seed="002 篇4 第九条(四): sales negotiates with the customer and proposes the handling"),
        StepSpec(Step.SYNTHESIS, Step.SYNTHESIS.label, "1 workdays", D.GM_OFFICE, action="submit_synthesis",
                 seed="002 篇4 第九条(五): the GM office combines the opinions within one day"),
        StepSpec(Step.APPROVAL, Step.APPROVAL.label, "1 workdays", owner=_approval_owner, action="approve",
                 owner_doc="by the authority matrix (sales manager / deputy GM / GM)",
                 notice="approval_request", notice_subject=gettext_lazy("To approve"),
                 seed="002 篇4 第九条(五), R1.3: decided by the authority matrix"),
        StepSpec(Step.REPLY, Step.REPLY.label, "1 workdays", D.SALES, action="record_reply",
                 seed="002 篇4 第九条(十): sales tells the customer and records the answer"),
    )
}  # fmt: skip

# State -> the step that is open in it (the docs' table).
STATE_STEP: dict[str, str] = {
    S.REGISTERED: Step.ASSIGN,
    S.INVESTIGATING: Step.INVESTIGATION,
    S.COUNTERMEASURE: Step.COUNTERMEASURE,
    S.RD_REVIEW: Step.RD_OPINION,
    S.NEGOTIATION: Step.PROPOSAL,
    S.SYNTHESIS: Step.SYNTHESIS,
    S.APPROVAL: Step.APPROVAL,
    S.REPLY: Step.REPLY,
}

# --- the table ------------------------------------------------------------------------------------

ALL_OPEN = tuple(OPEN_STATES)
ALL_STATES = tuple(Status.values)  # a memo may be filed after closing too (002 篇4 第九条(十一))
NOTE = inputs.NOTE
DEPARTMENTS = tuple((d.value, d.label) for d in DepartmentCode)
HANDLINGS = tuple((h.value, h.label) for h in CustomerRequest)

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "assign",
            gettext_noop("Assign to quality"),
            (S.REGISTERED,),
            Who("department", D.GM_OFFICE),
            (Outcome(S.INVESTIGATING, Step.INVESTIGATION),),
            schemas.AssignIn,
            services.apply_assign,
            "002 篇4 第九条(三): the GM office numbers the case and sends it to quality",
            inputs=(
                inputs.person("assignee", gettext_lazy("Investigator"), D.QUALITY),
                NOTE,
            ),
        ),
        Action(
            "submit_investigation",
            gettext_noop("Submit investigation"),
            (S.INVESTIGATING,),
            Who("department", D.QUALITY),
            (
                Outcome(S.NOT_ESTABLISHED, None, "`valid` is false", lambda d, c: d.valid is False),
                Outcome(S.COUNTERMEASURE, Step.COUNTERMEASURE),
            ),
            schemas.InvestigationIn,
            services.apply_investigation,
            "002 篇4 第九条(二)(三), R3.6: quality finds the cause and the responsible department",
            inputs=(
                inputs.area("cause", gettext_lazy("Cause")),
                inputs.yes_no("valid", gettext_lazy("Complaint valid (established)")),
                Input(
                    "responsible_department",
                    "choice",
                    gettext_lazy("Responsible department"),
                    False,
                    DEPARTMENTS,
                ),
                inputs.text("supplier", gettext_lazy("Responsible supplier, if any"), required=False),
                Input("needs_rd", "check", gettext_lazy("Needs an R&D opinion"), required=False),
                NOTE,
            ),
            fields_doc=(
                "cause",
                "valid",
                "needs_rd?",
                "responsible_department (when valid)",
                "supplier?",
                "note?",
            ),
        ),
        Action(
            "submit_countermeasure",
            gettext_noop("Submit countermeasure"),
            (S.COUNTERMEASURE,),
            Who("step_owner"),
            (
                Outcome(
                    S.RD_REVIEW, Step.RD_OPINION, "the investigation asked for R&D", lambda d, c: c.needs_rd
                ),
                Outcome(S.NEGOTIATION, Step.PROPOSAL),
            ),
            schemas.CountermeasureIn,
            None,
            "002 篇4 第九条(三): the responsible unit analyses the cause and sets the countermeasure",
            inputs=(
                inputs.area("analysis", gettext_lazy("Cause analysis")),
                inputs.area("action", gettext_lazy("Countermeasure")),
                inputs.text("unit", gettext_lazy("Unit"), required=False),
                inputs.text("shift", gettext_lazy("Shift"), required=False),
                inputs.text("operators", gettext_lazy("Operators"), required=False),
                Input("production_date", "date", gettext_lazy("Production date"), required=False),
                NOTE,
            ),
        ),
        Action(
            "submit_rd_opinion",
            gettext_noop("Submit R&D opinion"),
            (S.RD_REVIEW,),
            Who("department", D.RD),
            (Outcome(S.NEGOTIATION, Step.PROPOSAL),),
            schemas.RdOpinionIn,
            None,
            "002 篇4 第九条(三): R&D gives its opinion when the anomaly needs it",
            inputs=(inputs.area("opinion", gettext_lazy("R&D opinion")), NOTE),
        ),
        Action(
            "submit_proposal",
            gettext_noop("Submit handling proposal"),
            (S.NEGOTIATION,),
            Who("department", D.SALES),
            (Outcome(S.SYNTHESIS, Step.SYNTHESIS),),
            schemas.ProposalIn,
            services.apply_proposal,
            "002 篇4 第九条(四): sales negotiates with the customer; its manager is notified to review",
            inputs=(
                Input("handling", "choice", gettext_lazy("Handling"), choices=HANDLINGS),
                Input("loss_amount", "decimal", gettext_lazy("Loss amount (yuan)")),
                inputs.area("customer_position", gettext_lazy("Customer's position"), required=False),
                NOTE,
            ),
        ),
        Action(
            "submit_synthesis",
            gettext_noop("Submit synthesis"),
            (S.SYNTHESIS,),
            Who("department", D.GM_OFFICE),
            (Outcome(S.APPROVAL, Step.APPROVAL),),
            schemas.SynthesisIn,
            None,
            "002 篇4 第九条(五): the GM office combines the opinions within one day",
            inputs=(inputs.area("opinion", gettext_lazy("Synthesis opinion")), NOTE),
        ),
        Action(
            "approve",
            gettext_noop("Approve"),
            (S.APPROVAL,),
            AUTHORITY,
            (Outcome(S.REPLY, Step.REPLY),),
            schemas.ActionIn,
            services.apply_approve,
            "002 篇4 第九条(五)(十), R1.3: decided by the authority matrix",
            inputs=(NOTE,),
        ),
        Action(
            "send_back",
            gettext_noop("Send back to sales"),
            (S.APPROVAL,),
            AUTHORITY,
            (Outcome(S.NEGOTIATION, Step.PROPOSAL),),
            schemas.SendBackIn,
            None,
            "002 篇4 第九条(五): the approver returns the proposal",
            inputs=(inputs.area("note", gettext_lazy("Why it goes back")),),
        ),
        Action(
            "record_reply",
            gettext_noop("Record the customer's answer"),
            (S.REPLY,),
            Who("department", D.SALES),
            (
                Outcome(
                    S.CLOSED,
                    None,
                    "`customer_accepts` is false: a new complaint is opened and linked (R4.1)",
                    lambda d, c: d.customer_accepts is False,
                ),
                Outcome(S.CLOSED, None),
            ),
            schemas.ReplyIn,
            services.apply_reply,
            "002 篇4 第九条(四)(八)(十), R1.4, R4.1: a separate letter; not accepted -> new complaint",
            inputs=(
                inputs.area("letter", gettext_lazy("Letter to the customer (not the internal form)")),
                inputs.yes_no("customer_accepts", gettext_lazy("Customer accepts")),
                NOTE,
            ),
        ),
        Action(
            "object",
            gettext_noop("File an objection (签呈)"),
            ALL_STATES,
            Who("any_member"),
            (Outcome(None),),
            engine.MemoIn,
            engine.file_memo,
            "002 篇4 第九条(十一), R4.3: a memo to the GM, recorded on the case",
            closes_step=False,
            inputs=(inputs.area("memo", gettext_lazy("Memo (签呈) to the GM")),),
        ),
        Action(
            "request_extension",
            gettext_noop("Request an extension"),
            ALL_OPEN,
            Who("step_owner"),
            (Outcome(None),),
            engine.ExtensionIn,
            engine.request_extension,
            "002 篇1 第十一条(三): the step's whole time, extensions included, at most 7 working days",
            closes_step=False,
            guard="no_pending_extension",
            inputs=(
                Input("days", "int", gettext_lazy("Working days")),
                inputs.area("reason", gettext_lazy("Reason")),
            ),
        ),
        Action(
            "approve_extension",
            gettext_noop("Decide on the extension"),
            ALL_OPEN,
            engine.EXTENSION_APPROVER,
            (Outcome(None),),
            engine.ExtensionDecisionIn,
            engine.decide_extension,
            "002 篇1 第十一条(三): approved by the managers; the step deadline moves",
            closes_step=False,
            guard="pending_extension",
            inputs=(inputs.yes_no("approved", gettext_lazy("Approve")), NOTE),
        ),
        Action(
            "record_meeting_decision",
            gettext_noop("Record the management meeting decision"),
            ALL_OPEN,
            Who("department", D.GM_OFFICE),
            (Outcome(None),),
            engine.MeetingIn,
            engine.record_meeting,
            "002 篇1 第十一条(二), R4.4: serious complaints go to the management meeting",
            closes_step=False,
            guard="serious",
            inputs=(
                inputs.area("decision", gettext_lazy("Decision")),
                inputs.text("attendees", gettext_lazy("Attendees")),
            ),
        ),
    )
}

# --- tasks beside the steps: the memo's ruling, a complaint not established (h1b) -------------------

STEPS.update(
    {
        s.code: s
        for s in (
            engine.MEMO_STEP,
            StepSpec(Step.EXPLANATION, Step.EXPLANATION.label, "2 workdays", D.SALES, action="record_explanation",
                     task=True, seed="002 篇4 第九条(十三), 001 6.2.8: the customer is told why, by letter or phone"),
            StepSpec(Step.COLLECTION, Step.COLLECTION.label, "30 days", D.SALES, action="record_collection",
                     task=True, seed="002 篇4 第九条(十三): 在规定收款期收回应收帐款 (the normal payment terms)"),
        )
    }
)  # fmt: skip
CHANNELS = (("letter", gettext_lazy("Letter")), ("phone", gettext_lazy("Phone")))
ACTIONS.update(
    {
        a.name: a
        for a in (
            Action(
                "rule_memo",
                gettext_noop("Rule on the memo (签呈)"),
                ALL_STATES,
                engine.MEMO_RULER,
                (Outcome(None),),
                engine.MemoRulingIn,
                engine.rule_memo,
                "002 篇4 第九条(十一): the GM upholds or overrules; upheld, the case goes back to the step named",
                closes_step=False,
                task=engine.MEMO_TASK,
                inputs=(
                    inputs.yes_no("upheld", gettext_lazy("Upheld")),
                    inputs.area("note", gettext_lazy("Ruling")),
                    Input(
                        "reopen_at",
                        "choice",
                        gettext_lazy("Reopen at step (when upheld)"),
                        False,
                        tuple((s.value, s.label) for s in STATE_STEP.values()),
                    ),
                ),
            ),  # fmt: skip
            Action(
                "record_explanation",
                gettext_noop("Record the explanation to the customer"),
                (S.NOT_ESTABLISHED,),
                Who("department", D.SALES),
                (Outcome(None),),
                schemas.ExplanationIn,
                services.apply_explanation,
                "002 篇4 第九条(十三), 001 6.2.8: not established: explained to the customer by letter or phone",
                task=Step.EXPLANATION,
                inputs=(
                    Input("channel", "choice", gettext_lazy("By"), choices=CHANNELS),
                    inputs.area("content", gettext_lazy("Letter, or what was said")),
                    inputs.text("spoke_with", gettext_lazy("Phone: spoke with (customer)"), required=False),
                    inputs.text("spoke_by", gettext_lazy("Phone: spoken by (ours)"), required=False),
                    NOTE,
                ),
            ),
            Action(
                "record_collection",
                gettext_noop("Record the collection of the receivable"),
                (S.NOT_ESTABLISHED,),
                Who("department", D.SALES),
                (Outcome(None),),
                schemas.CollectionIn,
                None,
                "002 篇4 第九条(十三): not established: sales collects the receivable on the normal terms",
                task=Step.COLLECTION,
                inputs=(
                    inputs.area("result", gettext_lazy("Collected / agreed")),
                    Input("collected_on", "date", gettext_lazy("Collected on"), required=False),
                    NOTE,
                ),
            ),
        )
    }
)

# name -> guard; the texts are lazy so that each reader (a page, the API, the English docs) gets its own language.
GUARDS = {
    "serious": Guard(
        lambda c, sit: c.severity == Severity.SERIOUS,
        gettext_lazy("only serious complaints go to the management meeting"),
        gettext_lazy("serious complaints"),
    ),
    "pending_extension": Guard(
        lambda c, sit: sit.pending_extension,
        gettext_lazy("there is no extension request to decide"),
        gettext_lazy("an extension request is waiting"),
    ),
    "no_pending_extension": Guard(
        lambda c, sit: not sit.pending_extension,
        gettext_lazy("an extension request is already waiting"),
        gettext_lazy("no extension request waiting"),
    ),
}

# --- what the engine asks of a complaint ----------------------------------------------------------


def lookup(user, number: str, *, what: str = "view", request=None):
    """The complaint for ``user`` (404, or 403 logged in the customer's access log)."""
    from .selectors import get_complaint

    return get_complaint(user, number, what=what, request=request)


def summary(c) -> Summary:
    badge = c.get_severity_display() if c.severity != Severity.GENERAL else ""
    return Summary(
        key=c.number, title=c.title, customer=c.customer.name, badge=badge, badge_class=f"badge-{c.severity}"
    )


def panel_notes(complaint, sit) -> list[str]:
    if complaint.status != S.APPROVAL:
        return []
    return [
        _("Loss amount %(amount)s: approved by the %(level)s or above.")
        % {"amount": complaint.loss_amount or 0, "level": AUTHORITY_LABELS[_authority_level(complaint, sit)]}
    ]


def panel_extra(complaint, given=None) -> dict:
    """The letters to the customer, which the complaint keeps itself (R1.4)."""
    replies = getattr(given, "replies", None)
    if replies is None:
        replies = list(complaint.replies.select_related("recorded_by", "followup"))
    return {"replies": replies}


FLOW = Flow(
    name="complaint",
    label=gettext_lazy("complaint"),
    model="complaints.Complaint",
    states=Status,
    closed_states=CLOSED_STATES,
    steps=STEPS,
    actions=ACTIONS,
    first_step=Step.ASSIGN,
    key_field="number",
    case=CaseSpec(
        department=D.GM_OFFICE,
        due="15 days",
        variants={"domestic": "15 days", "foreign": "20 days"},
        variant=lambda c: c.region,
        seed="002 篇4 第十条: the whole case within 15 calendar days (domestic) or 20 (foreign)",
    ),
    variant=lambda c: c.severity if c.severity != Severity.GENERAL else "",
    customer_of=lambda c: c.customer_id,
    customer_deadline_of=lambda c: c.customer_deadline,
    co_owner=lambda c, code: D.GM_OFFICE if code == Step.COUNTERMEASURE and c.supplier else "",
    guards=GUARDS,
    state_step=STATE_STEP,
    url=lambda number: reverse("complaints:detail", args=[number]),
    summary=summary,
    list_related=("customer",),
    lookup=lookup,
    panel_notes=panel_notes,
    panel_template="complaints/_partials/replies.html",
    panel_extra=panel_extra,
    api_path="/complaints",
    state_tasks={S.NOT_ESTABLISHED: (Step.EXPLANATION, Step.COLLECTION)},
    reopen_steps=services.reopen_steps,
    on_reopen=services.on_reopen,
    doc=lambda: _doc(),
    seed="002 篇4 第九条",
)


def _doc() -> list[str]:
    from kefu.core import config

    from .apps import CASE_DAY_PRESETS

    defaults = config.DEFAULTS
    presets = "; ".join(
        f"{name}: {v['due.complaint.case.domestic']} / {v['due.complaint.case.foreign']}"
        for name, v in CASE_DAY_PRESETS.items()
    )
    return [
        "### Authority matrix (R1.3)",
        "",
        f"- loss amount up to {defaults['authority.sales_manager_max']} yuan: the sales manager (or above)",
        f"- up to {defaults['authority.deputy_gm_max']} yuan: the deputy GM (or the GM)",
        "- above: the GM",
        "",
        "The approval step goes to that level's department and role (its reminders to its holders). An",
        "approval by someone below the needed level is refused with 403. Sales cannot record a reply",
        "before the approval (409). When a supplier is responsible, the GM office owns the countermeasure",
        "step jointly with the responsible department (002 篇4 第九条(十二)).",
        "",
        f"Whole-case presets (domestic / foreign): {presets}.",
        "",
    ]


# --- the table as the rest of the app and the tests read it -------------------------------------------


def get(name: str) -> Action:
    return FLOW.get(name)


def label(name: str) -> str:
    """The action's human label in the active language (the code when unknown)."""
    return FLOW.label_of(name)


def labels(names) -> str:
    return FLOW.labels(names)


def status_label(code: str) -> str:
    return FLOW.status_label(code)


def state_actions(status: str) -> list[str]:
    """Actions that fit a state, whoever asks."""
    return FLOW.state_actions(status)
