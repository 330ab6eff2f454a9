"""Corrective actions for ``make bench`` (bench/records.py): ``generate(n)`` writes ``n`` 8Ds with
their engine steps into the current database quickly (5,000 8Ds a transaction, written by
``kefu.complaints.demo_bulk.insert``: multi-row INSERTs without bulk_create's per-value work), and
``LISTS`` names the lists measured at 100,000.

The 8Ds are opened evenly over the five years before now; the newest 10 % are open, in every state
of the flow, a quarter of those past their step's deadline; the others went the whole way (reply,
review, the management rep's approval, verification, closure: five done steps). Not written: the
history (audit rows), files and notices; the lists show none of them.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection, transaction
from django.utils import timezone

from kefu.complaints.demo_bulk import PREPARED, insert
from kefu.core import org
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.models import NumberSequence
from kefu.flow.models import Kind, Step

from .models import Capa, SourceType, Status
from .services import format_number, period_of

LISTS = [
    ("capa_page", "/capa/", False),
    ("capa_api", "/api/v1/capa", True),
    ("capa_open_page", "/capa/?status=open", False),
    ("capa_open_api", "/api/v1/capa?status=open", True),
    ("capa_department_api", "/api/v1/capa?department=production", True),
    ("capa_overdue_api", "/api/v1/capa?overdue=true", True),
]

BATCH = 5000
YEARS = 5
OPEN_SHARE = 0.10
DEPARTMENTS = (D.PRODUCTION, D.PRODUCTION, D.PRODUCTION, D.QUALITY, D.WAREHOUSE, D.RD, D.SALES)
TYPES = (
    "尺寸超差",
    "外观划伤",
    "毛刺",
    "包装破损",
    "错料混料",
    "功能不良",
    "标识错误",
    "漏装",
    "焊接不良",
    "生锈",
)
PARTS = ("支架", "外壳", "连接器", "端盖", "轴套", "线束", "面板", "齿轮", "垫片", "弹簧")
SEVERITIES = ("general",) * 6 + ("major",) * 3 + ("serious",)
SOURCES = (SourceType.COMPLAINT,) * 5 + (SourceType.MANUAL,) * 2 + (SourceType.AUDIT, SourceType.SURVEY)
# An open 8D's state, and the steps done before it: (state, done steps, open step)
OPEN_STATES = (
    (Status.REPLY, (), "reply"),
    (Status.REVIEW, ("reply",), "review"),
    (Status.REVISION, ("reply", "review"), "revision"),
    (Status.APPROVAL, ("reply", "review"), "final_approval"),
    (Status.VERIFICATION, ("reply", "review", "final_approval"), "verification"),
    (Status.CLOSURE, ("reply", "review", "final_approval", "verification"), "closure"),
)
CLOSED_STEPS = ("reply", "review", "final_approval", "verification", "closure")
HOURS = {  # how long each step may take (the defaults of docs/capa.md), in hours
    "reply": 48,
    "review": 7 * 24,
    "revision": 24,
    "final_approval": 3 * 24,
    "verification": 20 * 24,
    "closure": 3 * 24,
}


def _owner(code: str, department_id: int, departments) -> tuple[int, str]:
    if code in ("reply", "revision"):
        return department_id, Role.CLERK
    if code == "final_approval":
        return departments[D.MANAGEMENT_REP].pk, Role.MANAGEMENT_REP
    return departments[D.QUALITY].pk, Role.CLERK


def insert_steps(rows: list[dict]) -> None:
    """The steps (no ids needed back). PostgreSQL: one single-row INSERT run by ``executemany``
    (psycopg parses the short statement once and pipelines the rows; a multi-row INSERT of
    thousands of placeholders cost more in psycopg's query parsing than in the server). SQLite:
    multi-row INSERTs (``insert``)."""
    if connection.vendor != "postgresql":
        insert(Step, rows, batch=1000)
        return
    fields = [f for f in Step._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(Step._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    plan = [(f.attname, f if isinstance(f, PREPARED) else None, f.get_default()) for f in fields]
    params = [
        [
            v if field is None or v is None else field.get_db_prep_save(v, connection)
            for name, field, default in plan
            for v in (row.get(name, default),)
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def generate(n: int, *, seed: int = 7) -> dict:
    """Write ``n`` corrective actions with their steps; returns what was written and how long it took."""
    t0 = time.perf_counter()
    rnd = random.Random(seed)
    org.ensure_departments()
    departments = {code: org.department(code) for code in D.values}
    from kefu.customers.models import Customer

    customers = list(Customer.objects.order_by("id").values_list("id", flat=True)[:2000])
    now = timezone.now().replace(microsecond=0)
    span = YEARS * 365 * 86400
    opened = sorted(now - dt.timedelta(seconds=rnd.randrange(3600, span)) for _ in range(n))
    first_open = n - int(n * OPEN_SHARE)
    serials = dict(NumberSequence.objects.filter(key__startswith="capa:").values_list("key", "last"))
    counts = {"capas": 0, "open": 0, "steps": 0, "overdue": 0}
    for start in range(0, n, BATCH):
        with transaction.atomic():
            capas, plans = [], []
            for i in range(start, min(n, start + BATCH)):
                at = opened[i]
                period = period_of(at)
                key = f"capa:{period}"
                serials[key] = serials.get(key, 0) + 1
                dept = departments[rnd.choice(DEPARTMENTS)]
                part, kind = rnd.choice(PARTS), rnd.choice(TYPES)
                source = rnd.choice(SOURCES)
                is_open = i >= first_open
                if is_open:
                    state, done, current = rnd.choice(OPEN_STATES)
                else:
                    state, done, current = Status.CLOSED, CLOSED_STEPS, None
                capa = dict(
                    number=format_number(period, serials[key]),
                    period=period,
                    serial=serials[key],
                    title=f"{part}{kind}",
                    source_type=source,
                    source_key="" if source == SourceType.MANUAL else f"B{i:07d}",
                    customer_id=rnd.choice(customers) if customers and rnd.random() < 0.7 else None,
                    department_id=dept.pk,
                    severity=rnd.choice(SEVERITIES),
                    nonconformity=kind,
                    opened_at=at,
                    problem=f"客户反馈{part}{kind}，数量 {rnd.randint(1, 500)} 件。",
                    status=state,
                )
                # the steps: done ones one after the other, mostly on time; the open one from the last
                steps, cursor = [], at
                for code in done:
                    due = cursor + dt.timedelta(hours=HOURS[code])
                    took = dt.timedelta(hours=HOURS[code] * rnd.uniform(0.2, 1.15))
                    finish = min(cursor + took, now - dt.timedelta(minutes=1))
                    steps.append((code, cursor, due, finish))
                    cursor = finish
                if current is not None:  # started within its time allowed, a quarter of them late
                    cursor = max(cursor, now - dt.timedelta(hours=HOURS[current] * rnd.uniform(0.01, 1.33)))
                    due = cursor + dt.timedelta(hours=HOURS[current])
                    steps.append((current, cursor, due, None))
                    capa["due_at"] = due
                    counts["open"] += 1
                    counts["overdue"] += due < now
                else:
                    capa.update(
                        closed_at=cursor,
                        reply_submitted_at=steps[0][3],
                        reply_approved_at=steps[0][3],
                        report_approved_at=steps[2][3],
                        verified_at=steps[3][3],
                        effective=True,
                        root_cause_occurrence=f"{part}加工参数未管控",
                        root_cause_escape="出货检验未覆盖该项",
                    )
                capas.append(capa)
                plans.append(steps)
            ids = insert(Capa, capas, batch=400)  # 60 columns: 24,000 parameters a statement
            rows = []
            for pk, capa, steps in zip(ids, capas, plans, strict=True):
                for code, started, due, finish in steps:
                    department, role = _owner(code, capa["department_id"], departments)
                    hours = HOURS[code]
                    rows.append(
                        dict(
                            record_type="capa",
                            record_id=pk,
                            record_key=capa["number"],
                            customer_id=capa["customer_id"],
                            kind=Kind.STEP,
                            code=code,
                            department_id=department,
                            role=role,
                            started_at=started,
                            due_at=due,
                            unit="hours" if hours < 72 else "days",
                            allowed=hours if hours < 72 else hours // 24,
                            done_at=finish,
                        )
                    )
            insert_steps(rows)
            counts["capas"] += len(capas)
            counts["steps"] += len(rows)
    with transaction.atomic():
        for key, last in serials.items():
            NumberSequence.objects.update_or_create(key=key, defaults={"last": last})
    return {"counts": counts, "seconds": round(time.perf_counter() - t0, 2)}
