"""Survey forms for ``make bench`` (bench/records.py): ``generate(n)`` writes ``n`` forms in rounds
of up to 1,000 customers each, with the rounds' engine steps, into the current database quickly
(5,000 forms a transaction, multi-row INSERTs of ``kefu.complaints.demo_bulk.insert``); ``LISTS``
names the lists measured at 100,000 forms.

The rounds are spread over the years before now, one a quarter; all but the newest are closed
(their three steps done) with nine forms in ten returned and scored; the newest collects. The
customers are those in the database (bench customers ``SVB0001``... are added when there are
fewer than a round needs). Not written: answers, triggers, history (the lists show none of them).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kefu.complaints.demo_bulk import insert
from kefu.core import org
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.models import NumberSequence
from kefu.flow.models import Kind, Step

from .models import Form, Round, Status, Template

LISTS = [
    ("surveys_page", "/surveys/", False),
    ("survey_rounds_api", "/api/v1/surveys/rounds", True),
    ("survey_forms_api", "/api/v1/surveys/forms", True),
    ("survey_forms_pending_api", "/api/v1/surveys/forms?state=pending", True),
    ("survey_forms_returned_api", "/api/v1/surveys/forms?state=returned", True),
]

BATCH = 5000
PER_ROUND = 1000
STEPS = (
    ("collection", D.SALES, Role.CLERK, 30),
    ("scoring", D.SALES, Role.CLERK, 7),
    ("review", D.MANAGEMENT_REP, Role.MANAGEMENT_REP, 7),
)


def _customers(needed: int) -> list[tuple[int, bool]]:
    from kefu.customers.models import Customer

    have = list(Customer.objects.order_by("id").values_list("id", "is_key")[:needed])
    if len(have) < needed:
        start = Customer.objects.filter(code__startswith="SVB").count()
        now = timezone.now()
        new = [
            dict(
                code=f"SVB{start + i + 1:05d}",
                name=f"调查客户{start + i + 1}",
                is_key=(start + i) % 10 == 0,
                created_at=now,
                updated_at=now,
            )
            for i in range(needed - len(have))
        ]
        ids = insert(Customer, new, batch=500)
        have += [(pk, row["is_key"]) for pk, row in zip(ids, new, strict=True)]
    return have


def generate(n: int, *, seed: int = 7) -> dict:
    """Write ``n`` forms in rounds with their steps; returns what was written and how long it took."""
    t0 = time.perf_counter()
    rnd = random.Random(seed)
    org.ensure_departments()
    departments = {code: org.department(code) for code in D.values}
    template = Template.objects.get(code="default", is_current=True)
    per_round = min(PER_ROUND, max(1, n))
    customers = _customers(per_round)
    rounds_needed = -(-n // per_round)
    now = timezone.now().replace(microsecond=0)
    serials = dict(NumberSequence.objects.filter(key__startswith="survey:").values_list("key", "last"))
    counts = {"rounds": 0, "forms": 0, "returned": 0, "steps": 0}
    written = 0
    for r_index in range(rounds_needed):
        newest = r_index == rounds_needed - 1
        created = now - dt.timedelta(days=91 * (rounds_needed - 1 - r_index) + 1)
        year = timezone.localtime(created).year
        key = f"survey:{year}"
        serials[key] = serials.get(key, 0) + 1
        size = min(per_round, n - written)
        with transaction.atomic():
            status = Status.COLLECTION if newest else Status.CLOSED
            total = Decimal(rnd.randint(7000, 9500)) / 100
            row = dict(
                number=f"CS-{year}-{serials[key]:02d}",
                year=year,
                serial=serials[key],
                title=f"{year}年顾客满意度调查（第{serials[key]}次）",
                template_id=template.pk,
                period_start=(created - dt.timedelta(days=182)).date(),
                period_end=(created - dt.timedelta(days=1)).date(),
                collect_until=(created + dt.timedelta(days=30)).date(),
                minimum_returns=100,
                return_target=Decimal(80),
                minimum_competitor=10,
                status=status,
                created_at=created,
                due_at=created + dt.timedelta(days=30) if newest else None,
                closed_at=None if newest else created + dt.timedelta(days=40),
                results={},
            )
            if not newest:
                row.update(
                    deliveries=1000, on_time_deliveries=960, line_stops=2, excess_freight=Decimal(500),
                    total_freight=Decimal(20000), quality_complaints=3, external_score=total, internal_score=Decimal("97"),
                    total=total * Decimal("0.6") + Decimal("38.8"), level="satisfied", satisfaction_rate=Decimal(85),
                    scored_at=created + dt.timedelta(days=33),
                )  # fmt: skip
            (round_id,) = insert(Round, [row])
            steps, cursor = [], created
            for code, dept, role, days in STEPS[:1] if newest else STEPS:
                due = cursor + dt.timedelta(days=days)
                done = None if newest else cursor + dt.timedelta(days=days * rnd.uniform(0.3, 0.9))
                steps.append(
                    dict(
                        record_type="survey", record_id=round_id, record_key=row["number"], kind=Kind.STEP, code=code,
                        department_id=departments[dept].pk, role=role, started_at=cursor, due_at=due, unit="days",
                        allowed=days, done_at=done, data={},
                    )
                )  # fmt: skip
                cursor = done or cursor
            insert(Step, steps, batch=100)
            forms = []
            for i in range(size):
                cid, is_key = customers[i]
                returned = not newest and rnd.random() < 0.9 or newest and rnd.random() < 0.3
                forms.append(
                    dict(
                        round_id=round_id, customer_id=cid, subject="ours", is_key=is_key, last_dissatisfied=[],
                        token_nonce="", reminders=0, state="returned" if returned else "pending",
                        channel=rnd.choice(("link", "link", "oral")) if returned else "",
                        returned_at=created + dt.timedelta(days=rnd.randint(1, 25)) if returned else None,
                        score=Decimal(rnd.randint(50, 100)) if returned else None, comment="", suggestions="",
                        respondent="", competitor="",
                    )
                )  # fmt: skip
                counts["returned"] += returned
            for start in range(0, len(forms), BATCH):
                insert(Form, forms[start : start + BATCH], batch=500)
            counts["rounds"] += 1
            counts["forms"] += len(forms)
            counts["steps"] += len(steps)
            written += size
    with transaction.atomic():
        for key, last in serials.items():
            NumberSequence.objects.update_or_create(key=key, defaults={"last": last})
    return {"counts": counts, "seconds": round(time.perf_counter() - t0, 2)}
