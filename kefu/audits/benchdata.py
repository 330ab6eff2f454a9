"""The benchmark hook (``make bench``, bench/records.py): bulk-create customer audits with their open
engine step, and the lists to time at 100,000 records."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import transaction

LISTS = [
    ("audits_page", "/audits/", False),
    ("audits_page_open", "/audits/?status=open", False),
    ("audits_api", "/api/v1/audits", True),
    ("audits_api_csr", "/api/v1/audits?audit_type=csr", True),
]
BATCH = 5000
STEP_OF = {
    "planned": "preparation",
    "in_progress": "audit",
    "findings": "findings",
    "corrective": "open_8d",
    "follow_up": "follow_up",
    "report": "report",
}
OWNER = {"preparation": "sales", "audit": "sales", "findings": "sales", "report": "sales"}


def _customers(count: int, rng) -> list:
    from kefu.customers.models import Customer

    have = list(Customer.objects.order_by("id")[:count])
    if len(have) < count:
        Customer.objects.bulk_create(
            [
                Customer(code=f"BA{i:05d}", name=f"审核客户{i:05d}", is_key=rng.random() < 0.2)
                for i in range(len(have), count)
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        have = list(Customer.objects.order_by("id")[:count])
    return have


def generate(n: int, *, seed: int = 7) -> dict:
    """Create ``n`` audits spread over the months before now, most of them closed, the open ones
    with their open step (bulk inserts in batches of 5,000); returns what was made."""
    from django.utils import timezone

    from kefu.core import org
    from kefu.core.models import NumberSequence
    from kefu.core.workcalendar import TZ
    from kefu.flow.models import Kind, Step

    from .models import Audit, AuditType, Status
    from .services import format_number

    started = time.monotonic()
    rng = random.Random(seed)
    org.ensure_departments()
    sales, quality = org.department("sales"), org.department("quality")
    customers = _customers(min(max(n // 50, 10), 2000), rng)
    now = timezone.now()
    types = AuditType.values
    open_states = list(STEP_OF)
    serials = {  # numbers go on from those already issued
        int(key.split(":", 1)[1]): last
        for key, last in NumberSequence.objects.filter(key__startswith="audit:").values_list("key", "last")
    }
    made = 0
    with transaction.atomic():
        for start in range(0, n, BATCH):
            audits = []
            for i in range(start, min(start + BATCH, n)):
                days_back = (n - i) * 3650 // max(n, 1)  # ten years, the newest last
                begins = (
                    (now - dt.timedelta(days=days_back))
                    .astimezone(TZ)
                    .replace(hour=9, minute=0, second=0, microsecond=0)
                )
                created = begins - dt.timedelta(days=14)
                period = created.year * 100 + created.month
                serial = serials.get(period, 0) + 1
                serials[period] = serial
                status = rng.choice(open_states) if days_back < 120 else Status.CLOSED
                c = customers[rng.randrange(len(customers))]
                audits.append(
                    Audit(
                        number=format_number(period, serial), period=period, serial=serial, customer=c,
                        audit_type=types[rng.randrange(len(types))], planned_start=begins,
                        planned_end=begins + dt.timedelta(hours=8), departments=[{"department": "production", "manager": ""}],
                        auditors=[{"name": "Auditor", "title": "", "email": ""}], key_customer=c.is_key,
                        routing="quality" if rng.random() < 0.5 else "system_specialist", created_at=created,
                        status=status, due_at=None if status == Status.CLOSED else begins + dt.timedelta(days=3),
                        closed_at=begins + dt.timedelta(days=40) if status == Status.CLOSED else None,
                    )
                )  # fmt: skip
            Audit.objects.bulk_create(audits, batch_size=BATCH)
            steps = [
                Step(
                    record_type="audit", record_id=a.pk, record_key=a.number, customer_id=a.customer_id,
                    kind=Kind.STEP, code=STEP_OF[a.status],
                    department=sales if OWNER.get(STEP_OF[a.status]) == "sales" else quality,
                    started_at=a.created_at, due_at=a.due_at, unit="workdays", allowed=3,
                )
                for a in audits
                if a.status != Status.CLOSED
            ]  # fmt: skip
            Step.objects.bulk_create(steps, batch_size=BATCH)
            made += len(audits)
        for period, last in serials.items():
            NumberSequence.objects.update_or_create(key=f"audit:{period}", defaults={"last": last})
    return {"audits": made, "customers": len(customers), "seconds": round(time.monotonic() - started, 2)}
