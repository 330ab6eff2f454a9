"""The benchmark hook (``make bench``, bench/records.py): ``generate(n)`` bulk-creates ``n``
customer-specific requirements (with their reviews and, for the open ones, the engine's review
tasks) spread over customers and source documents; ``LISTS`` are the lists to time."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max

LISTS = [
    ("requirements_page", "/requirements/", False),
    ("requirements_red_lines_page", "/requirements/?red_line=true&status=open", False),
    ("requirements_api", "/api/v1/requirements", True),
    ("requirements_api_customer", "/api/v1/requirements?customer=BR00001", True),
]

BATCH = 5_000
TZ = ZoneInfo("Asia/Shanghai")
DEPARTMENTS = ("quality", "production", "rd", "sales", "warehouse")
TITLES = ("PPAP 等级 3", "首件检验", "包装标签", "过程审核", "可追溯性", "禁用物质", "变更通知", "年度全尺寸")


def _batched(model, rows):
    for i in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[i : i + BATCH], batch_size=BATCH)


def generate(n: int, *, seed: int = 7) -> dict:
    from kefu.core.models import NumberSequence
    from kefu.core.org import department, ensure_departments
    from kefu.customers.models import Customer
    from kefu.flow.models import Kind, Step

    from .models import CsrDocument, CsrStatus, Requirement, Review

    rng = random.Random(seed)
    ensure_departments()
    depts = {code: department(code) for code in DEPARTMENTS}
    n_customers = max(1, min(500, n // 200))
    with transaction.atomic():
        codes = [f"BR{i:05d}" for i in range(1, n_customers + 1)]
        have = set(Customer.objects.filter(code__in=codes).values_list("code", flat=True))
        Customer.objects.bulk_create(
            [Customer(code=c, name=f"基准客户 {c}") for c in codes if c not in have], batch_size=BATCH
        )
        customers = list(Customer.objects.filter(code__in=codes).order_by("code"))
        docs = []
        for c in customers:
            for k in range(2):
                doc, _ = CsrDocument.objects.get_or_create(
                    customer=c, number=f"CSR-{c.code}-{k}", revision="A",
                    defaults={"title": "客户特殊要求手册", "issued_on": dt.date(2026, 1, 1)},
                )  # fmt: skip
                docs.append(doc)
        period = 202611
        key = f"csr:{period}"
        start = (Requirement.objects.filter(period=period).aggregate(m=Max("serial"))["m"] or 0) + 1
        base = dt.datetime(2026, 11, 1, 8, 0, tzinfo=TZ)
        reqs = []
        for i in range(n):
            serial = start + i
            doc = docs[rng.randrange(len(docs))]
            status = rng.choices(
                (CsrStatus.REVIEW, CsrStatus.ACTION, CsrStatus.IN_FORCE, CsrStatus.WITHDRAWN), (2, 1, 6, 1)
            )[0]
            opened = base + dt.timedelta(minutes=i % 40_000)
            closed = status in (CsrStatus.IN_FORCE, CsrStatus.WITHDRAWN)
            reqs.append(
                Requirement(
                    number=f"CSR-{period}-{serial:06d}", period=period, serial=serial, customer_id=doc.customer_id,
                    document=doc, clause=f"{rng.randint(1, 9)}.{rng.randint(1, 9)}", title=rng.choice(TITLES),
                    text="基准数据", red_line=rng.random() < 0.05, departments=list(DEPARTMENTS[:2]),
                    opened_at=opened, status=status, due_at=None if closed else opened + dt.timedelta(days=7),
                    closed_at=opened + dt.timedelta(days=3) if closed else None,
                )
            )  # fmt: skip
        _batched(Requirement, reqs)
        NumberSequence.objects.update_or_create(key=key, defaults={"last": start + n - 1})
        ids = dict(Requirement.objects.filter(period=period, serial__gte=start).values_list("serial", "id"))
        reviews, steps = [], []
        for r in reqs:
            pk = ids[r.serial]
            for code in DEPARTMENTS[:2]:
                answered = r.status != CsrStatus.REVIEW
                reviews.append(
                    Review(requirement_id=pk, department=depts[code], answer="accepted" if answered else "")
                )
                if not answered:
                    steps.append(
                        Step(
                            record_type="csr", record_id=pk, record_key=r.number, customer_id=r.customer_id,
                            kind=Kind.TASK, code="department_review", department=depts[code],
                            started_at=r.opened_at, due_at=r.due_at, unit="workdays", allowed=5,
                        )
                    )  # fmt: skip
        _batched(Review, reviews)
        _batched(Step, steps)
    return {"requirements": n, "customers": len(customers), "reviews": len(reviews), "steps": len(steps)}
