"""The complaint state machine as data (STYLE 2; SPEC M4; 002 篇4 第九条).

``ACTIONS`` is the whole table: for each action the states it may be taken
in, who may take it, the next state and step (possibly decided by what was
submitted), and the body fields. ``require`` refuses an action with
``Conflict`` (409, naming the allowed actions) or ``Forbidden`` (403);
``actions.py`` applies it; ``kefu workflow-doc`` prints the table to
``docs/workflow.md``. Nothing here writes to the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext

from kefu.core import access
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.errors import Conflict, Forbidden, NotFound

from .choices import OPEN_STATES, Severity, Status, Step

D = DepartmentCode
S = Status

# --- who owns each step ------------------------------------------------------

# Fixed owner department per step; ``None``: decided by the case (the
# responsible department of the investigation, or the approver's level).
STEP_DEPARTMENT: dict[str, str | None] = {
    Step.ASSIGN: D.GM_OFFICE,
    Step.INVESTIGATION: D.QUALITY,
    Step.COUNTERMEASURE: None,
    Step.RD_OPINION: D.RD,
    Step.PROPOSAL: D.SALES,
    Step.SYNTHESIS: D.GM_OFFICE,
    Step.APPROVAL: None,
    Step.REPLY: D.SALES,
}

# --- authority matrix (R1.3, 002 篇4 第九条(五)) --------------------------------

SALES_MANAGER = "sales_manager"
DEPUTY_GM = "deputy_gm"
GM = "gm"
AUTHORITY_LABELS = {
    SALES_MANAGER: gettext_lazy("sales manager"),
    DEPUTY_GM: gettext_lazy("deputy GM"),
    GM: gettext_lazy("GM"),
}
AUTHORITY_DEPARTMENT = {SALES_MANAGER: D.SALES, DEPUTY_GM: D.GM_OFFICE, GM: D.GM_OFFICE}


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


# --- the table ---------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """Who may take an action.

    kind: ``department`` (a member of ``department`` with at least ``min_role``),
    ``step_owner`` (a member of the current step's department, or of the GM
    office when a supplier is responsible, R4.2), ``step_manager`` (a manager
    of that department, or an executive), ``authority`` (the authority matrix on
    the loss amount), ``any_member`` (anyone in any department).
    """

    kind: str
    department: str = ""
    min_role: str = Role.CLERK

    def describe(self) -> str:
        if self.kind == "department":
            dept = D(self.department).label
            if self.min_role == Role.CLERK:
                return str(dept)
            return _("%(department)s (%(role)s+)") % {"department": dept, "role": Role(self.min_role).label}
        return {
            "step_owner": _(
                "owner department of the current step (+ GM office when a supplier is responsible)"
            ),
            "step_manager": _("manager of the current step's department, or an executive"),
            "authority": _("authority matrix on the loss amount: sales manager / deputy GM / GM"),
            "any_member": _("any department"),
        }[self.kind]


@dataclass(frozen=True)
class Outcome:
    """Where an action leads. ``to`` None: the state stays; ``opens``: the next step."""

    to: str | None
    opens: str | None = None
    when: str = ""
    test: Callable[[dict, object], bool] | None = None


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    from_states: tuple[str, ...]
    who: Who
    outcomes: tuple[Outcome, ...]
    fields: tuple[str, ...]
    seed: str
    closes_step: bool = True
    guard: str = ""  # a further precondition, see GUARDS

    def outcome(self, payload: dict, complaint) -> Outcome:
        for out in self.outcomes:
            if out.test is None or out.test(payload, complaint):
                return out
        raise AssertionError(f"{self.name}: no outcome matches")  # the table always ends with a default


ALL_OPEN = tuple(OPEN_STATES)

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "assign",
            gettext_noop("Assign to quality"),
            (S.REGISTERED,),
            Who("department", D.GM_OFFICE),
            (Outcome(S.INVESTIGATING, Step.INVESTIGATION),),
            ("assignee?", "note?"),
            "002 篇4 第九条(三): the GM office numbers the case and sends it to quality",
        ),
        Action(
            "submit_investigation",
            gettext_noop("Submit investigation"),
            (S.INVESTIGATING,),
            Who("department", D.QUALITY),
            (
                Outcome(S.NOT_ESTABLISHED, None, "`valid` is false", lambda p, c: p.get("valid") is False),
                Outcome(S.COUNTERMEASURE, Step.COUNTERMEASURE),
            ),
            ("cause", "valid", "needs_rd?", "responsible_department (when valid)", "supplier?", "note?"),
            "002 篇4 第九条(二)(三), R3.6: quality finds the cause and the responsible department",
        ),
        Action(
            "submit_countermeasure",
            gettext_noop("Submit countermeasure"),
            (S.COUNTERMEASURE,),
            Who("step_owner"),
            (
                Outcome(
                    S.RD_REVIEW, Step.RD_OPINION, "the investigation asked for R&D", lambda p, c: c.needs_rd
                ),
                Outcome(S.NEGOTIATION, Step.PROPOSAL),
            ),
            ("analysis", "action", "unit?", "shift?", "operators?", "production_date?", "note?"),
            "002 篇4 第九条(三): the responsible unit analyses the cause and sets the countermeasure",
        ),
        Action(
            "submit_rd_opinion",
            gettext_noop("Submit R&D opinion"),
            (S.RD_REVIEW,),
            Who("department", D.RD),
            (Outcome(S.NEGOTIATION, Step.PROPOSAL),),
            ("opinion", "note?"),
            "002 篇4 第九条(三): R&D gives its opinion when the anomaly needs it",
        ),
        Action(
            "submit_proposal",
            gettext_noop("Submit handling proposal"),
            (S.NEGOTIATION,),
            Who("department", D.SALES),
            (Outcome(S.SYNTHESIS, Step.SYNTHESIS),),
            ("handling", "loss_amount", "customer_position?", "note?"),
            "002 篇4 第九条(四): sales negotiates with the customer; its manager is notified to review",
        ),
        Action(
            "submit_synthesis",
            gettext_noop("Submit synthesis"),
            (S.SYNTHESIS,),
            Who("department", D.GM_OFFICE),
            (Outcome(S.APPROVAL, Step.APPROVAL),),
            ("opinion", "note?"),
            "002 篇4 第九条(五): the GM office combines the opinions within one day",
        ),
        Action(
            "approve",
            gettext_noop("Approve"),
            (S.APPROVAL,),
            Who("authority"),
            (Outcome(S.REPLY, Step.REPLY),),
            ("note?",),
            "002 篇4 第九条(五)(十), R1.3: decided by the authority matrix",
        ),
        Action(
            "send_back",
            gettext_noop("Send back to sales"),
            (S.APPROVAL,),
            Who("authority"),
            (Outcome(S.NEGOTIATION, Step.PROPOSAL),),
            ("note",),
            "002 篇4 第九条(五): the approver returns the proposal",
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
                    lambda p, c: p.get("customer_accepts") is False,
                ),
                Outcome(S.CLOSED, None),
            ),
            ("letter", "customer_accepts", "note?"),
            "002 篇4 第九条(四)(八)(十), R1.4, R4.1: a separate letter; not accepted -> new complaint",
        ),
        Action(
            "object",
            gettext_noop("File an objection (签呈)"),
            ALL_OPEN,
            Who("any_member"),
            (Outcome(None),),
            ("memo",),
            "002 篇4 第九条(十一), R4.3: a memo to the GM, recorded on the case",
            closes_step=False,
        ),
        Action(
            "request_extension",
            gettext_noop("Request an extension"),
            ALL_OPEN,
            Who("step_owner"),
            (Outcome(None),),
            ("days", "reason"),
            "002 篇1 第十一条(三): at most 7 working days in all per step",
            closes_step=False,
            guard="no_pending_extension",
        ),
        Action(
            "approve_extension",
            gettext_noop("Decide on the extension"),
            ALL_OPEN,
            Who("step_manager"),
            (Outcome(None),),
            ("approved?", "note?"),
            "002 篇1 第十一条(三): approved by the managers; the step deadline moves",
            closes_step=False,
            guard="pending_extension",
        ),
        Action(
            "record_meeting_decision",
            gettext_noop("Record the management meeting decision"),
            ALL_OPEN,
            Who("department", D.GM_OFFICE),
            (Outcome(None),),
            ("decision", "attendees"),
            "002 篇1 第十一条(二), R4.4: serious complaints go to the management meeting",
            closes_step=False,
            guard="serious",
        ),
    )
}

# State -> step that is open in it (the timeline's current row).
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


@dataclass
class Situation:
    """What ``require`` needs besides the complaint: its open step and the settings."""

    step: object | None  # the open ComplaintStep
    settings: dict
    pending_extension: bool = False
    extra: dict = field(default_factory=dict)


# name -> (precondition, refusal message, the condition in the docs); the texts are
# lazy so that each reader (a page, the API, the English docs) gets its own language.
GUARDS: dict[str, tuple[Callable[[object, Situation], bool], str, str]] = {
    "serious": (
        lambda c, s: c.severity == Severity.SERIOUS,
        gettext_lazy("only serious complaints go to the management meeting"),
        gettext_lazy("serious complaints"),
    ),
    "pending_extension": (
        lambda c, s: s.pending_extension,
        gettext_lazy("there is no extension request to decide"),
        gettext_lazy("an extension request is waiting"),
    ),
    "no_pending_extension": (
        lambda c, s: not s.pending_extension,
        gettext_lazy("an extension request is already waiting"),
        gettext_lazy("no extension request waiting"),
    ),
}


def label(name: str) -> str:
    """The action's human label in the active language (the code when unknown)."""
    action = ACTIONS.get(name)
    return _(action.label) if action is not None else name


def labels(names) -> str:
    """Action labels as one list, joined the way the active language lists things."""
    return pgettext("list separator", ", ").join(label(n) for n in names)


def status_label(code: str) -> str:
    return str(Status(code).label) if code in Status.values else code


def get(name: str) -> Action:
    try:
        return ACTIONS[name]
    except KeyError:
        raise NotFound(
            _("unknown action %(name)r; actions: %(actions)s")
            % {"name": name, "actions": ", ".join(ACTIONS)},
            field="action",
        ) from None


def state_actions(status: str) -> list[str]:
    """Actions that fit a state, whoever asks."""
    return [a.name for a in ACTIONS.values() if status in a.from_states]


def step_owners(complaint, step) -> set[str]:
    owners = {step.department.code} if step is not None else set()
    if complaint.supplier and owners:
        owners.add(D.GM_OFFICE)  # R4.2: handled jointly by the GM office
    return owners


def permitted(action: Action, complaint, user, sit: Situation) -> bool:
    who = action.who
    if who.kind == "department":
        return access.in_department(user, who.department, min_role=who.min_role)
    if who.kind == "step_owner":
        return any(
            access.in_department(user, code, min_role=Role.CLERK) for code in step_owners(complaint, sit.step)
        )
    if who.kind == "step_manager":
        if access.is_executive(user) and access.rank(user) > 0:
            return True
        return any(
            access.in_department(user, code, min_role=Role.MANAGER)
            for code in step_owners(complaint, sit.step)
        )
    if who.kind == "authority":
        return has_authority(user, required_authority(complaint.loss_amount, sit.settings))
    if who.kind == "any_member":
        return access.rank(user) >= ROLE_RANK[Role.CLERK]
    raise AssertionError(who.kind)


def fits(action: Action, complaint, sit: Situation) -> bool:
    if complaint.status not in action.from_states:
        return False
    if action.guard:
        return GUARDS[action.guard][0](complaint, sit)
    return True


def require(complaint, name: str, user, sit: Situation) -> Action:
    """The action, or ``Conflict`` when it does not fit the state, ``Forbidden`` when not this user's."""
    action = get(name)
    if complaint.status not in action.from_states:
        allowed = state_actions(complaint.status)
        raise Conflict(
            _("%(action)s is not allowed when the complaint is %(status)s; allowed now: %(allowed)s")
            % {
                "action": label(name),
                "status": status_label(complaint.status),
                "allowed": labels(allowed) or _("none (the case is closed)"),
            },
            allowed=allowed,
            status=complaint.status,
        )
    if action.guard:
        check, message, _doc = GUARDS[action.guard]
        if not check(complaint, sit):
            allowed = [a for a in state_actions(complaint.status) if fits(ACTIONS[a], complaint, sit)]
            raise Conflict(
                _("%(action)s: %(reason)s; allowed now: %(allowed)s")
                % {"action": label(name), "reason": message, "allowed": labels(allowed)},
                allowed=allowed,
            )
    if not permitted(action, complaint, user, sit):
        raise Forbidden(
            _("%(action)s may be taken by: %(who)s; %(why)s")
            % {
                "action": label(name),
                "who": describe_who(action, complaint, sit),
                "why": why_not(action, complaint, user, sit),
            }
        )
    return action


def _required(action: Action, complaint, sit: Situation) -> tuple[set[str], str]:
    """The departments and the lowest role that may take ``action`` (authority: none)."""
    who = action.who
    if who.kind == "department":
        return {who.department}, who.min_role
    if who.kind == "step_owner":
        return step_owners(complaint, sit.step), Role.CLERK
    if who.kind == "step_manager":
        return step_owners(complaint, sit.step), Role.MANAGER
    return set(), Role.CLERK


def why_not(action: Action, complaint, user, sit: Situation) -> str:
    """What stops ``user``, in their own terms: the role they hold where the action is taken,
    or the departments they are not in (not only who may, which they may believe is them)."""
    if access.is_admin(user) and access.rank(user) == 0:
        return _("you are an administrator, a role that takes no part in the workflow")
    mine = dict(access.memberships(user))
    if not mine:
        return _("you are a member of no department")
    if action.who.kind == "authority":
        level = required_authority(complaint.loss_amount, sit.settings)
        return _("the loss amount needs the %(level)s or above; your highest role is %(role)s") % {
            "level": AUTHORITY_LABELS[level],
            "role": Role(max(mine.values(), key=lambda r: ROLE_RANK[r])).label,
        }
    departments, min_role = _required(action, complaint, sit)
    held = {code: role for code, role in mine.items() if code in departments}
    if held:
        code, role = next(iter(sorted(held.items())))
        return _("your role in %(department)s is %(role)s; this needs %(needed)s or above") % {
            "department": D(code).label if code in D.values else code,
            "role": Role(role).label,
            "needed": Role(min_role).label,
        }
    return _("you are in %(departments)s") % {
        "departments": pgettext("list separator", ", ").join(
            str(D(code).label) if code in D.values else code for code in sorted(mine)
        )
    }


def describe_who(action: Action, complaint, sit: Situation) -> str:
    if action.who.kind == "authority":
        level = required_authority(complaint.loss_amount, sit.settings)
        return _("the %(level)s or above (loss amount %(amount)s)") % {
            "level": AUTHORITY_LABELS[level],
            "amount": complaint.loss_amount or 0,
        }
    if action.who.kind in ("step_owner", "step_manager") and sit.step is not None:
        owners = pgettext("list separator", ", ").join(
            str(D(code).label) if code in D.values else code
            for code in sorted(step_owners(complaint, sit.step))
        )
        return _("%(who)s: %(departments)s") % {"who": action.who.describe(), "departments": owners}
    return action.who.describe()


def allowed_actions(complaint, user, sit: Situation) -> list[str]:
    return [
        a.name for a in ACTIONS.values() if fits(a, complaint, sit) and permitted(a, complaint, user, sit)
    ]
