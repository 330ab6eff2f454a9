"""The complaint form (客户抱怨处理表) as the departments filled it in: every step's content, in the
order of the paper form (002 篇4 第九条), read from the steps the detail page has loaded already.

Each closed step keeps what was submitted in ``Step.data`` (``kefu.flow.engine._close_step``);
the labels come from the flow table's inputs, so the page names every field as the form that
took it did. No queries here: the people are the steps' own (``done_by``, ``assignee``) and the
responsibility rows are the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from .choices import CustomerRequest
from .choices import Step as S

# The paper form's order: registration, quality, the GM's instruction, production, the
# manager's office, R&D, sales and its supervisor, the GM office, the decision, the answer.
FORM_ORDER = (
    S.ASSIGN,
    S.INVESTIGATION,
    S.INSTRUCTION,
    S.COUNTERMEASURE,
    S.MEASURE_REVIEW,
    S.RD_OPINION,
    S.PROPOSAL,
    S.PROPOSAL_REVIEW,
    S.SYNTHESIS,
    S.APPROVAL,
    S.REPLY,
    S.CONFIRMATION,
)

# What a step records besides its form's inputs (the approval: who decided what).
DECISIONS = {"approved": _("Approved"), "sent_back": _("Sent back to sales")}
EXTRA = {
    "decision": (_("Decision"), "decision"),
    "authority": (_("Decided at the level of"), "authority"),
    "handling": (_("Handling"), "choice"),
    "loss_amount": (_("Loss amount"), "money"),
}
HANDLINGS = dict(CustomerRequest.choices)


@dataclass
class Item:
    name: str
    label: str
    value: object
    kind: str = "text"  # text, money, person, bool, date, moment, shares


@dataclass
class Section:
    code: str
    label: str
    step: object  # the Step row: department, done_by, done_at
    items: list[Item] = field(default_factory=list)


def _users(steps) -> dict:
    """The people the steps already carry, by username."""
    found = {}
    for s in steps:
        for user in (s.done_by, s.assignee):
            if user is not None:
                found[user.get_username()] = user
    return found


def _item(spec, value, users) -> Item | None:
    if value is None or value == "" or value == []:
        return None
    kind = spec.kind
    label = str(spec.label)
    if kind in ("yesno", "check"):
        return Item(spec.name, label, bool(value), "bool")
    if kind == "choice":
        key = ("true" if value else "false") if isinstance(value, bool) else value
        return Item(spec.name, label, str(dict(spec.choices).get(key, value)))
    if kind == "decimal":
        return Item(spec.name, label, value, "money")
    if kind == "person":
        return Item(spec.name, label, users.get(value, value), "person")
    if kind == "date":
        return Item(spec.name, label, parse_date(str(value)) or value, "date")
    if kind == "datetime":
        moment = parse_datetime(str(value))
        return Item(spec.name, label, timezone.localtime(moment) if moment else value, "moment")
    if kind == "shares":
        return None  # shown from the Responsibility rows
    return Item(spec.name, label, value)


def _extra(name: str, value) -> Item | None:
    from .workflow import AUTHORITY_LABELS

    if value in (None, ""):
        return None
    label, kind = EXTRA[name]
    if kind == "decision":
        return Item(name, str(label), str(DECISIONS.get(value, value)))
    if kind == "authority":
        return Item(name, str(label), str(AUTHORITY_LABELS.get(value, value)))
    if kind == "choice":
        return Item(name, str(label), str(HANDLINGS.get(value, value)))
    return Item(name, str(label), value, kind)


def sections(steps) -> list[Section]:
    """The done steps' content in the paper form's order (a step done twice, e.g. after a
    send-back, once per round in time order)."""
    from kefu.flow.engine import step_label

    from .workflow import ACTIONS, FLOW

    users = _users(steps)
    rank = {code: i for i, code in enumerate(FORM_ORDER)}
    done = [s for s in steps if not s.is_case and s.done_at is not None and s.code in rank]
    done.sort(key=lambda s: (rank[s.code], s.started_at, s.pk or 0))
    out = []
    for s in done:
        spec = FLOW.steps[s.code]
        action = ACTIONS.get(spec.action)
        data = s.data or {}
        items = []
        if s.code == S.APPROVAL:
            items += [_extra(name, data.get(name)) for name in EXTRA]
        inputs = action.inputs if action is not None else ()
        if s.code == S.APPROVAL and data.get("decision") == "sent_back":
            inputs = ACTIONS["send_back"].inputs
        for spec_in in inputs:
            items.append(_item(spec_in, data.get(spec_in.name), users))
        out.append(Section(s.code, step_label(FLOW, s), s, [i for i in items if i is not None]))
    return out


def api_findings(steps) -> list[dict]:
    """The API's view: each done step's data as it was submitted, in the paper form's order."""
    from .schemas import local

    out = []
    for section in sections(steps):
        s = section.step
        out.append(
            {
                "step": s.code,
                "department": s.department.code,
                "by": s.done_by.get_username() if s.done_by else None,
                "by_name": _name(s.done_by),
                "at": local(s.done_at),
                "data": dict(s.data or {}),
            }
        )
    return out


def _name(user) -> str | None:
    from kefu.core.templatetags.kefu_format import person

    return person(user) if user is not None else None


def api_responsibility(complaint, responsibilities) -> dict | None:
    if not responsibilities:
        return None
    return {
        "shares": [
            {
                "department": r.department.code,
                "person": r.person.get_username() if r.person else None,
                "person_name": _name(r.person),
                "share": r.share,
            }
            for r in responsibilities
        ],
        "tracking": complaint.tracking,
        "human_negligence": complaint.human_negligence,
        "penalty": complaint.penalty,
    }


def decision_basis(complaint, steps, responsibilities) -> list[Item]:
    """What the approver decides on (002 篇4 第九条(五)): the latest proposal, its review, the
    synthesis with the responsibility split, and the amount, on the page where they approve."""
    latest = {}
    for s in steps:
        if s.done_at is not None and s.code in (S.PROPOSAL, S.PROPOSAL_REVIEW, S.SYNTHESIS):
            latest[s.code] = s
    items = [
        Item("handling", str(_("Handling")), complaint.get_handling_display() or "—"),
        Item("loss_amount", str(_("Loss amount")), complaint.loss_amount, "money"),
    ]
    proposal = latest.get(S.PROPOSAL)
    if proposal is not None and (proposal.data or {}).get("customer_position"):
        items.append(
            Item("customer_position", str(_("Customer's position")), proposal.data["customer_position"])
        )
    review = latest.get(S.PROPOSAL_REVIEW)
    if review is not None and (review.data or {}).get("opinion"):
        items.append(Item("review", str(_("Sales supervisor's review")), review.data["opinion"]))
    synthesis = latest.get(S.SYNTHESIS)
    if synthesis is not None:
        items.append(
            Item("synthesis", str(_("Synthesis opinion")), (synthesis.data or {}).get("opinion", ""))
        )
    if responsibilities:
        items.append(Item("responsibility", str(_("Responsibility")), list(responsibilities), "shares"))
    if complaint.penalty:
        items.append(Item("penalty", str(_("Proposed penalty")), complaint.get_penalty_display()))
    return items
