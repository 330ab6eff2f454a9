"""Demo histories: registered demo complaints lived through the case engine up to "now" (issue 4, 13).

``spread_over_states(complaints, rng, now)`` walks each complaint from its
registration along the workflow with the engine's own actions
(``engine.perform`` with back-dated ``now=``), taking whatever action closes
the open step, whichever steps the flow has. Each step is finished on a
working day in office hours, mostly well before its deadline and, now and
then, one to five working days late (or with an approved extension); the walk
stops where the next action would fall after ``now``. Tasks beside the steps
(a memo's ruling, the explanation and collection after "not established") are
done in their own time, in order with the steps. So old complaints are
closed, the open ones are the recent ones, and the few late ones are late by
days, as in a working plant. Then the sweep runs as of ``now`` (reminder
notices) and some lateness inquiries are answered.

``walk`` is the single-case walk; the bulk demo (``demo_bulk``) walks a few
hundred template cases with it and copies their histories.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from kefu.core import config
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.errors import KefuError
from kefu.core.models import Membership
from kefu.core.workcalendar import WorkCalendar
from kefu.flow import access as flow_access
from kefu.flow import clocks, engine
from kefu.flow.models import Inquiry
from kefu.flow.sweep import sweep

from . import workflow
from .choices import Status
from .models import Complaint

log = logging.getLogger(__name__)

D = DepartmentCode

# The share of steps finished late (1-5 working days) and of would-be-late steps rescued by an
# approved extension instead. About 4 % of the open steps end up overdue at "now".
LATE_SHARE = 0.03
EXTENSION_SHARE = 0.3
OFFICE_OPENS, OFFICE_CLOSES = 8 * 60 + 30, 18 * 60  # minutes of the day

CAUSES = [
    "模具磨损导致毛刺",
    "来料尺寸超差",
    "包装破损, 运输挤压",
    "作业员漏检",
    "热处理硬度不足",
    "标签贴错",
    "防锈油涂覆不足",
    "首件检验未执行",
]
ACTIONS_TEXT = [
    "更换模具并全检库存",
    "加严进料检验",
    "改进包装方式, 增加隔板",
    "重新培训作业员并增加自检",
    "调整工艺参数并做首件确认",
    "增加防错治具",
]
RESPONSIBLE = [D.PRODUCTION, D.PRODUCTION, D.PRODUCTION, D.WAREHOUSE, D.QUALITY]
SUPPLIERS = ["宝钢", "华东包装", "恒力材料"]
HANDLINGS = ["return", "exchange", "allowance", "compensation", "rework", "explanation"]
LOSSES = [800, 1500, 2600, 4800, 5000, 8600, 12000, 36000, 68000]
REASONS = ["人员请假, 交接不及时", "等待客户退回样品", "等待供应商回复", "月底盘点, 人手不足"]


class People:
    """Demo users by department and role, read once."""

    def __init__(self):
        self.rows = list(
            Membership.objects.filter(user__is_active=True)
            .select_related("user", "department")
            .order_by("id")
        )

    def members(self, dept: str, *, min_role: str = Role.CLERK, roles=()) -> list:
        return [
            m.user
            for m in self.rows
            if m.department.code == dept
            and (m.role in roles if roles else ROLE_RANK[m.role] >= ROLE_RANK[min_role])
        ]

    def one(self, rng, dept: str, *, min_role: str = Role.CLERK, roles=()):
        found = self.members(dept, min_role=min_role, roles=roles)
        return rng.choice(found) if found else None

    def candidates(self, step, customer_id) -> list:
        """Who might take the open step: its department's members who hold its role (a sales clerk
        only for their own customers), the co-owner's, then the managers and executives."""
        out = []
        for dept, role in ((step.department.code, step.role), (getattr(step.co_department, "code", ""), "")):
            if dept:
                out += self.members(dept, min_role=role or Role.CLERK)
        out += [m.user for m in self.rows if ROLE_RANK[m.role] >= ROLE_RANK[Role.MANAGER]]
        seen, unique = set(), []
        for user in out:
            if user.pk not in seen and flow_access.may_see_customer(user, customer_id):
                seen.add(user.pk)
                unique.append(user)
        return unique


# --- when things happen ------------------------------------------------------------------------


def office_moment(rng: random.Random, day: dt.date, after: dt.datetime | None = None) -> dt.datetime | None:
    """A moment in office hours of ``day`` (after ``after`` when that is the same day), or None."""
    tz = timezone.get_current_timezone()
    lo = OFFICE_OPENS
    if after is not None:
        local = timezone.localtime(after, tz)
        if local.date() > day:
            return None
        if local.date() == day:
            lo = max(lo, local.hour * 60 + local.minute + 10)
    if lo >= OFFICE_CLOSES:
        return None
    minutes = rng.randint(lo, OFFICE_CLOSES)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, rng.randint(0, 59)), tzinfo=tz)


def finish_time(
    rng: random.Random, start: dt.datetime, due: dt.datetime, calendar: WorkCalendar, *, late_by: int = 0
) -> dt.datetime:
    """When a step started at ``start`` and due at ``due`` is done: on a working day in office hours,
    early rather than late within its time (``late_by`` = 0), or ``late_by`` working days late."""
    if late_by:
        day = calendar.add_workdays(clocks.local_date(due), late_by)
        return office_moment(rng, day) or due + dt.timedelta(days=late_by)
    first, last = clocks.local_date(start), clocks.local_date(due)
    days = [first]
    while days[-1] < last and len(days) < 60:
        days.append(calendar.add_workdays(days[-1], 1))
    days = [d for d in days if d <= last and (calendar.is_workday(d) or d == first)]
    # Work takes a good part of a step's time, rarely all of it.
    for _ in range(4):
        day = days[min(int(rng.triangular(0, len(days), len(days) * 0.4)), len(days) - 1)]
        moment = office_moment(rng, day, after=start)
        if moment is not None and moment <= due:
            return moment
    span = max((due - start).total_seconds(), 1800)
    return start + dt.timedelta(seconds=rng.uniform(0.05, 0.9) * span)


def lateness(rng: random.Random, late_share: float) -> int:
    """0 (on time) or how many working days late: mostly one or two, at most five."""
    if rng.random() >= late_share:
        return 0
    return rng.choices([1, 2, 3, 4, 5], weights=[40, 25, 15, 12, 8])[0]


# --- what each action submits ----------------------------------------------------------------------


def _generic_payload(action, rng: random.Random, people: People, moment: dt.datetime) -> dict:
    """A body for any action from its form inputs, as a page would post it (``forms.parse``)."""
    from kefu.flow import forms

    posted = {}
    for spec in action.inputs:
        if not spec.required:  # left out, as on a form left blank
            continue
        if spec.kind in ("text", "textarea"):
            posted[spec.name] = "已按程序处理, 详见附件。"
        elif spec.kind == "yesno":
            posted[spec.name] = "true"
        elif spec.kind == "choice" and spec.choices:
            posted[spec.name] = str(spec.choices[0][0])
        elif spec.kind == "date":
            posted[spec.name] = timezone.localtime(moment).date().isoformat()
        elif spec.kind == "decimal":
            posted[spec.name] = "1000.00"
        elif spec.kind == "int":
            posted[spec.name] = "1"
        elif spec.kind == "person" and (user := people.one(rng, spec.department)):
            posted[spec.name] = user.get_username()
    return forms.parse(action, posted)


def payload(action_name: str, c: Complaint, rng: random.Random, people: People, moment: dt.datetime) -> dict:
    """What the demo submits for ``action_name``: plausible content for the actions it knows, on top
    of a generic body from the action's form inputs for anything else a flow may add."""
    action = workflow.FLOW.actions[action_name]
    body = _generic_payload(action, rng, people, moment)
    valid = rng.random() > 0.08
    loss = Decimal(rng.choice(LOSSES)) + Decimal(rng.randint(0, 99)) / 100
    known = {
        "assign": lambda: {"assignee": "quality"} if rng.random() < 0.3 else {},
        "submit_investigation": lambda: {
            "cause": rng.choice(CAUSES),
            "valid": valid,
            "needs_rd": valid and rng.random() < 0.25,
            "responsible_department": rng.choice(RESPONSIBLE) if valid else "",
            "supplier": rng.choice(SUPPLIERS) if valid and rng.random() < 0.12 else "",
        },
        "submit_countermeasure": lambda: {
            "analysis": rng.choice(CAUSES),
            "action": rng.choice(ACTIONS_TEXT),
            "unit": rng.choice(["一车间", "二车间", "装配线"]),
            "shift": rng.choice("ABC"),
            "operators": rng.choice(["王强、李娜", "赵磊", "孙丽、周涛"]),
            "production_date": (
                timezone.localtime(c.received_at).date() - dt.timedelta(days=rng.randint(10, 40))
            ).isoformat(),
        },  # fmt: skip
        "submit_rd_opinion": lambda: {"opinion": "建议修改圆角半径, 下一批验证"},
        "submit_proposal": lambda: {
            "handling": rng.choice(HANDLINGS),
            "loss_amount": str(loss),
            "customer_position": rng.choice(["客户要求尽快处理", "客户同意换货", "客户要求折让 5%"]),
        },
        "instruct": lambda: {"instruction": rng.choice(["请制造部分析原因, 拟定对策", "同意品质报告, 速办"])},
        "review_countermeasure": lambda: {"approved": True, "opinion": "同意对策"},
        "review_proposal": lambda: {"approved": True, "opinion": "同意业务部处理意见"},
        "submit_synthesis": lambda: _synthesis(c, rng),
        "approve": lambda: {"note": "同意"},
        "send_back": lambda: {"note": "损失金额请与客户再确认"},
        "rule_memo": lambda: {
            # Upheld on a closed case would reopen it at a step: the demo keeps to open cases.
            "upheld": c.is_open and rng.random() < 0.3,
            "note": rng.choice(["维持原判定", "责任划分合理, 不予变更", "同意异议, 责任比例另行调整"]),
        },
        "record_explanation": lambda: (
            {
                "channel": "phone",
                "content": "经调查, 问题非我司原因造成, 已向客户说明检测结果",
                "spoke_with": c.contact_name or "客户品质主管",
            }
            if rng.random() < 0.5
            else {"channel": "letter", "content": "尊敬的客户: 经调查, 该问题非我司原因造成, 附检测报告……"}
        ),
        "record_collection": lambda: {
            "result": "货款已按正常账期收回",
            "collected_on": timezone.localtime(moment).date().isoformat(),
        },
        "record_reply": lambda: (
            {
                "method": "phone",
                "letter": "电话告知客户处理结果: 全部换货, 下批次加严检验",
                "spoke_with": c.contact_name or "客户品质主管",
                "spoke_at": moment.isoformat(),
            }
            if rng.random() < 0.3
            else {"method": "letter", "letter": "尊敬的客户: 关于贵司反映的问题, 我司处理如下……"}
        ),
        "confirm_closing": lambda: {
            "via": rng.choice(["customer_confirmation", "follow_up_call"]),
            "customer_accepts": rng.random() > 0.08,
            "contact": c.contact_name or "客户品质主管",
            "at": moment.isoformat(),
        },
    }
    if action_name in known:
        fields = set(action.body.model_fields)
        body.update({k: v for k, v in known[action_name]().items() if k in fields})
    return body


def _synthesis(c: Complaint, rng: random.Random) -> dict:
    """The GM office's synthesis: the responsible department quality found, sometimes shared with
    a second one; human negligence now and then (exempt from tracking, 002 篇4 第九条(六))."""
    first = c.responsible_department.code if c.responsible_department_id else D.PRODUCTION
    shares = [{"department": first, "share": 100}]
    if rng.random() < 0.2:
        second = rng.choice([d for d in (D.PRODUCTION, D.WAREHOUSE, D.QUALITY) if d != first])
        shares = [{"department": first, "share": 70}, {"department": second, "share": 30}]
    negligence = rng.random() < 0.15
    return {
        "opinion": "同意业务部意见, 责任部门按比例分担"
        if len(shares) > 1
        else "同意业务部意见, 责任归属品质判定部门",
        "responsibility": shares,
        "human_negligence": negligence,
        # Not under tracking: an approved decision under tracking opens an 8D (kefu.capa), which the
        # demo does not walk yet; it would stay open and late in every work list.
        "tracking": False,
        "penalty": rng.choice(["none", "warning", "bonus_deduction"]),
    }


# --- one case's life ---------------------------------------------------------------------------------


@dataclass
class Walk:
    """What ``walk`` did to one complaint: the actions with their moments, where it stopped."""

    complaint: Complaint
    moves: list[tuple[str, dt.datetime]] = field(default_factory=list)
    stopped: str = ""  # why it stopped before the case closed: "now", "no actor", or an error

    @property
    def done(self) -> bool:
        return not self.complaint.is_open


def _actor(people: People, rng: random.Random, action: str, c: Complaint, step, sit):
    flow = workflow.FLOW
    spec = flow.actions[action]
    found = [u for u in people.candidates(step, c.customer_id) if flow.permitted(spec, u, sit)]
    if not found:
        return None
    # The step's own people first (a sales clerk for their own customer).
    owner = getattr(c.customer, "owner_id", None)
    own = [u for u in found if u.pk == owner] if step.department.code == D.SALES else []
    return own[0] if own else found[0] if rng.random() < 0.8 else rng.choice(found)


def walk(
    c: Complaint,
    rng: random.Random,
    people: People,
    now: dt.datetime,
    *,
    calendar: WorkCalendar | None = None,
    late_share: float = LATE_SHARE,
    extensions: bool = True,
    extras: bool = True,
    on_move=None,
) -> Walk:
    """Live ``c`` from its registration through the engine's actions until it closes or the next
    action would fall at or after ``now``. ``on_move(result)`` is called after each action."""
    flow = workflow.FLOW
    calendar = calendar or WorkCalendar.cached()
    out = Walk(c)
    moment = c.registered_at
    sent_back = False
    memo_at = rng.randrange(2, 8) if extras and rng.random() < 0.05 else -1
    plan: dict[int, dt.datetime] = {}  # open task -> when it gets done
    for _ in range(40):
        if not c.is_open:
            break
        steps = list(engine.steps_query(flow, c.pk))
        step = engine.open_step(steps)
        if step is None:
            out.stopped = "no open step"
            break
        sit = engine.situation(flow, c, steps)
        late_by = lateness(rng, late_share)
        spec = flow.steps.get(step.code)
        action = spec.action if spec is not None else ""
        if step.code == "approval" and not sent_back and rng.random() < 0.05 and "send_back" in flow.actions:
            action, sent_back = "send_back", True
        if not action:
            out.stopped = f"step {step.code} has no action"
            break
        # A step that would be late is sometimes extended in time instead (002 篇1 第十一条(三)).
        if late_by and extensions and rng.random() < EXTENSION_SHARE:
            at = finish_time(rng, step.started_at, step.due_at, calendar)
            if at < now and _extend(c, step, sit, rng, people, at, late_by, on_move):
                out.moves.append(("request_extension", at))
                c = Complaint.objects.select_related("customer").get(pk=c.pk)
                steps = list(engine.steps_query(flow, c.pk))
                step = engine.open_step(steps)
                sit = engine.situation(flow, c, steps)
                moment, late_by = at, 0
        at = max(finish_time(rng, step.started_at, step.due_at, calendar, late_by=late_by), moment)
        # Tasks beside the step (a memo's ruling) that fall due first are done first.
        c, moment = _tasks(c, rng, people, min(at, now), calendar, late_share, plan, on_move, out, moment)
        if at >= now:
            out.stopped = "now"
            break
        steps = list(engine.steps_query(flow, c.pk))
        sit = engine.situation(flow, c, steps)
        by = _actor(people, rng, action, c, step, sit)
        if by is None:
            out.stopped = f"nobody may {action}"
            break
        try:
            result = engine.perform(c, action, by=by, data=payload(action, c, rng, people, at), now=at)
        except KefuError as exc:  # a flow this demo does not know yet: leave the case where it is
            out.stopped = f"{action}: {exc}"
            log.warning("demo: %s stays at %s: %s", c.number, step.code, exc)
            break
        c, moment = result.record, at
        out.moves.append((action, at))
        if on_move is not None:
            on_move(result)
        if len(out.moves) == memo_at and c.is_open:
            _memo(c, rng, people, moment, now, on_move, out)
        # Major and serious cases go to the management meeting before approval (篇1 第十一条(二)).
        if c.is_open and c.severity in ("major", "serious") and step.code == "investigation":
            _meeting(c, rng, people, moment, now, on_move, out)
    # Tasks still open, e.g. the explanation and the collection after "not established".
    c, moment = _tasks(c, rng, people, now, calendar, late_share, plan, on_move, out, moment)
    out.complaint = c
    return out


def _tasks(c, rng, people, until, calendar, late_share, plan, on_move, out, moment):
    """Do the open tasks whose planned time comes before ``until``, in time order."""
    flow = workflow.FLOW
    for _ in range(20):
        steps = list(engine.steps_query(flow, c.pk))
        tasks = [t for rows in engine.open_tasks(steps).values() for t in rows]
        for t in tasks:
            if t.pk not in plan:
                late_by = lateness(rng, late_share)
                plan[t.pk] = max(finish_time(rng, t.started_at, t.due_at, calendar, late_by=late_by), moment)
        due = sorted((plan[t.pk], t.pk, t) for t in tasks if plan[t.pk] < until)
        if not due:
            break
        at, _pk, task = due[0]
        at = max(at, moment)
        spec = flow.steps.get(task.code)
        action = spec.action if spec is not None else ""
        sit = engine.situation(flow, c, steps)
        by = _actor(people, rng, action, c, task, sit) if action in flow.actions else None
        if by is None:
            plan[task.pk] = until  # nobody here may: it stays open
            continue
        try:
            result = engine.perform(c, action, by=by, data=payload(action, c, rng, people, at), now=at)
        except KefuError as exc:
            log.warning("demo: %s task %s stays open: %s", c.number, task.code, exc)
            plan[task.pk] = until
            continue
        c, moment = result.record, at
        out.moves.append((action, at))
        if on_move is not None:
            on_move(result)
    return c, moment


def _extend(c, step, sit, rng, people, at, late_by, on_move) -> bool:
    """Ask for ``late_by`` more working days and have a manager approve it (same day)."""
    flow = workflow.FLOW
    if step.unit != clocks.WORKDAYS or "request_extension" not in flow.actions:
        return False
    by = _actor(people, rng, "request_extension", c, step, sit)
    if by is None:
        return False
    try:
        result = engine.perform(
            c, "request_extension", by=by, data={"days": late_by, "reason": rng.choice(REASONS)}, now=at
        )
        if on_move is not None:
            on_move(result)
        steps = list(engine.steps_query(flow, c.pk))
        sit = engine.situation(flow, result.record, steps)
        managers = [u for u in people.rows if flow.permitted(flow.actions["approve_extension"], u.user, sit)]
        if not managers:
            return False
        approved = engine.perform(
            result.record, "approve_extension", by=managers[0].user, data={"approved": True, "note": "同意"},
            now=at + dt.timedelta(minutes=rng.randint(20, 120)),
        )  # fmt: skip
        if on_move is not None:
            on_move(approved)
    except KefuError as exc:
        log.debug("demo: no extension for %s: %s", c.number, exc)  # e.g. the cap: it is late instead
        return False
    return True


def _memo(c, rng, people, moment, now, on_move, out) -> None:
    """A memo (签呈) now and then."""
    at = moment + dt.timedelta(hours=rng.randint(1, 20))
    by = people.one(rng, D.PRODUCTION)
    if at >= now or by is None or "object" not in workflow.FLOW.actions:
        return
    try:
        result = engine.perform(c, "object", by=by, data={"memo": "对责任判定有异议, 请总经理裁决"}, now=at)
    except KefuError:
        return
    out.moves.append(("object", at))
    if on_move is not None:
        on_move(result)


def _meeting(c, rng, people, moment, now, on_move, out) -> None:
    """The management meeting's decision on a major or serious case (002 篇1 第十一条(二))."""
    at = moment + dt.timedelta(hours=rng.randint(1, 6))
    by = people.one(rng, D.GM_OFFICE)
    if at >= now or by is None or "record_meeting_decision" not in workflow.FLOW.actions:
        return
    data = {"decision": "全部换货, 责任部门提交8D", "attendees": "总经理、品质部、制造部、业务部"}
    try:
        result = engine.perform(c, "record_meeting_decision", by=by, data=data, now=at)
    except KefuError:
        return
    out.moves.append(("record_meeting_decision", at))
    if on_move is not None:
        on_move(result)


def spread_over_states(
    complaints, rng: random.Random, now: dt.datetime, *, late_share: float = LATE_SHARE, finish: bool = True
) -> Counter:
    """Walk registered demo complaints through the engine up to ``now`` (see the module docstring),
    then issue the reminder notices due at ``now`` and answer some lateness inquiries.

    Returns the number of complaints per state reached. ``finish=False``: no sweep, no answers.
    """
    people = People()
    calendar = WorkCalendar.cached()
    config.snapshot()
    reached = Counter()
    queue = [getattr(c, "pk", c) for c in complaints]
    while queue:
        c = Complaint.objects.select_related("customer").get(pk=queue.pop(0))
        if c.status == Status.REGISTERED:
            c = walk(c, rng, people, now, calendar=calendar, late_share=late_share).complaint
            # A reply the customer did not accept opened a new complaint: it is lived through too.
            queue += Complaint.objects.filter(parent=c, status=Status.REGISTERED).values_list("pk", flat=True)
        reached[c.status] += 1
    if finish:
        sweep(now)
        answer_some_inquiries(rng, people, now)
    return reached


def answer_some_inquiries(rng: random.Random, people: People, now: dt.datetime, share: float = 0.7) -> int:
    """Most lateness inquiries get their answer within a few working days; the newest stay open."""
    calendar = WorkCalendar.cached()
    open_ = Inquiry.objects.filter(Q(answered_at__isnull=True), issued_at__lt=now).select_related(
        "department", "step"
    )
    answered = 0
    for inquiry in open_:
        if rng.random() >= share:
            continue
        day = calendar.add_workdays(clocks.local_date(inquiry.issued_at), rng.randint(1, 4))
        at = office_moment(rng, day)
        if at is None or at >= now:
            continue
        # A sales clerk sees only their own customers (R1.2): the sales manager answers for sales.
        sales = inquiry.department.code == D.SALES
        by = people.one(rng, inquiry.department.code, min_role=Role.MANAGER if sales else Role.CLERK)
        if by is not None:
            engine.answer_inquiry(inquiry.pk, by=by, reason=rng.choice(REASONS), now=at)
            answered += 1
    return answered
