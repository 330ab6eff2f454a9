"""A flow as data (STYLE 2): states, steps with their owners and clocks, actions with who may
take them, where they lead and the body they take. A record type defines one ``Flow`` and
registers it (``kefu.flow.registry``); ``kefu.flow.engine.perform`` takes its actions.

Nothing here writes to the database. ``require`` refuses an action with ``Conflict``
(409, naming the allowed actions) or ``Forbidden`` (403, saying what stops this user).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from pydantic import BaseModel

from kefu.core import access
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.errors import Conflict, Forbidden, NotFound

D = DepartmentCode


def department_label(code: str) -> str:
    return str(D(code).label) if code in D.values else code


def join(items) -> str:
    """Items as one list, joined the way the active language lists things."""
    return pgettext("list separator", ", ").join(str(i) for i in items)


# --- who may act ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """Who may take an action.

    ``department``: a member of ``department`` with at least ``min_role``;
    ``step_owner``: a member of the open step's department (or of its co-owning department); ``step_manager``: a manager of that department, or an executive;
    ``any_member``: anyone in a department; ``custom``: ``test(user, record, sit)``, described by
    ``text(record, sit)`` and explained by ``reason(user, record, sit)`` (an authority matrix).
    """

    kind: str
    department: str = ""
    min_role: str = Role.CLERK
    test: Callable | None = None
    text: Callable | None = None
    reason: Callable | None = None

    def describe(self, record=None, sit: Situation | None = None) -> str:
        if self.kind == "custom":
            return str(self.text(record, sit))
        if self.kind == "department":
            dept = department_label(self.department)
            if self.min_role == Role.CLERK:
                return dept
            return _("%(department)s (%(role)s+)") % {"department": dept, "role": Role(self.min_role).label}
        if self.kind in ("step_owner", "step_manager") and sit is not None and sit.step is not None:
            owners = join(department_label(c) for c in sorted(sit.owners()))
            base = (
                _("owner department of the current step")
                if self.kind == "step_owner"
                else _("manager of the current step's department, or an executive")
            )
            return _("%(who)s: %(departments)s") % {"who": base, "departments": owners}
        return {
            "step_owner": _(
                "owner department of the current step (+ GM office when a supplier is responsible)"
            ),
            "step_manager": _("manager of the current step's department, or an executive"),
            "any_member": _("any department"),
        }[self.kind]


# --- steps and the case deadline ---------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """A step: who owns it, the role that acts on it, how long it may take (a setting).

    ``due`` is the default duration in the seed's wording (``"3 workdays"``, ``"48 hours"``,
    ``"7 days"``); the setting ``due.<flow>.<code>`` overrides it, ``due.<flow>.<code>.<variant>``
    (e.g. ``.major``) wins over both for a record whose ``Flow.variant`` is that variant.
    ``owner(record, ctx)`` decides the department (and role) when it is not fixed.
    """

    code: str
    label: Promise | str
    due: str
    department: str | None = None
    role: str = Role.CLERK
    owner: Callable | None = None
    owner_doc: str = ""  # who owns it, for the docs, when ``owner`` decides
    variants: dict[str, str] = field(default_factory=dict)  # variant -> default ("major": "3 workdays")
    action: str = ""  # the step's own action, offered on the work list
    customer_deadline: bool = False  # the record's customer-set deadline replaces this step's
    notice: str = "step_opened"  # the outbox kind of the mail sent when the step opens
    notice_subject: Promise | str = ""  # its subject, the step's label by default
    seed: str = ""
    # A task (``kind = task``): opened beside the workflow step or after closing (a memo's ruling,
    # the explanation to the customer of a complaint found not established); it never is "the
    # open step" of the record, and its own ``Action.task`` completes it.
    task: bool = False
    # record -> a fixed deadline (a date the department committed to) or None: it replaces the
    # clock (the setting's duration stays the fallback); a customer-set deadline still wins.
    due_of: Callable | None = None
    opened_doc: str = ""  # when a task opens, for the docs, if neither a state nor a memo opens it

    def setting_key(self, flow: str, variant: str = "") -> str:
        return f"due.{flow}.{self.code}" + (f".{variant}" if variant else "")


@dataclass(frozen=True)
class CaseSpec:
    """The record's own deadline (the complaint's 15 / 20 days): a ``case`` row owned by
    ``department`` that gets reminders and lateness inquiries like a step."""

    department: str
    due: str  # default when no variant applies
    variants: dict[str, str] = field(default_factory=dict)  # variant -> default ("foreign": "20 days")
    variant: Callable | None = None  # record -> variant
    role: str = Role.CLERK
    seed: str = ""

    def setting_key(self, flow: str, variant: str = "") -> str:
        return f"due.{flow}.case" + (f".{variant}" if variant else "")


@dataclass(frozen=True)
class NoticeSpec:
    """An advance notice ("heads-up", ``kefu.flow.notices``): a mail ``before`` (a duration in the
    clocks' words, the setting ``notice.<flow>.<code>`` overrides it) the moment ``of(record)``
    (None: no notice), to ``to(record) -> (department codes, min_role, users)``, worded by
    ``text(record, moment) -> (subject, body)``; ``when(record)`` False: this record gets none.
    ``deliver(record, moment, now) -> outbox rows``, when set, writes the notice itself instead
    (mail to people outside kefu, e.g. the customers who have not answered a survey), in the
    notice pass's transaction, with its own audit entry."""

    code: str
    label: Promise | str
    before: str
    of: Callable
    to: Callable
    text: Callable
    when: Callable | None = None
    seed: str = ""
    deliver: Callable | None = None

    def setting_key(self, flow: str) -> str:
        return f"notice.{flow}.{self.code}"


# --- actions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Where an action leads. ``to`` None: the state stays; ``opens``: the next step."""

    to: str | None
    opens: str | None = None
    when: str = ""
    test: Callable[[BaseModel, object], bool] | None = None


@dataclass(frozen=True)
class Input:
    """One input of an action's form on the pages (the API takes the body model's fields)."""

    name: str
    kind: str  # text, textarea, yesno, check, choice, date, decimal, int, person
    label: Promise | str
    required: bool = True
    choices: tuple = ()
    department: str = ""  # kind "person": the department whose members may be chosen


@dataclass(frozen=True)
class Action:
    name: str
    label: Promise | str
    from_states: tuple[str, ...]
    who: Who
    outcomes: tuple[Outcome, ...]
    body: type[BaseModel]
    apply: Callable | None  # (ctx) -> None: what the action changes besides steps and state
    seed: str
    closes_step: bool = True
    guard: str = ""
    inputs: tuple[Input, ...] = ()
    fields_doc: tuple[str, ...] = ()  # the body fields as the docs print them; from the body by default
    # The task (a ``StepSpec`` with ``task=True``) this action completes: it fits only while such a
    # task is open, and with ``closes_step`` the engine closes that task instead of the workflow step.
    task: str = ""

    def outcome(self, data: BaseModel, record) -> Outcome:
        for out in self.outcomes:
            if out.test is None or out.test(data, record):
                return out
        raise AssertionError(f"{self.name}: no outcome matches")  # the table always ends with a default

    def doc_fields(self) -> tuple[str, ...]:
        if self.fields_doc:
            return self.fields_doc
        names = [name if info.is_required() else f"{name}?" for name, info in self.body.model_fields.items()]
        return tuple(sorted(names, key=lambda n: n.rstrip("?") == "note"))  # the note last, as on the form


@dataclass(frozen=True)
class Guard:
    """A further precondition of an action: ``check(record, sit)``, the refusal, the docs' text."""

    check: Callable
    refusal: Promise | str
    doc: Promise | str


@dataclass(frozen=True)
class Summary:
    """A record as a work list row or a reminder mail names it."""

    key: str
    title: str
    customer: str = ""  # the customer's name (only shown to who may see it: the lists are filtered)
    badge: str = ""  # e.g. the severity when it is not general
    badge_class: str = ""


# --- the flow ----------------------------------------------------------------------------------------


@dataclass
class Situation:
    """What ``require`` needs besides the record: its open step, the settings, a waiting extension."""

    flow: Flow
    record: object
    step: object | None  # the open Step row
    settings: dict
    pending_extension: bool = False
    tasks: dict = field(default_factory=dict)  # code -> the open task rows of that code, oldest first

    def owners(self) -> set[str]:
        """The departments that own the open step."""
        if self.step is None:
            return set()
        owners = {self.step.department.code}
        if self.step.co_department_id:
            owners.add(self.step.co_department.code)
        return owners


@dataclass(frozen=True)
class Flow:
    """A record type's workflow.

    The record's model has ``status``, ``due_at`` (the open step's deadline, for its own lists),
    ``closed_at`` and the field named by ``key_field``. ``customer_of(record)`` gives the
    customer's primary key (R1.2), ``co_owner(record, step_code)`` a department code that owns
    the step jointly, or "".
    """

    name: str
    label: Promise | str
    model: str  # "app_label.Model"
    states: type  # TextChoices
    closed_states: tuple[str, ...]
    steps: dict[str, StepSpec]
    actions: dict[str, Action]
    first_step: str
    key_field: str = "number"
    case: CaseSpec | None = None
    variant: Callable | None = None  # record -> variant of the step durations (severity)
    customer_of: Callable | None = None
    customer_deadline_of: Callable | None = None  # record -> a customer-set deadline or None
    co_owner: Callable | None = None
    guards: dict[str, Guard] = field(default_factory=dict)
    state_step: dict[str, str] = field(default_factory=dict)  # state -> the step open in it (docs)
    url: Callable | None = None  # key -> the record's page
    # record -> Summary: what a work list or a reminder mail shows of it; the records are read
    # one query per record type, with ``list_related`` joined.
    summary: Callable | None = None
    list_related: tuple[str, ...] = ()
    # (user, key, what=, request=) -> the record, after the access check (NotFound / Forbidden, logged)
    lookup: Callable | None = None
    panel_notes: Callable | None = None  # (record, sit) -> lines the panel shows under the holder
    panel_template: str = ""  # a template the panel includes for the record type's own records
    panel_extra: Callable | None = None  # (record, given=, steps=) -> context for panel_template
    api_path: str = ""  # where its API lives, e.g. "/complaints"
    documented: bool = True  # printed into docs/workflow.md (not the tests' sample record type)
    doc: Callable | None = None  # () -> more lines for docs/workflow.md (an authority matrix ...)
    seed: str = ""
    # Entering a state opens these tasks (a complaint found not established: the explanation to the
    # customer and the collection of the receivable, 002 篇4 第九条(十三)).
    state_tasks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # record -> the steps a ruling on a memo may send the record back to (``state_step`` names their
    # states); ``on_reopen(ctx, code)`` changes the record besides its state (validity ...).
    reopen_steps: Callable | None = None
    on_reopen: Callable | None = None
    # Advance notices before dates of the record (``kefu.flow.notices``): code -> NoticeSpec.
    notices: dict[str, NoticeSpec] = field(default_factory=dict)

    # -- reading the table --

    def model_class(self):
        from django.apps import apps

        return apps.get_model(self.model)

    @property
    def open_states(self) -> tuple[str, ...]:
        return tuple(s for s in self.states.values if s not in self.closed_states)

    def get(self, name: str) -> Action:
        try:
            return self.actions[name]
        except KeyError:
            raise NotFound(
                _("unknown action %(name)r; actions: %(actions)s")
                % {"name": name, "actions": ", ".join(self.actions)},
                field="action",
            ) from None

    def label_of(self, name: str) -> str:
        action = self.actions.get(name)
        return _(action.label) if action is not None else name

    def labels(self, names) -> str:
        return join(self.label_of(n) for n in names)

    def status_label(self, code: str) -> str:
        return str(self.states(code).label) if code in self.states.values else code

    def state_actions(self, status: str) -> list[str]:
        """Actions that fit a state, whoever asks."""
        return [a.name for a in self.actions.values() if status in a.from_states]

    def state_of_step(self, code: str) -> str | None:
        """The state in which ``code`` is the open step (``state_step`` read backwards)."""
        return next((state for state, step in self.state_step.items() if step == code), None)

    def reopenable(self, record) -> tuple[str, ...]:
        """The steps a ruling on a memo may send ``record`` back to."""
        if self.reopen_steps is None:
            return ()
        return tuple(c for c in self.reopen_steps(record) if self.state_of_step(c) is not None)

    def is_open(self, record) -> bool:
        return record.status not in self.closed_states

    def key(self, record) -> str:
        return str(getattr(record, self.key_field))

    # -- who may --

    def permitted(self, action: Action, user, sit: Situation) -> bool:
        who = action.who
        if who.kind == "custom":
            return bool(who.test(user, sit.record, sit))
        if who.kind == "department":
            return access.in_department(user, who.department, min_role=who.min_role)
        if who.kind == "step_owner":
            # Any member of an owning department; the step's role says whom its reminders and the
            # work list's "awaiting my decision" name, and the action's own ``Who`` who decides.
            return any(access.in_department(user, code, min_role=Role.CLERK) for code in sit.owners())
        if who.kind == "step_manager":
            if access.is_executive(user) and access.rank(user) > 0:
                return True
            return any(access.in_department(user, code, min_role=Role.MANAGER) for code in sit.owners())
        if who.kind == "any_member":
            return access.rank(user) >= ROLE_RANK[Role.CLERK]
        raise AssertionError(who.kind)

    def fits(self, action: Action, sit: Situation) -> bool:
        if sit.record.status not in action.from_states:
            return False
        if action.task and not sit.tasks.get(action.task):
            return False
        if action.guard:
            return bool(self.guards[action.guard].check(sit.record, sit))
        return True

    def allowed(self, user, sit: Situation) -> list[str]:
        return [a.name for a in self.actions.values() if self.fits(a, sit) and self.permitted(a, user, sit)]

    def require(self, name: str, user, sit: Situation) -> Action:
        """The action, or ``Conflict`` when it does not fit the state, ``Forbidden`` when not this user's."""
        action = self.get(name)
        record = sit.record
        if record.status not in action.from_states:
            allowed = self.state_actions(record.status)
            raise Conflict(
                _("%(action)s is not allowed when the %(record)s is %(status)s; allowed now: %(allowed)s")
                % {
                    "action": self.label_of(name),
                    "record": self.label,
                    "status": self.status_label(record.status),
                    "allowed": self.labels(allowed) or _("none (the case is closed)"),
                },
                allowed=allowed,
                status=record.status,
            )
        if action.task and not sit.tasks.get(action.task):
            allowed = [a for a in self.state_actions(record.status) if self.fits(self.actions[a], sit)]
            spec = self.steps.get(action.task)
            raise Conflict(
                _("%(action)s: there is no open task %(task)s; allowed now: %(allowed)s")
                % {
                    "action": self.label_of(name),
                    "task": str(spec.label) if spec is not None else action.task,
                    "allowed": self.labels(allowed) or _("none (the case is closed)"),
                },
                allowed=allowed,
            )
        if action.guard:
            guard = self.guards[action.guard]
            if not guard.check(record, sit):
                allowed = [a for a in self.state_actions(record.status) if self.fits(self.actions[a], sit)]
                raise Conflict(
                    _("%(action)s: %(reason)s; allowed now: %(allowed)s")
                    % {
                        "action": self.label_of(name),
                        "reason": guard.refusal,
                        "allowed": self.labels(allowed),
                    },
                    allowed=allowed,
                )
        if not self.permitted(action, user, sit):
            raise Forbidden(
                _("%(action)s may be taken by: %(who)s; %(why)s")
                % {
                    "action": self.label_of(name),
                    "who": action.who.describe(record, sit),
                    "why": self.why_not(action, user, sit),
                }
            )
        return action

    def why_not(self, action: Action, user, sit: Situation) -> str:
        """What stops ``user``, in their own terms: the role they hold where the action is taken,
        or the departments they are in (not only who may, which they may believe is them)."""
        if access.is_admin(user) and access.rank(user) == 0:
            return _("you are an administrator, a role that takes no part in the workflow")
        mine = dict(access.memberships(user))
        if not mine:
            return _("you are a member of no department")
        who = action.who
        if who.kind == "custom" and who.reason is not None:
            return str(who.reason(user, sit.record, sit))
        if who.kind == "department":
            departments, needed = {who.department}, who.min_role
        elif who.kind == "step_owner":
            departments, needed = sit.owners(), Role.CLERK
        elif who.kind == "step_manager":
            departments, needed = sit.owners(), Role.MANAGER
        else:
            departments, needed = set(), Role.CLERK
        held = sorted((code, role) for code, role in mine.items() if code in departments)
        if held:
            code, role = held[0]
            return _("your role in %(department)s is %(role)s; this needs %(needed)s or above") % {
                "department": department_label(code),
                "role": Role(role).label,
                "needed": Role(needed).label,
            }
        return _("you are in %(departments)s") % {
            "departments": join(department_label(c) for c in sorted(mine))
        }
