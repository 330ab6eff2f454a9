"""Reads of the survey domain: the round list and the form list (page, API, export), a round's
progress, its score sheet, the per-customer sheet, the competitor comparison, the trend table.

Every figure is a Decimal at full precision; ``scoring.shown`` rounds it for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kefu.core.errors import Malformed
from kefu.core.pagination import DEFAULT_PAGE_SIZE, PageOf, empty, paginate  # noqa: F401
from kefu.flow import access as flow_access

from .choices import AnswerChannel, FormState, Subject
from .models import CLOSED_STATES, Answer, Form, Round, Status, Template

OPEN = "open"
STATUS_FILTER = ("", OPEN, *Status.values)

# --- the shapes the pages and the API read ----------------------------------------------------------


@dataclass
class Progress:
    """A round's collection (004 6.4.1, 客户满意度管理制度 四.3): forms sent and returned, the return
    rate against its target, the returned forms against the round's minimum, the key customers
    whose form is missing, the competitor answers against their minimum."""

    forms: int  # forms about us
    returned: int
    return_rate: Decimal | None  # percent of ``forms``
    return_target: Decimal  # percent (80)
    meets_return_target: bool
    minimum_returns: int  # 100
    meets_minimum: bool
    key_forms: int
    key_returned: int
    missing_key: list  # Form rows (with ``customer``) of key customers not returned
    competitor_answers: int
    minimum_competitor: int  # 10
    meets_competitor_minimum: bool
    by_channel: dict[str, int]  # link / oral / paper -> returned forms


@dataclass
class ItemRow:
    code: str
    label: str
    score: Decimal | None  # sum / returned forms that rated it, on the item's scale
    on_hundred: Decimal | None  # the same on 100 points
    answers: int
    dissatisfied: int  # answers at a dissatisfied level


@dataclass
class Sheet:
    """The score sheet of a round as in the seed (004 6.4.2): the item table, external, internal
    parts and score, total, level, satisfaction rate, the combined figures where the
    self-assessment is chosen, the triggers. ``scored``: from the stored results (a scored round)
    or computed now (``False``: a preview while collecting)."""

    round: Round
    scored: bool
    returned: int
    items: list[ItemRow]
    external_score: Decimal | None
    internal_parts: dict[str, Decimal | None]  # quality, on_time, line_stop, freight
    internal_score: Decimal | None
    figures: (
        dict  # deliveries, quality_complaints, on_time_deliveries, line_stops, excess_freight, total_freight
    )
    weights: dict[str, Decimal]  # external, internal
    total: Decimal | None
    level: str  # dissatisfied / satisfied / very_satisfied / ""
    satisfaction_rate: Decimal | None
    combined_degree: Decimal | None = None  # self x 40 % + survey x 60 %, where chosen
    combined_rate: Decimal | None = None
    pass_mark: Decimal | None = None
    triggers: list = field(default_factory=list)  # Trigger rows (saved) or scoring.Hit (preview)


@dataclass
class CustomerRow:
    form: Form
    customer_code: str
    customer_name: str
    is_key: bool
    returned: bool
    channel: str
    score: Decimal | None  # on 100
    level: str
    ratings: dict[str, Decimal]  # item code -> value
    dissatisfied: list[str]  # item codes rated at a dissatisfied level
    last_dissatisfied: list  # last round's dissatisfied points
    comment: str


@dataclass
class Comparison:
    """R10.6: per item, our score beside the competitors' (all of them, and each by name)."""

    round: Round
    items: list[dict]  # {"code", "label", "ours", "competitors", "by_competitor": {name: score}}
    ours_total: Decimal | None  # external score on 100
    competitors_total: Decimal | None
    by_competitor_total: dict[str, Decimal | None]
    answers: int
    minimum: int
    meets_minimum: bool


@dataclass
class Trend:
    """R10.7: scores by round and by item over the years (one template code), for the line and
    radar charts and the table behind them."""

    template: str
    rounds: list[
        dict
    ]  # {"number", "title", "year", "period_end", "external", "internal", "total", "level", "rate"}
    items: list[dict]  # {"code", "label"}
    table: dict[str, list[Decimal | None]]  # item code -> score on 100 per round, in ``rounds`` order
    by_year: list[dict]  # {"year", "external", "internal", "total", "items": {code: score}}


# --- the reads --------------------------------------------------------------------------------------


def _d(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def round_list(user=None, *, status: str = "", year: int | None = None):
    """Rounds, newest first (a queryset for ``paginate``; ``survey_round_status_idx`` /
    ``survey_round_recent_idx`` answer it). Every member of a department sees the rounds; the
    customers' forms in them are filtered (R1.2)."""
    if status and status not in Status.values and status != OPEN:
        raise Malformed(_("unknown status %(s)r") % {"s": status}, field="status")
    qs = Round.objects.select_related("template").order_by("-created_at", "-id")
    if status == OPEN:
        qs = qs.exclude(status__in=CLOSED_STATES)
    elif status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    return qs


def visible_forms(user, qs=None):
    """Forms ``user`` may see: those of the customers they may see (R1.2), and competitor answers
    without a customer."""
    qs = qs if qs is not None else Form.objects.all()
    if user is None:
        return qs
    customers = flow_access.visible_customers(user)
    if customers is None:
        return qs
    return qs.filter(Q(customer__isnull=True) | Q(customer_id__in=customers))


def form_list(user, *, round_number: str = "", state: str = "", customer: str = "", subject: str = ""):
    """Forms, newest first, with their round and customer (a queryset for ``paginate``)."""
    if state and state not in FormState.values:
        raise Malformed(_("unknown state %(s)r") % {"s": state}, field="state")
    if subject and subject not in Subject.values:
        raise Malformed(_("unknown subject %(s)r") % {"s": subject}, field="subject")
    qs = visible_forms(user, Form.objects.select_related("round", "customer", "round__template"))
    if round_number:
        qs = qs.filter(round__number=round_number)
    if state:
        qs = qs.filter(state=state)
    if customer:
        qs = qs.filter(customer__code=customer)
    if subject:
        qs = qs.filter(subject=subject)
    return qs.order_by("-id")


def round_progress(round_: Round) -> Progress:
    """One aggregate query over the round's forms."""
    ours = Q(subject=Subject.OURS)
    back = Q(state=FormState.RETURNED)
    agg = Form.objects.filter(round=round_).aggregate(
        forms=Count("id", filter=ours),
        returned=Count("id", filter=ours & back),
        key_forms=Count("id", filter=ours & Q(is_key=True)),
        key_returned=Count("id", filter=ours & back & Q(is_key=True)),
        competitor=Count("id", filter=Q(subject=Subject.COMPETITOR) & back),
        link=Count("id", filter=ours & back & Q(channel=AnswerChannel.LINK)),
        oral=Count("id", filter=ours & back & Q(channel=AnswerChannel.ORAL)),
        paper=Count("id", filter=ours & back & Q(channel=AnswerChannel.PAPER)),
    )
    missing = list(
        Form.objects.filter(round=round_, subject=Subject.OURS, is_key=True, state=FormState.PENDING)
        .select_related("customer")
        .order_by("customer__code")
    )
    rate = Decimal(agg["returned"]) / agg["forms"] * 100 if agg["forms"] else None
    return Progress(
        forms=agg["forms"],
        returned=agg["returned"],
        return_rate=rate,
        return_target=round_.return_target,
        meets_return_target=rate is not None and rate >= round_.return_target,
        minimum_returns=round_.minimum_returns,
        meets_minimum=agg["returned"] >= round_.minimum_returns,
        key_forms=agg["key_forms"],
        key_returned=agg["key_returned"],
        missing_key=missing,
        competitor_answers=agg["competitor"],
        minimum_competitor=round_.minimum_competitor,
        meets_competitor_minimum=agg["competitor"] >= round_.minimum_competitor,
        by_channel={"link": agg["link"], "oral": agg["oral"], "paper": agg["paper"]},
    )


def _answer_counts(round_: Round, subject: str = Subject.OURS) -> dict[str, tuple[int, int]]:
    rows = (
        Answer.objects.filter(form__round=round_, form__subject=subject, form__state=FormState.RETURNED)
        .values("item")
        .annotate(n=Count("id"), bad=Count("id", filter=Q(dissatisfied=True)))
    )
    return {r["item"]: (r["n"], r["bad"]) for r in rows}


def score_sheet(round_: Round) -> Sheet:
    """The score sheet (004 6.4.2): from the stored results once the round is scored, else
    computed now from what has come back (``scored`` False: a preview)."""
    from . import figures as fig
    from . import rules

    template = Template.objects.prefetch_related("items").get(pk=round_.template_id)
    items = list(template.items.all())
    counts = _answer_counts(round_)
    figures = {
        "deliveries": round_.deliveries,
        "on_time_deliveries": round_.on_time_deliveries,
        "line_stops": round_.line_stops,
        "excess_freight": round_.excess_freight,
        "total_freight": round_.total_freight,
    }
    if round_.scored_at is not None and round_.results:
        res = round_.results
        item_scores = {k: _d(v) for k, v in res.get("item_scores", {}).items()}
        parts = {k: _d(v) for k, v in res.get("internal_parts", {}).items()}
        weights = {k: _d(v) for k, v in res.get("weights", {}).items()}
        figures["quality_complaints"] = res.get("quality_complaints", round_.quality_complaints)
        sa = res.get("self_assessment") or {}
        sheet = Sheet(
            round=round_, scored=True, returned=int(res.get("returned", 0)), items=[],
            external_score=_d(res.get("external_score")), internal_parts=parts,
            internal_score=_d(res.get("internal_score")), figures=figures, weights=weights,
            total=_d(res.get("total")), level=res.get("level", ""),
            satisfaction_rate=_d(res.get("satisfaction_rate")),
            combined_degree=_d(sa.get("degree")), combined_rate=_d(sa.get("rate")),
            pass_mark=template.pass_mark,
            triggers=list(round_.triggers.select_related("customer", "capa", "complaint").order_by("id")),
        )  # fmt: skip
    else:
        result = fig.score_now(round_)
        item_scores = result.item_scores
        w = rules.weights()
        figures["quality_complaints"] = result.quality_complaints
        sheet = Sheet(
            round=round_, scored=False, returned=result.returned, items=[],
            external_score=result.external_score, internal_parts=result.internal_parts,
            internal_score=result.internal_score, figures=figures,
            weights={"external": w.external, "internal": w.internal}, total=result.total, level=result.level,
            satisfaction_rate=result.satisfaction_rate, pass_mark=template.pass_mark, triggers=result.triggers,
        )  # fmt: skip
    for it in items:
        best = max(Decimal(str(lv["value"])) for lv in it.levels)
        score = item_scores.get(it.code)
        n, bad = counts.get(it.code, (0, 0))
        sheet.items.append(
            ItemRow(
                code=it.code,
                label=it.title,
                score=score,
                on_hundred=None if score is None else score / best * 100,
                answers=n,
                dissatisfied=bad,
            )
        )
    return sheet


def customer_sheet(round_: Round, user=None, *, subject: str = Subject.OURS) -> list[CustomerRow]:
    """One row per form of the round (returned or not), the customer's ratings and score on 100,
    their dissatisfied items and last round's dissatisfied points; two queries."""
    from . import rules
    from .scoring import level as level_of

    th = rules.thresholds()
    forms = list(
        visible_forms(user, Form.objects.filter(round=round_, subject=subject))
        .select_related("customer")
        .prefetch_related("answers")
        .order_by("-is_key", "customer__code", "id")
    )
    rows = []
    for f in forms:
        answers = list(f.answers.all())
        rows.append(
            CustomerRow(
                form=f,
                customer_code=f.customer.code if f.customer_id else "",
                customer_name=f.customer.name if f.customer_id else f.competitor,
                is_key=f.is_key,
                returned=f.state == FormState.RETURNED,
                channel=f.channel,
                score=f.score,
                level=level_of(f.score, th) if f.score is not None else "",
                ratings={a.item: a.value for a in answers},
                dissatisfied=[a.item for a in answers if a.dissatisfied],
                last_dissatisfied=f.last_dissatisfied or [],
                comment=f.comment,
            )
        )
    return rows


def customer_history(customer, user=None) -> list[Form]:
    """A customer's forms about us, newest first, with their rounds (the customer page, R2.3)."""
    qs = Form.objects.filter(customer=customer, subject=Subject.OURS).select_related(
        "round", "round__template"
    )
    return list(visible_forms(user, qs).order_by("-round__created_at", "-id")[:50])


def competitor_comparison(round_: Round) -> Comparison:
    """R10.6: per item, our item score beside the competitors' (all of them and each by name), on
    100 points so that any template compares."""
    from . import figures, rules, scoring

    template = Template.objects.prefetch_related("items").get(pk=round_.template_id)
    tdef = rules.template_def(template)
    ours = figures._rated(tdef, figures.returned_forms(round_, Subject.OURS))
    competitor_forms = figures.returned_forms(round_, Subject.COMPETITOR)
    theirs, names = [], {}
    for f in competitor_forms:
        for rated in figures._rated(tdef, [f]):
            theirs.append(rated)
            names.setdefault(f.competitor, []).append(rated)
    ours_items = scoring.item_scores(tdef, ours)
    their_items = scoring.item_scores(tdef, theirs)
    by_name = {name: scoring.item_scores(tdef, rs) for name, rs in sorted(names.items())}

    def on100(it, v):
        return None if v is None else v / it.best * 100

    items = [
        {
            "code": it.code,
            "label": it.label,
            "ours": on100(it, ours_items.get(it.code)),
            "competitors": on100(it, their_items.get(it.code)),
            "by_competitor": {name: on100(it, s.get(it.code)) for name, s in by_name.items()},
        }
        for it in tdef.items
    ]
    return Comparison(
        round=round_,
        items=items,
        ours_total=scoring.external_score(tdef, ours_items),
        competitors_total=scoring.external_score(tdef, their_items),
        by_competitor_total={name: scoring.external_score(tdef, s) for name, s in by_name.items()},
        answers=len(theirs),
        minimum=round_.minimum_competitor,
        meets_minimum=len(theirs) >= round_.minimum_competitor,
    )


def trend(template: str = "default", *, years: int | None = None) -> Trend:
    """R10.7 (004 6.5: 每年年底对当年顾客满意度情况进行汇总和分析, 形成趋势分析报告): every scored
    round of the template's code (any version) in order, its scores and each item on 100
    points; and per year the means of its rounds. ``years``: only the last so many years."""
    qs = (
        Round.objects.filter(template__code=template, scored_at__isnull=False)
        .select_related("template")
        .prefetch_related("template__items")
        .order_by("period_end", "id")
    )
    if years:
        last = qs.order_by("-year").values_list("year", flat=True).first()
        if last is not None:
            qs = qs.filter(year__gt=last - int(years))
    rounds = list(qs)
    current = Template.objects.filter(code=template, is_current=True).prefetch_related("items").first()
    item_defs = list(current.items.all()) if current is not None else []
    items = [{"code": it.code, "label": it.title} for it in item_defs]
    table: dict[str, list] = {it.code: [] for it in item_defs}
    out_rounds = []
    for r in rounds:
        res = r.results or {}
        best = {it.code: max(Decimal(str(lv["value"])) for lv in it.levels) for it in r.template.items.all()}
        scores = {k: _d(v) for k, v in (res.get("item_scores") or {}).items()}
        for code in table:
            v = scores.get(code)
            table[code].append(None if v is None or code not in best else v / best[code] * 100)
        out_rounds.append(
            {
                "number": r.number,
                "title": r.title,
                "year": r.year,
                "period_end": r.period_end,
                "external": _d(res.get("external_score")),
                "internal": _d(res.get("internal_score")),
                "total": _d(res.get("total")),
                "level": res.get("level", ""),
                "rate": _d(res.get("satisfaction_rate")),
            }
        )
    by_year = []
    for year in sorted({r["year"] for r in out_rounds}):
        idx = [i for i, r in enumerate(out_rounds) if r["year"] == year]

        def mean(values):
            values = [v for v in values if v is not None]
            return sum(values, Decimal(0)) / len(values) if values else None

        by_year.append(
            {
                "year": year,
                "rounds": len(idx),
                "external": mean(out_rounds[i]["external"] for i in idx),
                "internal": mean(out_rounds[i]["internal"] for i in idx),
                "total": mean(out_rounds[i]["total"] for i in idx),
                "items": {code: mean(table[code][i] for i in idx) for code in table},
            }
        )
    return Trend(template=template, rounds=out_rounds, items=items, table=table, by_year=by_year)
