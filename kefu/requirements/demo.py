"""The requirement registers for the demo (``kefu demo``): four customer-specific requirements of two
customers, their department reviews at different stages, and the HSF side:

1. a red line (CSR 红线) of the first customer, reviewed by every department and in force;
2. the first customer's record-keeping requirement, one department's answer asking for an action
   (the action open, owned by production);
3. the second customer's packaging-label requirement, registered two days ago, the answers awaited;
4. the second customer's annual RoHS report, reviewed (one department not concerned) and in force;
5. the first customer's substance limits collected by sales, identified by quality and approved by
   the HSPM representative through a change cycle (so the customer is an HSF customer);
6. this half-year's law collection, open at quality.

Loaded once (nothing when a requirement exists) through the services and the engine.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kefu.core.workcalendar import TZ
from kefu.flow import engine

from . import services
from .models import CycleKind, Requirement

USERNAMES = ["sales", "quality", "production", "warehouse", "rd", "hspm"]

LIMITS = [
    {"regime": "rohs", "substance": "铅 Pb", "cas": "7439-92-1", "limit": "1000", "unit": "ppm",
     "source": "RoHS 2011/65/EU 附录 II"},
    {"regime": "rohs", "substance": "镉 Cd", "cas": "7440-43-9", "limit": "100", "unit": "ppm",
     "source": "RoHS 2011/65/EU 附录 II"},
    {"regime": "rohs", "substance": "汞 Hg", "cas": "7439-97-6", "limit": "1000", "unit": "ppm",
     "source": "RoHS 2011/65/EU 附录 II"},
    {"regime": "rohs", "substance": "六价铬 Cr(VI)", "cas": "18540-29-9", "limit": "1000", "unit": "ppm",
     "source": "RoHS 2011/65/EU 附录 II"},
    {"regime": "rohs", "substance": "邻苯二甲酸二(2-乙基己)酯 DEHP", "cas": "117-81-7", "limit": "1000",
     "unit": "ppm", "source": "(EU) 2015/863"},
    {"regime": "reach", "substance": "SVHC 候选清单物质", "limit": "0.1", "unit": "%",
     "source": "REACH 第 33 条"},
    {"regime": "customer", "substance": "卤素 Cl", "limit": "900", "unit": "ppm",
     "source": "客户环保物质管理规范 EM-003"},
]  # fmt: skip


def _day(now: dt.datetime, days: int, hour: int = 9) -> dt.datetime:
    local = timezone.localtime(now, TZ) + dt.timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def load(now: dt.datetime | None = None) -> str:
    """Add the demo requirements and HSF cycles unless a requirement exists; returns what it did."""
    from kefu.customers.models import Customer

    if Requirement.objects.exists():
        return "Requirement registers: present already, none added."
    users = {u.username: u for u in get_user_model().objects.filter(username__in=USERNAMES)}
    customers = list(Customer.objects.order_by("-is_key", "code")[:2])
    if len(users) < len(USERNAMES) or len(customers) < 2:
        return "Requirement registers: no demo users or too few customers, none added."
    now = now or timezone.now()
    sales, quality, hspm = users["sales"], users["quality"], users["hspm"]
    first, second = customers
    manual = {
        "title": "顾客特殊要求手册",
        "number": "CSR-QM-01",
        "revision": "B",
        "date": _day(now, -60).date(),
    }
    sqa = {"title": "供应商质量协议", "number": "SQA-2025", "revision": "A", "date": _day(now, -120).date()}

    def register(customer, document, clause, title, text, departments, *, red_line=False, at, linked=None):
        return services.register_requirement(
            by=sales, customer=customer, document=document, clause=clause, title=title, text=text,
            departments=departments, red_line=red_line, linked_documents=linked, now=at,
        )  # fmt: skip

    def review(req, username, answer, at, **extra):
        engine.perform(req, "review", by=users[username], data={"answer": answer, **extra}, now=at)

    with transaction.atomic():
        # 1. the red line, reviewed by every department and in force
        red = register(
            first, manual, "4.3.2", "禁止使用再生塑料",
            "所有塑胶件须使用全新原料, 禁止掺用再生料或水口料; 每批来料附材质证明 (COA)。",
            ["quality", "production", "warehouse"], red_line=True, at=_day(now, -30),
            linked=[{"number": "WI-QC-015", "title": "塑胶原料进料检验指导书", "revision": "C"}],
        )  # fmt: skip
        review(red, "quality", "accepted", _day(now, -29, 10), comment="来料检验增加 COA 核对")
        review(red, "production", "accepted", _day(now, -28, 14), comment="注塑车间停用水口料粉碎机")
        review(red, "warehouse", "accepted", _day(now, -27, 11), comment="再生料单独标识、隔离存放")
        # 2. one department asks for an action: the requirement stays open until it is done
        keep = register(
            first, manual, "7.5.3", "首件检验记录保存5年",
            "首件检验记录、过程检验记录及出货检验报告至少保存 5 年, 客户要求时 2 个工作日内提供。",
            ["quality", "production"], at=_day(now, -10),
        )  # fmt: skip
        review(keep, "quality", "accepted", _day(now, -9, 10), comment="品质记录已按 5 年保存")
        review(
            keep, "production", "needs_action", _day(now, -8, 15),
            comment="现行记录控制程序规定保存 3 年",
            action="修订记录控制程序, 首件检验记录保存期限改为 5 年, 并扫描归档",
            action_owner="production", action_due=_day(now, 12).date().isoformat(),
        )  # fmt: skip
        # 3. the second customer's packaging labels, registered two days ago, the answers awaited
        register(
            second, sqa, "6.2", "包装标识要求",
            "外箱标签须含客户料号、数量、批次号、生产日期及二维码; 标签位于外箱短边右上角; 不同批次不得混箱。",
            ["sales", "warehouse", "quality"], at=_day(now, -2),
        )  # fmt: skip
        # 4. the second customer's annual RoHS report, in force (R&D not concerned)
        rohs = register(
            second, sqa, "8.1", "年度 RoHS 第三方检测报告",
            "每年 3 月底前提交 SGS 或同等资质实验室出具的 RoHS 10 项检测报告。",
            ["quality", "rd"], at=_day(now, -45),
        )  # fmt: skip
        review(rohs, "quality", "accepted", _day(now, -44, 10), comment="纳入年度送检计划")
        review(rohs, "rd", "not_applicable", _day(now, -43, 16), comment="无新材料导入")
        # 5. the first customer's substance limits: sales -> quality -> HSPM representative
        cycle = services.open_change_cycle(
            first, by=sales, reason="客户发布环保物质管理规范 EM-003, 新增卤素限值", now=_day(now, -20)
        )
        engine.perform(cycle, "collect", by=sales, data={"limits": LIMITS}, now=_day(now, -18, 15))
        engine.perform(
            cycle, "identify", by=quality, data={"note": "已识别, 与 RoHS 一致"}, now=_day(now, -17, 10)
        )
        engine.perform(cycle, "approve", by=hspm, data={"note": "批准"}, now=_day(now, -16, 11))
        # 6. this half-year's law collection, opened three days ago, open at quality
        opened = _day(now, -3, 8)
        half = f"{opened.year}H{1 if opened.month <= 6 else 2}"
        laws = services._new_cycle(
            CycleKind.LAWS,
            customer=None,
            period=half,
            now=opened,
            due_by=opened.date() + dt.timedelta(days=30),
        )
    law_note = "a law collection open" if laws is not None else "the law collection present already"
    return (
        f"Requirement registers: 4 requirements of {first.code} and {second.code} (a red line in force, "
        f"an action open, one awaiting answers, one in force), {first.code}'s limits approved, {law_note}."
    )
