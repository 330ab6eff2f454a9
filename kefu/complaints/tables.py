"""The complaint table's rows, rendered in Python (as Django's admin renders its result list).

The list page shows 50 rows of eight cells; through the template engine that
was about half of the page's CPU (variable lookups, a translated label and a
``date`` filter per cell, a ``{% url %}`` per row). Here the labels are
translated once per page, times formatted with ``strftime`` and every value
goes through ``format_html``, so the HTML and its escaping are the template's.
"""

import datetime as dt
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from kefu.complaints.choices import Category, Severity, Status

# On a phone (kefu.css, ``cards-on-phone``) each row is a card whose cells carry their column's
# name (``data-label``): number, customer, title, severity, status and due; received and category
# are left out there.
_ROW = (
    '<tr><td class="num card-title" data-label="{number}"><a href="{{}}">{{}}</a></td>'
    '<td class="phone-hide" data-label="{received}">{{}}</td>'
    '<td data-label="{customer}"><span><span class="num">{{}}</span> {{}}</span></td>'
    '<td data-label="{title}">{{}}</td><td class="phone-hide" data-label="{category}">{{}}</td>'
    '<td data-label="{severity}"><span class="badge badge-{{}}">{{}}</span></td>'
    '<td data-label="{status}"><span class="badge {{}}">{{}}</span></td><td data-label="{due}">{{}}</td></tr>'
)
_COLUMNS = {
    "number": "Number",
    "received": "Received",
    "customer": "Customer",
    "title": "Title",
    "category": "Category",
    "severity": "Severity",
    "status": "Status",
    "due": "Step due",
}
_URL_SAFE = RFC3986_SUBDELIMS + "~:@"  # what reverse() leaves unquoted in a path segment
_NO_DATE = mark_safe('<span class="muted">—</span>')


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def local_minute(value: dt.datetime) -> str:
    """``value`` as the ``date:"Y-m-d H:i"`` filter shows it: local time, to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def complaint_rows(complaints) -> SafeString:
    """The ``<tr>`` of each complaint (after ``selectors.mark_lateness``), or the empty-list row."""
    if not complaints:
        return format_html(
            '<tr><td colspan="8" class="muted">{}</td></tr>', gettext("No complaints match these filters.")
        )
    category, severity, status = _labels(Category.choices), _labels(Severity.choices), _labels(Status.choices)
    row = _ROW.format(
        **{
            k: conditional_escape(gettext(v)).replace("{", "{{").replace("}", "}}")
            for k, v in _COLUMNS.items()
        }
    )
    placeholder = "0"
    detail_url = reverse("complaints:detail", args=[placeholder])
    head, tail = detail_url[: -len(placeholder) - 1], detail_url[-1:]
    rows = []
    for c in complaints:
        is_open = c.is_open
        if is_open and c.due_at:
            due = local_minute(c.due_at)
            if c.late_days:
                label = ngettext("late by %(days)s day", "late by %(days)s days", c.late_days)
                due = format_html(
                    '<span>{}<br><span class="late badge badge-late">{}</span></span>',
                    due,
                    label % {"days": c.late_days},
                )
        else:
            due = _NO_DATE
        rows.append(
            format_html(
                row,
                f"{head}{quote(c.number, safe=_URL_SAFE)}{tail}",
                c.number,
                local_minute(c.received_at),
                c.customer.code,
                c.customer.name,
                c.title,
                category.get(c.category, c.category),
                c.severity,
                severity.get(c.severity, c.severity),
                "badge-open" if is_open else "badge-closed",
                status.get(c.status, c.status),
                due,
            )
        )
    return mark_safe("\n".join(rows))
