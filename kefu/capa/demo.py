"""Five 8Ds for the demo (``kefu demo``), each walked through the case engine with real actions at
past times, so that the list, the work lists, the detail pages, the PDF and the analysis have
something to show:

1. closed: every discipline written (5-Why and fishbone), the department manager's and the
   management rep's approvals, verified effective, D8 with the team's recognition;
2. at quality's review (the reply approved two days ago);
3. sent back for revision a few hours ago (24 hours to revise);
4. opened from a complaint the GM office's synthesis put under tracking (the department's reply due);
5. reopened at D4 after its verification was found ineffective (the written notice sent).

About a second; nothing is added when 8Ds exist already.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from kefu.core.choices import DepartmentCode as D
from kefu.core.workcalendar import TZ
from kefu.flow import engine

from . import services
from .models import Capa

FISHBONE = {
    "man": ["新员工未经刀具更换培训"],
    "machine": ["刀具磨损后孔径变大", "主轴跳动 0.02mm"],
    "material": ["来料硬度 HRC 31, 偏上限"],
    "method": ["作业指导书未规定换刀频次"],
    "measurement": ["首检只测外径, 未测孔径"],
    "environment": ["夏季车间温度 35℃, 冷却液升温"],
}


def _png(width: int = 48, height: int = 32) -> bytes:
    """A small grey picture (a real PNG, so that the evidence opens)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes([180 - (y * 3) % 60]) * width for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _reply(verify_by: dt.date, *, fishbone: bool = True) -> dict:
    return {
        "team": ["吴海峰 (生产, 组长)", "张伟 (品质工程师)", "郑晓东 (研发)"],
        "containment": "在库 2 批全检隔离; 在途 1 批通知物流退回; 客户处派员挑选",
        "plant_checked": 1200, "plant_nonconforming": 18,
        "transit_checked": 400, "transit_nonconforming": 5,
        "customer_checked": 800, "customer_nonconforming": 9,
        "why_occurrence": ["孔径超差", "刀具磨损", "未按寿命换刀", "无刀具寿命记录", "点检表未含该项"],
        "fishbone_occurrence": FISHBONE if fishbone else {},
        "root_cause_occurrence": "刀具寿命未纳入管控, 磨损后继续加工",
        "why_escape": ["出货检验未发现", "抽检只测外径", "控制计划未含孔径"],
        "fishbone_escape": {"measurement": ["抽检频次 1/500 过低"], "method": ["控制计划漏列孔径"]} if fishbone else {},
        "root_cause_escape": "控制计划与检验规范未覆盖孔径",
        "corrective_action": "刀具寿命计数器, 到 800 件强制换刀; 孔径改为 100% 气动量仪检测",
        "implementation": "设备科安装计数器; 品质部更新检验规范; 已培训 12 名作业员",
        "verify_by": verify_by.isoformat(),
        "prevention": "同类 3 条产线横向展开; 更新 PFMEA 与控制计划",
        "documents": [
            {"kind": "pfmea", "number": "PFMEA-ZJ-012", "revision": "D"},
            {"kind": "control_plan", "number": "CP-ZJ-012", "revision": "C"},
            {"kind": "work_instruction", "number": "WI-CNC-031", "revision": "F"},
        ],
    }  # fmt: skip


def load(users: dict, *, now: dt.datetime | None = None) -> list[Capa]:
    """The five demo 8Ds (see the module's docstring); [] when there are 8Ds already."""
    if Capa.objects.exists():
        return []
    now = (now or timezone.now()).astimezone(TZ).replace(second=0, microsecond=0)
    q, mrep, prod = users["quality"], users["mrep"], users["production"]
    mgr = users.get("prodmgr") or users["gm"]  # the production manager (a demo user) approves the replies

    def at(days: float, hour: int = 10) -> dt.datetime:
        moment = (now - dt.timedelta(days=days)).replace(hour=hour, minute=0)
        return min(moment, now - dt.timedelta(minutes=5))

    def act(capa, action, user, data=None, when=None):
        engine.perform(capa, action, by=user, data=data or {}, now=when)

    def open_one(title, nonconformity, severity, when, **extra):
        return services.open_capa(
            by=q, title=title, department=D.PRODUCTION, problem=f"客户反馈{title}, 需 8D 分析。",
            nonconformity=nonconformity, severity=severity, now=when,
            what=title, where="客户装配线", when=when.strftime("%Y-%m-%d"), who="客户来料检验",
            why="影响装配", how="抽检发现", how_many="32/2400", **extra,
        )  # fmt: skip

    def reply(capa, when, verify_by, *, fishbone=True):
        services.add_attachments(
            capa,
            [SimpleUploadedFile("现场照片.png", _png(), "image/png"), SimpleUploadedFile("培训记录.png", _png(40, 40), "image/png")],
            by=prod,
            now=when,
        )  # fmt: skip
        act(capa, "submit_reply", prod, _reply(verify_by, fishbone=fishbone), when)
        act(capa, "approve_reply", mgr, {"note": "同意"}, when + dt.timedelta(hours=2))

    made = []
    with transaction.atomic():
        # 1. closed, every discipline and both approvals
        c = open_one("支架孔径超差", "尺寸超差", "major", at(40, 9))
        reply(c, at(39), at(18).date())
        act(c, "accept_report", q, {"note": "措施有效性待验证"}, at(37))
        act(c, "approve_report", mrep, {"note": "批准"}, at(36))
        act(c, "verify", q, {"effective": True, "result": "连续 5 批孔径 100% 合格"}, at(18, 15))
        act(c, "close", q, {"closure": "8D 关闭, 客户确认", "recognition": "表彰生产二课改善小组"}, at(17))
        made.append(c)
        # 2. at quality's review
        c = open_one("外壳表面划伤", "外观划伤", "general", at(3, 9))
        reply(c, at(2), (now + dt.timedelta(days=10)).date(), fishbone=False)
        made.append(c)
        # 3. sent back for revision
        c = open_one("连接器端子毛刺", "毛刺", "general", at(6, 9))
        reply(c, at(5), (now + dt.timedelta(days=14)).date())
        act(
            c,
            "send_back",
            q,
            {"note": "D4 流出原因不充分, 请补充检验环节的鱼骨图"},
            now - dt.timedelta(hours=5),
        )
        made.append(c)
        # 4. from a complaint under tracking
        from kefu.complaints.models import Complaint

        complaint = (
            Complaint.objects.filter(responsible_department__isnull=False)
            .select_related("customer", "responsible_department")
            .order_by("-received_at")
            .first()
        )
        if complaint is not None:
            made.append(
                services.open_from_complaint(complaint, users["gmoffice"], now=now - dt.timedelta(hours=10))
            )
        # 5. reopened at D4 after an ineffective verification
        c = open_one("端盖错装漏装", "漏装", "serious", at(35, 9))
        reply(c, at(34), at(6).date())
        act(c, "accept_report", q, {}, at(32))
        act(c, "approve_report", mrep, {}, at(31))
        act(
            c,
            "verify",
            q,
            {"effective": False, "result": "复查 3 批仍发现 2 件漏装, 防错装置未生效"},
            at(1, 14),
        )
        made.append(c)
    return made
