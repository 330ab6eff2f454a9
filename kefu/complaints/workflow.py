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

from kefu.core import access, config
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.templatetags.kefu_format import money
from kefu.flow import engine
from kefu.flow import forms as inputs
from kefu.flow.spec import Action, CaseSpec, Flow, Guard, Input, Outcome, StepSpec, Summary, Who

from . import schemas, services
from .choices import (
    CLOSED_STATES,
    OPEN_STATES,
    ConfirmVia,
    CustomerRequest,
    Penalty,
    ReplyMethod,
    Severity,
    Status,
    Step,
)

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
        StepSpec(Step.INSTRUCTION, Step.INSTRUCTION.label, "1 workdays", D.GM_OFFICE, role=Role.GM,
                 action="instruct",
                 seed="002 篇4 第九条(二): quality's report goes to the GM for instruction (setting "
                      f"{services.INSTRUCT_INVESTIGATION})"),
        StepSpec(Step.COUNTERMEASURE, Step.COUNTERMEASURE.label, "1 workdays", owner=_countermeasure_owner,
                 owner_doc="the responsible department (+ GM office when a supplier is responsible)",
                 variants={Severity.MAJOR: "3 workdays", Severity.SERIOUS: "3 workdays"},
                 action="submit_countermeasure",
                 seed="002 篇1 第十一条(三): general complaints within one working day, larger ones within three"),
        StepSpec(Step.MEASURE_REVIEW, Step.MEASURE_REVIEW.label, "1 workdays", D.GM_OFFICE, role=Role.DEPUTY_GM,
                 action="review_countermeasure",
                 seed="002 篇4 第九条(三): the countermeasure goes to the manager's office (经理室) for "
                      f"instruction (setting {services.REVIEW_COUNTERMEASURE})"),
        StepSpec(Step.RD_OPINION, Step.RD_OPINION.label, "2 workdays", D.RD, action="submit_rd_opinion",
                 seed="002 篇4 第九条(三): R&D's opinion when the anomaly needs it"),
        StepSpec(Step.PROPOSAL, Step.PROPOSAL.label, "1 workdays", D.SALES, action="submit_proposal",
                 seed="002 篇4 第九条(四): sales negotiates with the customer and proposes the handling"),
        StepSpec(Step.PROPOSAL_REVIEW, Step.PROPOSAL_REVIEW.label, "1 workdays", D.SALES, role=Role.MANAGER,
                 action="review_proposal",
                 seed="002 篇4 第九条(四): the sales supervisor reviews the result before it returns to "
                      f"the GM office (setting {services.REVIEW_PROPOSAL})"),
        StepSpec(Step.SYNTHESIS, Step.SYNTHESIS.label, "1 workdays", D.GM_OFFICE, action="submit_synthesis",
                 seed="002 篇4 第九条(五): the GM office combines the opinions within one day"),
        StepSpec(Step.APPROVAL, Step.APPROVAL.label, "1 workdays", owner=_approval_owner, action="approve",
                 owner_doc="by the authority matrix (sales manager / deputy GM / GM)",
                 notice="approval_request", notice_subject=gettext_lazy("To approve"),
                 seed="002 篇4 第九条(五), R1.3: decided by the authority matrix"),
        StepSpec(Step.REPLY, Step.REPLY.label, "1 workdays", D.SALES, action="record_reply",
                 seed="002 篇4 第九条(十): sales tells the customer and records the answer"),
        StepSpec(Step.CONFIRMATION, Step.CONFIRMATION.label, "3 workdays", D.SALES, action="confirm_closing",
                 seed="001 6.3.6, 000 3.4: closing waits for the customer's confirmation or a follow-up call"),
    )
}  # fmt: skip

# State -> the step that is open in it (the docs' table).
STATE_STEP: dict[str, str] = {
    S.REGISTERED: Step.ASSIGN,
    S.INVESTIGATING: Step.INVESTIGATION,
    S.INSTRUCTION: Step.INSTRUCTION,
    S.COUNTERMEASURE: Step.COUNTERMEASURE,
    S.MEASURE_REVIEW: Step.MEASURE_REVIEW,
    S.RD_REVIEW: Step.RD_OPINION,
    S.NEGOTIATION: Step.PROPOSAL,
    S.PROPOSAL_REVIEW: Step.PROPOSAL_REVIEW,
    S.SYNTHESIS: Step.SYNTHESIS,
    S.APPROVAL: Step.APPROVAL,
    S.REPLY: Step.REPLY,
    S.CONFIRMATION: Step.CONFIRMATION,
}

# --- the table ------------------------------------------------------------------------------------

ALL_OPEN = tuple(OPEN_STATES)
ALL_STATES = tuple(Status.values)  # a memo may be filed after closing too (002 篇4 第九条(十一))
NOTE = inputs.NOTE
DEPARTMENTS = tuple((d.value, d.label) for d in DepartmentCode)
HANDLINGS = tuple((h.value, h.label) for h in CustomerRequest)
PENALTIES = tuple((p.value, p.label) for p in Penalty)
METHODS = tuple((m.value, m.label) for m in ReplyMethod)
VIAS = tuple((v.value, v.label) for v in ConfirmVia)


def _on(key: str) -> bool:
    """A switch among the settings (the instruction steps, the meeting), read when an action is taken."""
    return bool(config.snapshot().get(key, True))


def _then_countermeasure(data, c) -> bool:
    return not _on(services.REVIEW_COUNTERMEASURE)


def _sent_back(data, c) -> bool:
    return data.approved is False


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
                Outcome(
                    S.INSTRUCTION,
                    Step.INSTRUCTION,
                    f"setting `{services.INSTRUCT_INVESTIGATION}` on (default)",
                    lambda d, c: _on(services.INSTRUCT_INVESTIGATION),
                ),
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
                inputs.text(
                    "responsible_persons", gettext_lazy("Proposed responsible persons"), required=False
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
                "responsible_persons?",
                "supplier?",
                "note?",
            ),
        ),
        Action(
            "instruct",
            gettext_noop("Give the GM's instruction"),
            (S.INSTRUCTION,),
            Who("department", D.GM_OFFICE, min_role=Role.GM),
            (Outcome(S.COUNTERMEASURE, Step.COUNTERMEASURE),),
            schemas.InstructionIn,
            None,
            "002 篇4 第九条(二): quality's report goes to the GM for instruction",
            inputs=(inputs.area("instruction", gettext_lazy("GM's instruction (批示)")), NOTE),
        ),
        Action(
            "submit_countermeasure",
            gettext_noop("Submit countermeasure"),
            (S.COUNTERMEASURE,),
            Who("step_owner"),
            (
                Outcome(
                    S.MEASURE_REVIEW,
                    Step.MEASURE_REVIEW,
                    f"setting `{services.REVIEW_COUNTERMEASURE}` on (default)",
                    lambda d, c: _on(services.REVIEW_COUNTERMEASURE),
                ),
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
            "review_countermeasure",
            gettext_noop("Instruct on the countermeasure"),
            (S.MEASURE_REVIEW,),
            Who("department", D.GM_OFFICE, min_role=Role.DEPUTY_GM),
            (
                Outcome(S.COUNTERMEASURE, Step.COUNTERMEASURE, "`approved` is false", _sent_back),
                Outcome(
                    S.RD_REVIEW, Step.RD_OPINION, "the investigation asked for R&D", lambda d, c: c.needs_rd
                ),
                Outcome(S.NEGOTIATION, Step.PROPOSAL),
            ),
            schemas.ReviewIn,
            services.apply_review,
            "002 篇4 第九条(三): the manager's office (经理室) instructs on the countermeasure",
            inputs=(
                inputs.yes_no("approved", gettext_lazy("Countermeasure agreed")),
                inputs.area("opinion", gettext_lazy("Instruction (批示)"), required=False),
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
            (
                Outcome(
                    S.PROPOSAL_REVIEW,
                    Step.PROPOSAL_REVIEW,
                    f"setting `{services.REVIEW_PROPOSAL}` on (default)",
                    lambda d, c: _on(services.REVIEW_PROPOSAL),
                ),
                Outcome(S.SYNTHESIS, Step.SYNTHESIS),
            ),
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
            "review_proposal",
            gettext_noop("Review the negotiation result"),
            (S.PROPOSAL_REVIEW,),
            Who("department", D.SALES, min_role=Role.MANAGER),
            (
                Outcome(S.NEGOTIATION, Step.PROPOSAL, "`approved` is false", _sent_back),
                Outcome(S.SYNTHESIS, Step.SYNTHESIS),
            ),
            schemas.ReviewIn,
            services.apply_review,
            "002 篇4 第九条(四): the sales supervisor reviews the result before it returns to the GM office",
            inputs=(
                inputs.yes_no("approved", gettext_lazy("Result reviewed and agreed")),
                inputs.area("opinion", gettext_lazy("Review opinion"), required=False),
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
            services.apply_synthesis,
            "002 篇4 第七条(三)3, 第九条(五)(六): the GM office combines the opinions within one day and "
            "decides the responsibility",
            inputs=(
                inputs.area("opinion", gettext_lazy("Synthesis opinion")),
                Input(
                    "responsibility", "shares", gettext_lazy("Responsibility (shares in %, adding up to 100)")
                ),
                Input(
                    "human_negligence", "check", gettext_lazy("Human negligence (人为疏忽)"), required=False
                ),
                Input(
                    "tracking", "check", gettext_lazy("Put the improvement under tracking"), required=False
                ),
                Input(
                    "penalty", "choice", gettext_lazy("Proposed penalty"), required=False, choices=PENALTIES
                ),
                NOTE,
            ),
        ),
        Action(
            "approve",
            gettext_noop("Approve"),
            (S.APPROVAL,),
            AUTHORITY,
            (Outcome(S.REPLY, Step.REPLY),),
            schemas.ActionIn,
            services.apply_approve,
            "002 篇4 第九条(五)(十), R1.3: decided by the authority matrix; 篇1 第十一条(二): a major or "
            "serious case after the management meeting",
            guard="meeting_decided",
            inputs=(NOTE,),
        ),
        Action(
            "send_back",
            gettext_noop("Send back to sales"),
            (S.APPROVAL,),
            AUTHORITY,
            (Outcome(S.NEGOTIATION, Step.PROPOSAL),),
            schemas.SendBackIn,
            services.apply_send_back,
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
                Outcome(S.CONFIRMATION, Step.CONFIRMATION),
            ),
            schemas.ReplyIn,
            services.apply_reply,
            "002 篇4 第九条(四)(八)(十), R1.4, R4.1: by letter or phone, never the internal form; "
            "rejected -> new complaint",
            inputs=(
                Input("method", "choice", gettext_lazy("Answered by"), choices=METHODS),
                inputs.area("letter", gettext_lazy("Letter to the customer, or what was said on the phone")),
                inputs.text("spoke_with", gettext_lazy("Phone: spoke with"), required=False),
                Input("spoke_at", "datetime", gettext_lazy("Phone: when"), required=False),
                Input(
                    "customer_accepts",
                    "choice",
                    gettext_lazy("The customer's answer at once (else: wait for the confirmation)"),
                    required=False,
                    choices=(("false", gettext_lazy("Rejected: a new complaint is opened")),),
                ),
                NOTE,
            ),
            fields_doc=(
                "letter",
                "method?",
                "spoke_with (phone)",
                "spoke_at (phone)",
                "customer_accepts?",
                "note?",
            ),
        ),
        Action(
            "confirm_closing",
            gettext_noop("Record the customer's confirmation"),
            (S.CONFIRMATION,),
            Who("department", D.SALES),
            (
                Outcome(
                    S.CLOSED,
                    None,
                    "`customer_accepts` is false: outcome rejected, a new complaint is opened and linked",
                    lambda d, c: d.customer_accepts is False,
                ),
                Outcome(S.CLOSED, None, "outcome accepted"),
            ),
            schemas.ConfirmIn,
            services.apply_confirm,
            "002 篇4 第九条(八)(十), 001 6.3.6, 000 3.4: the customer's confirmation or a follow-up call",
            inputs=(
                Input("via", "choice", gettext_lazy("Confirmed by"), choices=VIAS),
                inputs.yes_no("customer_accepts", gettext_lazy("Customer accepts")),
                inputs.text("contact", gettext_lazy("Who confirmed / whom the call reached")),
                Input("at", "datetime", gettext_lazy("When"), required=False),
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
            services.apply_meeting,
            "002 篇1 第十一条(二), R4.4: major and serious complaints go to the management meeting",
            closes_step=False,
            guard="meeting_case",
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
MEETING_SEVERITIES = (Severity.MAJOR, Severity.SERIOUS)


def needs_meeting(c, settings: dict) -> bool:
    """A major or serious case goes to the management meeting before approval (篇1 第十一条(二))."""
    return c.severity in MEETING_SEVERITIES and bool(settings.get(services.MEETING_BEFORE_APPROVAL, True))


GUARDS = {
    "meeting_case": Guard(
        lambda c, sit: c.severity in MEETING_SEVERITIES,
        gettext_lazy("only major and serious complaints go to the management meeting"),
        gettext_lazy("major and serious complaints"),
    ),
    "meeting_decided": Guard(
        lambda c, sit: c.meeting_at is not None or not needs_meeting(c, sit.settings),
        gettext_lazy(
            "a major or serious complaint is approved after the management meeting's decision is recorded"
        ),
        gettext_lazy("a major or serious complaint: after the management meeting's decision (setting)"),
    ),
    **engine.EXTENSION_GUARDS,
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
    notes = [
        _("Loss amount %(amount)s: approved by the %(level)s or above.")
        % {
            "amount": money(complaint.loss_amount or 0),
            "level": AUTHORITY_LABELS[_authority_level(complaint, sit)],
        }
    ]
    if complaint.meeting_at is None and needs_meeting(complaint, sit.settings):
        notes.append(_("A major or serious complaint: approval waits for the management meeting's decision."))
    return notes


def panel_extra(complaint, given=None, steps=None) -> dict:
    """The letters to the customer, which the complaint keeps itself (R1.4), and at the approval
    what the approver decides on: the proposal, the synthesis and the amount."""
    replies = getattr(given, "replies", None)
    if replies is None:
        replies = list(complaint.replies.select_related("recorded_by", "followup"))
    out = {"replies": replies}
    if complaint.status == S.APPROVAL and steps is not None:
        from .findings import decision_basis

        shares = getattr(given, "responsibilities", None)
        if shares is None:
            shares = list(complaint.responsibilities.select_related("department", "person"))
        out["decision_basis"] = decision_basis(complaint, steps, shares)
    return out


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
