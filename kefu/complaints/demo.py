"""Demo histories: spread registered demo complaints over every workflow state (issue 4, demo data).

``spread_over_states(complaints, rng, now)`` advances each complaint with the
case engine's actions and back-dated ``now=`` moments, some steps on time
and some late, then runs the sweep as of ``now`` so reminder notices exist,
and answers some of the lateness inquiries. The demo's work lists are full
on a newcomer's first look.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.db.models import Q

from kefu.core import config
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.models import Membership
from kefu.flow import engine
from kefu.flow.models import Inquiry
from kefu.flow.sweep import sweep

from . import services, workflow
from .choices import Status
from .models import Complaint

D = DepartmentCode

# target state -> weight
TARGETS = {
    Status.REGISTERED: 8,
    Status.INVESTIGATING: 12,
    Status.INSTRUCTION: 4,
    Status.COUNTERMEASURE: 12,
    Status.MEASURE_REVIEW: 4,
    Status.RD_REVIEW: 6,
    Status.NEGOTIATION: 10,
    Status.PROPOSAL_REVIEW: 4,
    Status.SYNTHESIS: 8,
    Status.APPROVAL: 8,
    Status.REPLY: 8,
    Status.CONFIRMATION: 4,
    Status.CLOSED: 22,
    Status.NOT_ESTABLISHED: 6,
}
CAUSES = [
    "模具磨损导致毛刺",
    "来料尺寸超差",
    "包装破损, 运输挤压",
    "作业员漏检",
    "热处理硬度不足",
    "标签贴错",
]
ACTIONS_TEXT = [
    "更换模具并全检库存",
    "加严进料检验",
    "改进包装方式",
    "重新培训作业员并增加自检",
    "调整工艺参数",
]
RESPONSIBLE = [D.PRODUCTION, D.PRODUCTION, D.PRODUCTION, D.WAREHOUSE, D.QUALITY]
SUPPLIERS = ["宝钢", "华东包装", "恒力材料"]
MEETING = {"decision": "全部换货, 责任部门提交8D", "attendees": "总经理、品质部、制造部、业务部"}
HANDLINGS = ["return", "exchange", "allowance", "compensation", "rework", "explanation"]


class _People:
    """Demo users by department and role, read once."""

    def __init__(self):
        self.rows = list(
            Membership.objects.filter(user__is_active=True)
            .select_related("user", "department")
            .order_by("id")
        )

    def one(self, rng, dept: str, *, min_role: str = Role.CLERK, roles=()):
        found = [
            m.user
            for m in self.rows
            if m.department.code == dept
            and (m.role in roles if roles else ROLE_RANK[m.role] >= ROLE_RANK[min_role])
        ]
        return rng.choice(found) if found else None

    def approver(self, rng, level: str):
        if level == workflow.SALES_MANAGER:
            return self.one(rng, D.SALES, min_role=Role.MANAGER) or self.one(
                rng, D.GM_OFFICE, roles=[Role.DEPUTY_GM]
            )
        if level == workflow.DEPUTY_GM:
            return self.one(rng, D.GM_OFFICE, roles=[Role.DEPUTY_GM]) or self.one(
                rng, D.GM_OFFICE, roles=[Role.GM]
            )
        return self.one(rng, D.GM_OFFICE, roles=[Role.GM])


def _when(rng: random.Random, start: dt.datetime, due: dt.datetime, late_share: float) -> dt.datetime:
    """On time (somewhere before the deadline) or, with ``late_share``, one to three days late."""
    if rng.random() < late_share:
        return due + dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(-10, 0))
    span = max((due - start).total_seconds(), 3600)
    return start + dt.timedelta(seconds=rng.uniform(0.1, 0.8) * span)


def _plan(c: Complaint, rng: random.Random, target: str):
    """(action, department, payload) from registered to ``target``."""
    needs_rd = target == Status.RD_REVIEW or rng.random() < 0.25
    valid = target != Status.NOT_ESTABLISHED
    resp = rng.choice(RESPONSIBLE)
    supplier = rng.choice(SUPPLIERS) if rng.random() < 0.15 else ""
    loss = (
        Decimal(rng.choice([800, 2600, 4800, 5000, 12000, 36000, 68000])) + Decimal(rng.randint(0, 99)) / 100
    )
    steps = [
        ("assign", D.GM_OFFICE, {}),
        (
            "submit_investigation",
            D.QUALITY,
            {
                "cause": rng.choice(CAUSES),
                "valid": valid,
                "needs_rd": needs_rd and valid,
                "responsible_department": resp if valid else "",
                "supplier": supplier if valid else "",
            },
        ),  # fmt: skip
    ]
    if valid and config.snapshot().get(services.INSTRUCT_INVESTIGATION, True):
        steps.append(("instruct", "gm", {"instruction": "请制造部分析原因, 拟定对策"}))
    if valid:
        steps.append(
            (
                "submit_countermeasure",
                resp,
                {
                    "analysis": rng.choice(CAUSES),
                    "action": rng.choice(ACTIONS_TEXT),
                    "unit": "二车间",
                    "shift": rng.choice("ABC"),
                    "operators": "王强、李娜",
                },
            )  # fmt: skip
        )
        if config.snapshot().get(services.REVIEW_COUNTERMEASURE, True):
            steps.append(("review_countermeasure", "managers", {"approved": True, "opinion": "同意对策"}))
        if needs_rd:
            steps.append(("submit_rd_opinion", D.RD, {"opinion": "建议修改圆角半径, 下一批验证"}))
        steps += [
            (
                "submit_proposal",
                D.SALES,
                {
                    "handling": rng.choice(HANDLINGS),
                    "loss_amount": str(loss),
                    "customer_position": "客户要求尽快处理",
                },
            ),
        ]
        if config.snapshot().get(services.REVIEW_PROPOSAL, True):
            steps.append(("review_proposal", "sales_manager", {"approved": True, "opinion": "同意"}))
        steps.append(
            (
                "submit_synthesis",
                D.GM_OFFICE,
                {
                    "opinion": "同意业务部意见, 责任归属制造部",
                    "responsibility": [{"department": resp, "share": 100}],
                    "tracking": True,
                    "penalty": "bonus_deduction",
                },
            )
        )
        if workflow.needs_meeting(c, config.snapshot()):
            steps.append(("record_meeting_decision", D.GM_OFFICE, dict(MEETING)))
        accepts = rng.random() > 0.1
        steps += [
            ("approve", "authority", {"note": "同意"}),
            ("record_reply", D.SALES, {"letter": "尊敬的客户: 关于贵司反映的问题, 我司处理如下……"}),
            (
                "confirm_closing",
                D.SALES,
                {"via": "follow_up_call", "customer_accepts": accepts, "contact": "客户采购部经理"},
            ),
        ]
    return steps


def spread_over_states(
    complaints, rng: random.Random, now: dt.datetime, *, late_share: float = 0.25
) -> Counter:
    """Advance registered demo complaints to random states with back-dated, partly late histories.

    Stops a complaint early when the next action would fall after ``now``.
    Returns the number of complaints per final state.
    """
    people = _People()
    settings = config.snapshot()
    states = list(TARGETS)
    weights = [TARGETS[s] for s in states]
    reached = Counter()
    for c in complaints:
        c = Complaint.objects.get(pk=c.pk)
        if c.status != Status.REGISTERED:
            reached[c.status] += 1
            continue
        target = rng.choices(states, weights)[0]
        moment = c.registered_at
        for action, dept, payload in _plan(c, rng, target):
            if c.status == target:
                break
            step = engine.open_step(list(engine.steps_query(workflow.FLOW, c.pk)))
            at = _when(rng, moment, step.due_at, late_share)
            if at >= now:
                break
            if dept == "authority":
                by = people.approver(rng, workflow.required_authority(c.loss_amount, settings))
            elif dept == "gm":
                by = people.one(rng, D.GM_OFFICE, roles=[Role.GM])
            elif dept == "managers":
                by = people.one(rng, D.GM_OFFICE, roles=[Role.DEPUTY_GM, Role.GM])
            elif dept == "sales_manager":
                by = people.one(rng, D.SALES, min_role=Role.MANAGER)
            else:
                by = people.one(rng, dept) or (people.one(rng, D.GM_OFFICE) if c.supplier else None)
            if by is None:
                break
            c = engine.perform(c, action, by=by, data=payload, now=at).record
            moment = at
        _extras(c, rng, people, moment, now)
        reached[c.status] += 1
    sweep(now)
    _answer_some_inquiries(rng, people, now)
    return reached


def _extras(c: Complaint, rng: random.Random, people: _People, moment: dt.datetime, now: dt.datetime) -> None:
    """A memo (签呈) now and then, and the management meeting's decision on serious cases."""
    if not c.is_open:
        return
    at = min(now, moment + dt.timedelta(hours=2))
    if rng.random() < 0.08 and (by := people.one(rng, D.PRODUCTION)):
        engine.perform(c, "object", by=by, data={"memo": "对责任判定有异议, 请总经理裁决"}, now=at)
    if c.severity == "serious" and c.meeting_at is None and (by := people.one(rng, D.GM_OFFICE)):
        engine.perform(c, "record_meeting_decision", by=by, data=dict(MEETING), now=at)


def _answer_some_inquiries(rng: random.Random, people: _People, now: dt.datetime) -> None:
    open_ = Inquiry.objects.filter(Q(answered_at__isnull=True), issued_at__lt=now).select_related(
        "department"
    )
    for inquiry in open_:
        if rng.random() < 0.5:
            continue
        # A sales clerk sees only their own customers (R1.2): the sales manager answers for sales.
        sales = inquiry.department.code == D.SALES
        by = people.one(rng, inquiry.department.code, min_role=Role.MANAGER if sales else Role.CLERK)
        if by is not None:
            at = min(now, inquiry.issued_at + dt.timedelta(days=rng.randint(1, 4)))
            engine.answer_inquiry(inquiry.pk, by=by, reason="人员请假, 交接不及时", now=at)
