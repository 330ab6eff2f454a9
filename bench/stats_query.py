"""A month's complaint statistics: the query the reports will use (issue 5, scenario 7).

One pass per dimension over the month's rows, found through the unique
(period, serial) index: counts by category, severity, customer and
responsible department, and the on-time rate (closed no later than the case
deadline). Intended to move to ``kefu/complaints/stats.py`` (or reports/)
when the reports are written.
"""

from __future__ import annotations

from django.db.models import Count, F, Q

from kefu.complaints.models import Complaint


def month_stats(period: int) -> dict:
    qs = Complaint.objects.filter(period=period).order_by()
    totals = qs.aggregate(
        total=Count("id"),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
        on_time=Count("id", filter=Q(closed_at__isnull=False, closed_at__lte=F("case_due_at"))),
    )

    def by(field: str) -> dict:
        return {k or "": n for k, n in qs.values_list(field).annotate(n=Count("id")).order_by("-n")}

    closed = totals["closed"]
    return {
        "period": period,
        **totals,
        "on_time_rate": round(totals["on_time"] / closed, 4) if closed else None,
        "by_category": by("category"),
        "by_severity": by("severity"),
        "by_department": by("responsible_department__code"),
        "by_customer": by("customer__code"),
    }
