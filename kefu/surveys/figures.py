"""The internal figures of a round's period (004 6.4.2.2) and the round's scores computed from
what came back (``score_now``): the delivery figures entered or imported, the quality
complaints counted from kefu's own complaints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core import audit
from kefu.core.errors import Conflict, Invalid, Malformed
from kefu.core.workcalendar import TZ

from . import rules, scoring
from .choices import FormState, Subject
from .common import now_or as _now
from .common import require_survey_staff
from .models import Form, Round, Status, Template

FLOW_NAME = "survey"


# --- internal figures (004 6.4.2.2) ----------------------------------------------------------------------


def _count(value, name: str) -> int:
    d = scoring.dec(value, name)
    if d != d.to_integral_value() or d < 0:
        raise Malformed(_("a whole number, not negative"), field=name)
    return int(d)


def _money(value, name: str) -> Decimal:
    d = scoring.dec(value, name)
    if d < 0:
        raise Malformed(_("must not be negative"), field=name)
    return d.quantize(Decimal("0.01"))


@transaction.atomic
def set_internal_figures(
    round_: Round,
    *,
    by,
    deliveries: int,
    on_time_deliveries: int,
    line_stops: int,
    excess_freight,
    total_freight,
    self_degree=None,
    self_rate=None,
    now: dt.datetime | None = None,
) -> Round:
    """The delivery figures of the round's period (004 6.4.2.2: deliveries, on time, line stops,
    freight), and the salespeople's self-assessment where that procedure is chosen. The quality
    complaints are not entered: they are counted from kefu's complaints when the round is scored."""
    now = _now(now)
    require_survey_staff(by)
    figures = {
        "deliveries": _count(deliveries, "deliveries"),
        "on_time_deliveries": _count(on_time_deliveries, "on_time_deliveries"),
        "line_stops": _count(line_stops, "line_stops"),
        "excess_freight": _money(excess_freight, "excess_freight"),
        "total_freight": _money(total_freight, "total_freight"),
    }
    for key in ("on_time_deliveries", "line_stops"):
        if figures[key] > figures["deliveries"]:
            raise Invalid(
                _("must not exceed the deliveries (%(n)s)") % {"n": figures["deliveries"]}, field=key
            )
    if figures["excess_freight"] > figures["total_freight"]:
        raise Invalid(_("must not exceed the total freight"), field="excess_freight")
    for key, value in (("self_degree", self_degree), ("self_rate", self_rate)):
        if value not in (None, ""):
            d = scoring.dec(value, key)
            if not 0 <= d <= 100:
                raise Malformed(_("a score between 0 and 100"), field=key)
            figures[key] = d
        else:
            figures[key] = None
    r = Round.objects.select_for_update().get(pk=round_.pk)
    if r.status not in (Status.COLLECTION, Status.SCORING):
        raise Conflict(_("the figures of a scored round are not changed; send it back to scoring first"))
    before = {k: getattr(r, k) for k in figures}
    for k, v in figures.items():
        setattr(r, k, v)
    r.save(update_fields=list(figures))
    audit.record(
        r, "set_figures", by=by, at=now, object_type=FLOW_NAME,
        data={k: (str(v) if v is not None else None) for k, v in figures.items()}
        | {"before": {k: (str(v) if v is not None else None) for k, v in before.items()}},
    )  # fmt: skip
    return r


FIGURE_NAMES = {
    "deliveries": ("deliveries", "送货次数", "交货批次", "总交货批次数", "送货批次"),
    "on_time_deliveries": ("on_time_deliveries", "准时交货次数", "准时交货批次"),
    "line_stops": ("line_stops", "断线次数", "停线次数"),
    "excess_freight": ("excess_freight", "超额运费"),
    "total_freight": ("total_freight", "总运费"),
    "self_degree": ("self_degree", "自评满意度"),
    "self_rate": ("self_rate", "自评满意率"),
}


def import_internal_figures(round_: Round, *, by, upload, now: dt.datetime | None = None) -> Round:
    """The delivery figures from an Excel sheet: one row per figure, its name (``deliveries`` or
    the form's Chinese, e.g. 送货次数) in the first column and the value in the second."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise Malformed(_("not an Excel workbook (.xlsx)"), field="file") from None
    found: dict[str, object] = {}
    lookup = {name: key for key, names in FIGURE_NAMES.items() for name in names}
    for row in book.active.iter_rows(min_row=1, max_col=2, values_only=True):
        if not row or row[0] is None:
            continue
        key = lookup.get(str(row[0]).strip())
        if key is not None and len(row) > 1 and row[1] not in (None, ""):
            found[key] = row[1]
    book.close()
    missing = [
        k
        for k in ("deliveries", "on_time_deliveries", "line_stops", "excess_freight", "total_freight")
        if k not in found
    ]
    if missing:
        raise Malformed(_("the sheet has no row %(name)s") % {"name": missing[0]}, field="file")
    return set_internal_figures(round_, by=by, now=now, **found)


def period_bounds(round_: Round) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(round_.period_start, dt.time(0, 0), tzinfo=TZ)
    end = dt.datetime.combine(round_.period_end + dt.timedelta(days=1), dt.time(0, 0), tzinfo=TZ)
    return start, end


def count_quality_complaints(round_: Round) -> int:
    """kefu's own complaints received in the round's period, category quality and found valid
    (004 6.4.2.2 A: 质量投诉次数)."""
    from kefu.complaints.choices import Category, Validity
    from kefu.complaints.models import Complaint

    start, end = period_bounds(round_)
    return Complaint.objects.filter(
        category=Category.QUALITY, validity=Validity.VALID, received_at__gte=start, received_at__lt=end
    ).count()


# --- scoring a saved round --------------------------------------------------------------------------------


def returned_forms(round_: Round, subject: str = Subject.OURS) -> list[Form]:
    return list(
        Form.objects.filter(round=round_, subject=subject, state=FormState.RETURNED)
        .select_related("customer")
        .prefetch_related("answers")
        .order_by("id")
    )


def _rated(tdef: scoring.TemplateDef, forms: list[Form]) -> list[scoring.Rated]:
    by_code = {it.code: it for it in tdef.items}
    out = []
    for f in forms:
        answers = {}
        for a in f.answers.all():
            it = by_code.get(a.item)
            if it is None:
                continue
            lv = next((lv for lv in it.levels if lv.code == a.level), None) or scoring.LevelDef(
                a.level, a.value
            )
            answers[a.item] = lv
        if not answers:  # nothing to score (not a form of kefu's: every returned form rates each item)
            continue
        key = f.customer.code if f.customer_id else f"form-{f.pk}"
        out.append(scoring.Rated(customer=key, answers=answers, comment=f.comment))
    return out


def score_now(round_: Round, *, quality_complaints: int | None = None):
    """The round's figures as scoring computes them now (``scoring.Result``), without saving:
    the returned forms about us, the internal figures entered (None while missing), the quality
    complaints counted from kefu's complaints of the period."""
    cfg = rules.settings()
    template = Template.objects.prefetch_related("items").get(pk=round_.template_id)
    tdef = rules.template_def(template)
    forms = returned_forms(round_)
    internal = None
    complaints = count_quality_complaints(round_) if quality_complaints is None else quality_complaints
    if round_.deliveries is not None:
        d = round_.deliveries
        if complaints > d:  # more complaints than deliveries: the quality part is 0, not negative
            complaints = d
        internal = scoring.Internal(
            deliveries=d,
            quality_complaints=complaints,
            on_time_deliveries=round_.on_time_deliveries or 0,
            line_stops=round_.line_stops or 0,
            excess_freight=round_.excess_freight or Decimal(0),
            total_freight=round_.total_freight or Decimal(0),
        )
    result = scoring.evaluate(tdef, _rated(tdef, forms), internal, rules.weights(cfg), rules.thresholds(cfg))
    result.quality_complaints = complaints
    return result
