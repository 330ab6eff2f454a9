"""Helpers of the CAPA tests: the production manager, an open CAPA, evidence, a reply."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.capa import services
from kefu.capa.models import Capa
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role as R
from kefu.flow import engine
from kefu.flow.models import Step

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=TZ)  # a plain working week
FRIDAY = dt.datetime(2026, 11, 6, 10, 0, tzinfo=TZ)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def prodmgr(org):
    from kefu.core.org import create_user

    if "prodmgr" not in org:
        org["prodmgr"] = create_user(
            "prodmgr", password="x", memberships=[(D.PRODUCTION, R.MANAGER)], email="prodmgr@example.com"
        )
    return org["prodmgr"]


def open_capa(org, *, now=MONDAY, **fields) -> Capa:
    data = {
        "title": "尺寸超差",
        "department": "production",
        "problem": "孔径超差 0.2mm",
        "nonconformity": "尺寸超差",
        "what": "孔径",
        "how_many": "20/500",
    }
    data.update(fields)
    return services.open_capa(by=org["quality"], now=now, **data)


def evidence(capa, org, name="photo.png"):
    return services.add_attachments(capa, [SimpleUploadedFile(name, PNG, "image/png")], by=org["production"])


def reply(verify_by: str = "2026-11-20", **over) -> dict:
    data = {
        "team": ["王五 (生产经理)", "赵六 (品质工程师)"],
        "containment": "隔离在库品并全检",
        "plant_checked": 500,
        "plant_nonconforming": 12,
        "transit_checked": 200,
        "transit_nonconforming": 3,
        "customer_checked": 300,
        "customer_nonconforming": 5,
        "why_occurrence": ["刀具磨损", "未按时更换", "点检表无寿命记录"],
        "root_cause_occurrence": "刀具寿命未管控",
        "why_escape": ["抽检频次低", "量具未覆盖孔径"],
        "root_cause_escape": "控制计划未含孔径全检",
        "corrective_action": "刀具寿命计数, 到期强制更换",
        "implementation": "2026-11-05 已实施",
        "verify_by": verify_by,
        "prevention": "更新 PFMEA 与控制计划",
        "documents": [
            {"kind": "pfmea", "number": "PF-001", "revision": "C"},
            {"kind": "control_plan", "number": "CP-001", "revision": "B"},
        ],
    }
    data.update(over)
    return data


def act(capa, action, user, data=None, now=None):
    return engine.perform(capa, action, by=user, data=data or {}, now=now)


def steps(capa):
    return Step.objects.filter(record_type="capa", record_id=capa.pk, kind="step").order_by(
        "started_at", "id"
    )


def open_step(capa):
    return steps(capa).get(done_at__isnull=True)


def to_review(org, capa, *, now=MONDAY, verify_by=None):
    """The reply submitted and approved at ``now``; verification committed 18 days later."""
    evidence(capa, org)
    verify_by = verify_by or (now.astimezone(TZ).date() + dt.timedelta(days=18)).isoformat()
    act(capa, "submit_reply", org["production"], reply(verify_by), now=now)
    act(capa, "approve_reply", prodmgr(org), now=now)
    capa.refresh_from_db()
    return capa


def to_verification(org, capa, *, now=MONDAY):
    to_review(org, capa, now=now)
    act(capa, "accept_report", org["quality"], now=now)
    act(capa, "approve_report", org["mrep"], now=now)
    capa.refresh_from_db()
    return capa
