"""Customer satisfaction pages (issue 15): the rounds, the annual plan, a new round from the plan,
a round's progress with its forms and personal links, the staff's oral entry, the score sheet
(page and Excel), the per-customer sheet, the competitor comparison, the year-end trend, and the
customer's personal answer page (no account). Parse, call a service or a selector, render."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Q, Sum
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kefu.core import config
from kefu.core.errors import KefuError, NotFound
from kefu.core.workcalendar import TZ
from kefu.customers import access as customer_access

from . import rules, scoring, selectors, services
from .choices import FormState, Frequency, Subject
from .display import (
    dissatisfied_answers,
    last_points,
    level_label,
    localized,
    plain,
    sheet_context,
    template_items_by_code,
    workbook,
)
from .forms import AnswerForm, CompetitorForm, FiguresForm, RoundForm, template_items
from .models import Form, Plan, Round, Status
from .plans import add_months
from .workflow import lookup

HUNDRED = Decimal(100)
PUBLIC_SESSION_KEY = "survey_answered"
FORMS_PAGE = 100  # forms a round's page lists at a time
PREVIOUS_SHOWN = 200  # customers whose previous dissatisfied points a round's page lists


def _may_manage(user) -> bool:
    """Sales (who runs the surveys, 004 3.1) and the executives make plans, rounds and entries."""
    return services.may_run_surveys(user)


def _round(request, number: str) -> Round:
    try:
        return lookup(request.user, number, request=request)
    except NotFound as exc:
        raise Http404(exc.detail) from None


# --- the rounds list ---------------------------------------------------------------------------------


# A company surveys two to four times a year: 20 rounds are five years or more. Each row counts its
# forms (sent, returned), so the page reads 20 rounds' forms, not 50 (at 1,000 forms a round
# that grouped count was half of the page's time on PostgreSQL).
ROUNDS_PER_PAGE = 20


@login_required
def round_list(request):
    error = None
    try:
        page = selectors.paginate(
            selectors.round_list(request.user), request.GET.get("page"), page_size=ROUNDS_PER_PAGE
        )
    except KefuError as exc:
        error, page = exc.detail, selectors.empty()
    ids = [r.pk for r in page.items]
    counts = {
        c["round_id"]: c
        for c in Form.objects.filter(round_id__in=ids, subject=Subject.OURS)
        .values("round_id")
        .annotate(sent=Count("id"), returned=Count("id", filter=Q(state=FormState.RETURNED)))
    }
    competitor_rounds = set(
        Form.objects.filter(round_id__in=ids, subject=Subject.COMPETITOR)
        .order_by()  # not the forms' ordering: it joins the rounds and sorts every form
        .values_list("round_id", flat=True)
        .distinct()
    )
    rows = []
    for r in page.items:
        c = counts.get(r.pk, {"sent": 0, "returned": 0})
        rate = (Decimal(c["returned"]) * HUNDRED / c["sent"]) if c["sent"] else None
        rows.append(
            {
                "name": f"{r.number} {r.title}",
                "url": reverse("surveys:round", args=[r.number]),
                "year": r.year,
                "template": r.template.title,
                "status": r.get_status_display(),
                "closes_on": r.collect_until,
                "sent": c["sent"],
                "returned": c["returned"],
                "return_rate": rate,
                "rate_low": rate is not None and rate < r.return_target,
                "total": r.total,
                "level": r.level,
                "level_label": level_label(r.level),
                "competitor": r.pk in competitor_rounds,
            }
        )
    year = timezone.localdate().year
    return render(
        request,
        "surveys/round_list.html",
        {
            "rounds": rows,
            "page": page,
            "error": error,
            "plan": _plan_summary(year),
            "can_manage": _may_manage(request.user),
            "nav": "surveys",
        },
    )


# --- the annual plan (R10.1) -------------------------------------------------------------------------


def _plan_summary(year: int, plan: Plan | None = None) -> dict | None:
    """The plan's figures: customers by frequency, the coverage of the active customers (planned,
    and surveyed so far) against the 90 % target (004 6.2)."""
    plan = plan or Plan.objects.filter(year=year).first()
    if plan is None:
        return None
    cov = services.coverage(year)
    by_freq = {row["frequency"]: row["n"] for row in plan.lines.values("frequency").annotate(n=Count("id"))}
    coverage = cov.planned_rate
    return {
        "year": year,
        "planned": cov.planned,
        "active": cov.active,
        "surveyed": cov.surveyed,
        "coverage": coverage,
        "coverage_num": f"{coverage:.1f}" if coverage is not None else "0",
        "surveyed_rate": cov.rate,
        "target": cov.target,
        "target_pct": f"{cov.target}",
        "coverage_ok": coverage is not None and coverage >= cov.target,
        "surveyed_ok": cov.meets_target,
        "key": by_freq.get(Frequency.QUARTERLY, 0),
        "other": by_freq.get(Frequency.SEMIANNUAL, 0),
    }


@login_required
def plan(request):
    """The annual plan: each customer's frequency and months, the coverage against 90 %."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today.year)
        if not 2000 <= year <= 2099:
            raise ValueError
    except ValueError:
        year, error = today.year, _("year: give a year such as %(year)s") % {"year": today.year}
    else:
        error = None
    if request.method == "POST":
        if not _may_manage(request.user):
            return HttpResponseForbidden(_("Only sales and the executives make the survey plan."))
        try:
            services.make_plan(year, by=request.user)
        except KefuError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("The survey plan for %(year)s is made.") % {"year": year})
        return redirect(f"{reverse('surveys:plan')}?year={year}")
    plan_ = Plan.objects.filter(year=year).first()
    summary = _plan_summary(year, plan_) if plan_ else None
    if summary:
        max_gap = int(config.get("surveys.plan.max_gap_months"))
        rows = []
        for line in plan_.lines.select_related("customer").order_by("customer__code"):
            due = add_months(line.last_surveyed_on, max_gap) if line.last_surveyed_on else None
            rows.append(
                {
                    "code": line.customer.code,
                    "name": line.customer.name,
                    "is_key": line.frequency == Frequency.QUARTERLY,
                    "frequency": line.get_frequency_display(),
                    "planned": [f"{year}-{m:02d}" for m in line.months],
                    "last": line.last_surveyed_on,
                    "due": due,
                    "late": due is not None and due < today,
                }
            )
        summary["rows"] = rows
        summary["gaps"] = services.plan_gaps(plan_)
    return render(
        request,
        "surveys/plan.html",
        {
            "year": year,
            "plan": summary,
            "error": error,
            "can_manage": _may_manage(request.user),
            "nav": "surveys",
        },
    )


@login_required
def round_create(request):
    """A round from the plan: one form per customer planned in the month (R10.1)."""
    if not _may_manage(request.user):
        return HttpResponseForbidden(_("Only sales and the executives open survey rounds."))
    today = timezone.localdate()
    initial = {"year": request.GET.get("year") or today.year, "month": 10 if today.month <= 10 else 12}
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan_ = Plan.objects.filter(year=data["year"]).first()
        if plan_ is None:
            form.add_error("year", _("There is no survey plan for this year; make it first."))
        else:
            try:
                round_ = services.create_round_from_plan(
                    plan_,
                    data["month"],
                    by=request.user,
                    title=data["title"],
                    collect_until=data["collect_until"],
                )
            except KefuError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.rule if field else exc.detail)
            else:
                messages.success(request, _("Survey round %(number)s opened.") % {"number": round_.number})
                return redirect("surveys:round", number=round_.number)
    return render(
        request,
        "surveys/round_form.html",
        {
            "form": form,
            "plan_note": _(
                "The round asks every customer the plan names for the month; the default round "
                "falls in the third or fourth quarter (003 4.2.1.2)."
            ),
            "nav": "surveys",
        },
        status=422 if request.method == "POST" else 200,
    )


# --- a round -----------------------------------------------------------------------------------------


def _link(request, form: Form) -> str:
    """The form's personal link as the customer opens it ("" while none was issued)."""
    if not form.token_nonce:
        return ""
    return request.build_absolute_uri(services.link_path(services.link_token(form)))


@login_required
def round_detail(request, number: str):
    round_ = _round(request, number)
    progress = selectors.round_progress(round_)
    items = template_items_by_code(round_.template)
    visible = customer_access.visible_customer_ids(request.user)
    forms_qs = (
        round_.forms.filter(subject=Subject.OURS)
        .select_related("customer")
        .order_by("-is_key", "customer__code", "id")
    )
    if visible is not None:
        forms_qs = forms_qs.filter(customer_id__in=visible)
    state = request.GET.get("state", "")
    if state in FormState.values:
        forms_qs = forms_qs.filter(state=state)
    try:
        page = selectors.paginate(forms_qs, request.GET.get("page"), FORMS_PAGE)
    except KefuError as exc:
        messages.error(request, exc.detail)
        page = selectors.empty(FORMS_PAGE)
    collecting = round_.status == Status.COLLECTION
    th = rules.thresholds()
    can_enter = _may_manage(request.user) and collecting
    now = timezone.now()
    forms_rows = []
    for f in page.items:
        pending = f.state == FormState.PENDING
        forms_rows.append(
            {
                "pk": f.pk,
                "customer_code": f.customer.code,
                "customer_name": f.customer.name,
                "is_key": f.is_key,
                "returned": not pending,
                "status": f.get_state_display(),
                "oral": f.channel in ("oral", "paper"),
                "returned_at": f.returned_at,
                "score": f.score,
                "low": f.score is not None and f.score < th.customer_below,
                "link": _link(request, f) if pending and collecting else "",
                "expires_at": f.link_expires_at,
                "expired": f.link_expires_at is not None and f.link_expires_at < now,
                "sent_at": f.link_sent_at,
                "reminders": f.reminders,
                "can_issue": pending and collecting and can_enter,
            }
        )
    previous_points = []
    earlier = forms_qs.exclude(last_dissatisfied=[]).order_by("-is_key", "customer__code", "id")
    for f in earlier[:PREVIOUS_SHOWN]:
        rounds = sorted({p.get("round", "") for p in f.last_dissatisfied if isinstance(p, dict)} - {""})
        previous_points.append(
            {
                "customer_code": f.customer.code,
                "customer_name": f.customer.name,
                "items": last_points(f, items),
                "rounds": rounds,
            }
        )
    reminders = round_.forms.aggregate(n=Sum("reminders"), last=Max("last_reminded_at"))
    missing_key = [
        {
            "customer_code": f.customer.code,
            "customer_name": f.customer.name,
            "entry_url": reverse("surveys:form-entry", args=[f.pk]) if can_enter else "",
        }
        for f in progress.missing_key
    ]
    target = Decimal(progress.return_target)
    rate = progress.return_rate
    context = {
        "round": round_,
        "status_label": round_.get_status_display(),
        "template_name": round_.template.title,
        "closes_on": round_.collect_until,
        "total": round_.total,
        "level": round_.level,
        "level_label": level_label(round_.level),
        "progress": {
            "return_rate": rate,
            "return_rate_num": f"{rate:.1f}" if rate is not None else "0",
            "rate_target": target,
            "rate_target_pct": f"{target}",
            "rate_ok": progress.meets_return_target,
            "returned": progress.returned,
            "sent": progress.forms,
            "minimum": progress.minimum_returns,
            "minimum_ok": progress.meets_minimum,
            "missing_key": missing_key,
            "reminders": reminders["n"] or 0,
            "last_reminder": reminders["last"],
            "competitor_answers": progress.competitor_answers,
        },
        "forms": forms_rows,
        "forms_page": page,
        "state": state if state in FormState.values else "",
        "states": FormState.choices,
        "can_enter": can_enter,
        "dissatisfied": dissatisfied_answers(round_, items),
        "previous": previous_points,
        "has_competitors": progress.competitor_answers > 0,
        "has_flow": True,
        "nav": "surveys",
    }
    return render(request, "surveys/round_detail.html", context)


# --- answers: the staff's oral entry and the competitor answers ----------------------------------------


@login_required
@require_POST
def form_link(request, pk: int):
    """Issue a form's personal link (a new one with ``renew``), and e-mail it with ``send``."""
    if not _may_manage(request.user):
        return HttpResponseForbidden(_("Only sales and the executives send survey links."))
    f = Form.objects.select_related("round", "customer").filter(pk=pk, subject=Subject.OURS).first()
    if f is None or not customer_access.may_read(request.user, f.customer):
        raise Http404(_("no such survey form"))
    send = request.POST.get("send") == "1"
    try:
        services.issue_link(f, by=request.user, send=send, renew=request.POST.get("renew") == "1")
    except KefuError as exc:
        messages.error(request, exc.detail)
    else:
        f.refresh_from_db(fields=["link_sent_at"])
        if send and f.link_sent_at is None:
            messages.warning(
                request,
                _(
                    "The link is ready, but %(customer)s has no contact with an e-mail "
                    "address: copy the link and send it yourself."
                )
                % {"customer": f.customer.name},
            )
        elif send:
            messages.success(request, _("The link was sent to %(customer)s.") % {"customer": f.customer.name})
        else:
            messages.success(
                request, _("The personal link of %(customer)s is ready.") % {"customer": f.customer.name}
            )
    return redirect(f"{reverse('surveys:round', args=[f.round.number])}#form-{f.pk}")


@login_required
@require_POST
def send_links(request, number: str):
    """E-mail every personal link of the round not sent yet (004 6.3.1: the forms go out)."""
    round_ = _round(request, number)
    try:
        done = services.send_links(round_, by=request.user)
    except KefuError as exc:
        messages.error(request, exc.detail)
    else:
        n = done["sent"]
        messages.success(
            request, ngettext("%(n)d personal link sent.", "%(n)d personal links sent.", n) % {"n": n}
        )
        if done["unreachable"]:
            messages.warning(
                request,
                _("No e-mail address for %(customers)s: copy their links and send them yourself.")
                % {"customers": ", ".join(done["unreachable"])},
            )
    return redirect(f"{reverse('surveys:round', args=[round_.number])}#forms")


@login_required
def form_entry(request, pk: int):
    """Staff enter an oral (or paper) answer on the same form as the personal link (004 6.3.1)."""
    if not _may_manage(request.user):
        return HttpResponseForbidden(_("Only sales and the executives enter survey answers."))
    f = Form.objects.select_related("round__template", "customer").filter(pk=pk, subject=Subject.OURS).first()
    if f is None or not customer_access.may_read(request.user, f.customer):
        raise Http404(_("no such survey form"))
    round_url = reverse("surveys:round", args=[f.round.number])
    if f.state == FormState.RETURNED:
        messages.info(request, _("This form was returned already."))
        return redirect(round_url)
    form = AnswerForm(request.POST or None, items=template_items(f.round.template), staff=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.enter_answers(
                f.pk,
                by=request.user,
                answers=form.answers(),
                channel=form.cleaned_data["channel"],
                **form.texts(),
            )
        except KefuError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, _("The answers of %(customer)s are saved.") % {"customer": f.customer.name}
            )
            return redirect(round_url)
    return render(
        request,
        "surveys/form_entry.html",
        {
            "form": form,
            "customer_code": f.customer.code,
            "customer_name": f.customer.name,
            "round_name": f"{f.round.number} {f.round.title}",
            "round_url": round_url,
            "nav": "surveys",
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def competitor_entry(request, number: str):
    """An answer about a competitor (R10.6: at least ten a round), entered by staff."""
    if not _may_manage(request.user):
        return HttpResponseForbidden(_("Only sales and the executives enter survey answers."))
    round_ = _round(request, number)
    form = CompetitorForm(request.POST or None, items=template_items(round_.template))
    if request.method == "POST" and form.is_valid():
        try:
            services.add_competitor_form(
                round_,
                by=request.user,
                competitor=form.cleaned_data["competitor"],
                answers=form.answers(),
                comment=form.cleaned_data.get("suggestions", ""),
            )
        except KefuError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The competitor answer is saved."))
            return redirect("surveys:competitors", number=round_.number)
    return render(
        request,
        "surveys/competitor_form.html",
        {"form": form, "round": round_, "nav": "surveys"},
        status=422 if request.method == "POST" else 200,
    )


# --- the score sheet (004 6.4.2) -----------------------------------------------------------------------


@login_required
def score_sheet(request, number: str):
    round_ = _round(request, number)
    figures_form = FiguresForm(
        initial={
            f: getattr(round_, f)
            for f in ("deliveries", "on_time_deliveries", "line_stops", "excess_freight", "total_freight")
        }
    )
    return render(
        request,
        "surveys/score_sheet.html",
        {
            "round": round_,
            "sheet": sheet_context(round_, request.user),
            "figures_form": figures_form
            if _may_manage(request.user) and round_.status != Status.CLOSED
            else None,
            "nav": "surveys",
        },
    )


@login_required
@require_POST
def figures(request, number: str):
    """The internal delivery figures of the round's period (004 6.4.2.2), entered on the sheet."""
    if not _may_manage(request.user):
        return HttpResponseForbidden(_("Only sales and the executives enter the delivery figures."))
    round_ = _round(request, number)
    form = FiguresForm(request.POST)
    if form.is_valid():
        try:
            services.set_internal_figures(round_, by=request.user, **form.cleaned_data)
        except KefuError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("The delivery figures are saved."))
    else:
        for name, errs in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for e in errs:
                messages.error(request, f"{label}: {e}" if label else e)
    return redirect("surveys:sheet", number=round_.number)


@login_required
def score_sheet_xlsx(request, number: str):
    round_ = _round(request, number)
    body = workbook(f"{round_.number} {round_.title}", sheet_context(round_, request.user))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename={round_.number}-score-sheet.xlsx"
    return response


@login_required
def customer_sheet(request, number: str, code: str):
    """One customer's form: each item's answer and points, the score, the owners."""
    round_ = _round(request, number)
    f = (
        round_.forms.filter(subject=Subject.OURS, customer__code=code)
        .select_related("customer", "complaint")
        .first()
    )
    if f is None or not customer_access.may_read(request.user, f.customer):
        raise Http404(_("no such survey form"))
    given = {a.item: a for a in f.answers.select_related("owner")}
    rows = []
    for item in round_.template.items.all():
        a = given.get(item.code)
        level = next((lv for lv in item.levels if a and lv.get("code") == a.level), None)
        rows.append(
            {
                "code": item.code,
                "label": item.title,
                "answer": localized(level) if level else (a.level if a else ""),
                "points": plain(a.value) if a else None,
                "low": bool(a and a.dissatisfied),
                "owner": (a.owner.get_full_name() or a.owner.get_username()) if a and a.owner else "",
            }
        )
    level = scoring.level(f.score, rules.thresholds())
    return render(
        request,
        "surveys/customer_sheet.html",
        {
            "round": round_,
            "customer": f.customer,
            "returned_at": f.returned_at,
            "oral": f.channel in ("oral", "paper"),
            "answers": rows,
            "score": f.score,
            "level": level,
            "level_label": level_label(level),
            "suggestions": f.suggestions,
            "complaint": f.comment,
            "complaint_number": f.complaint.number if f.complaint else "",
            "complaint_url": reverse("complaints:detail", args=[f.complaint.number]) if f.complaint else "",
            "nav": "surveys",
        },
    )


# --- competitors (R10.6) and the trend (R10.7) ---------------------------------------------------------


@login_required
def competitors(request, number: str):
    round_ = _round(request, number)
    comp = selectors.competitor_comparison(round_)
    names = sorted({name for row in comp.items for name in (row.get("by_competitor") or {})})
    rows = []
    for row in comp.items:
        theirs = [(row.get("by_competitor") or {}).get(n) for n in names]
        known = [v for v in theirs if v is not None]
        best = max(known) if known else row.get("competitors")
        ours = row.get("ours")
        diff = ours - best if ours is not None and best is not None else None
        rows.append(
            {
                "code": row["code"],
                "label": row["label"],
                "ours": ours,
                "all": row.get("competitors"),
                "theirs": theirs,
                "difference": diff,
                "behind": diff is not None and diff < 0,
            }
        )
    return render(
        request,
        "surveys/competitors.html",
        {
            "round": round_,
            "comparison": {
                "competitors": names,
                "rows": rows,
                "ours_external": comp.ours_total,
                "all_external": comp.competitors_total,
                "theirs_external": [comp.by_competitor_total.get(n) for n in names],
                "theirs_n": comp.answers,
                "minimum": comp.minimum,
                "meets_minimum": comp.meets_minimum,
            },
            "can_manage": _may_manage(request.user) and round_.status != Status.CLOSED,
            "nav": "surveys",
        },
    )


@login_required
def trend(request):
    """Scores by round and by item over the years, for the management review (004 6.5)."""
    this_year = timezone.localtime(timezone.now(), TZ).year
    error = None
    try:
        years = int(request.GET.get("years") or 5)
        if not 1 <= years <= 30:
            raise ValueError
    except ValueError:
        years, error = 5, _("years: give a number of years from 1 to 30")
    data = selectors.trend(request.GET.get("template") or "default", years=years)
    rows = [
        {
            "name": f"{r['number']} {r.get('title', '')}".strip(),
            "short": r["number"],
            "url": reverse("surveys:round", args=[r["number"]]),
            "rate": r.get("rate"),
            "external": r.get("external"),
            "internal": r.get("internal"),
            "total": r.get("total"),
            "level": r.get("level", ""),
            "level_label": level_label(r.get("level", "")),
        }
        for r in data.rounds
    ]
    items = [
        {"code": i["code"], "label": i["label"], "values": data.table.get(i["code"], [])} for i in data.items
    ]

    def num(v):
        return None if v is None else float(Decimal(v).quantize(Decimal("0.01")))

    chart = {
        "rounds": [r["short"] for r in rows],
        "series": [
            {"name": _("External score"), "data": [num(r["external"]) for r in rows]},
            {"name": _("Internal score"), "data": [num(r["internal"]) for r in rows]},
            {
                "name": _("Total score"),
                "data": [num(r["total"]) for r in rows],
                "target": float(rules.thresholds().satisfied_from),
            },
        ],
        "items": [i["label"] for i in items],
        "max": 100,
        "radar": [
            {"name": str(y["year"]), "value": [num((y.get("items") or {}).get(i["code"])) for i in items]}
            for y in data.by_year
        ],
    }
    return render(
        request,
        "surveys/trend.html",
        {
            "rows": rows,
            "items": items,
            "chart": chart,
            "years": years,
            "year_to": this_year,
            "error": error,
            "nav": "surveys",
        },
    )


# --- the customer's personal link (no account) ---------------------------------------------------------


def _refusal(request, exc: KefuError):
    """The page a link that cannot be used shows: unknown, expired, answered already, closed."""
    if isinstance(exc, services.LinkExpired):
        outcome, heading = "expired", _("This link has expired")
        message = _(
            "Personal survey links are valid for a limited time. Please ask your contact at our company "
            "for a new link."
        )
    elif isinstance(exc, services.RoundNotCollecting):
        outcome, heading = "closed", _("This survey is closed")
        message = _("The answers of this survey round have been collected. Thank you all the same.")
    elif isinstance(exc, services.LinkUsed):
        outcome, heading = "used", _("This survey has already been answered")
        message = _(
            "Each personal link can be used once, and the answers for this one have been received. Thank you!"
        )
    else:
        outcome, heading = "invalid", _("This link is not valid")
        message = _("Please check that you opened the whole link from the message you received.")
    status = {"expired": 410, "closed": 409, "used": 409}.get(outcome, 404)
    return render(
        request,
        "surveys/answer_done.html",
        {"outcome": outcome, "heading": heading, "message": message},
        status=status,
    )


def answer(request, token: str):
    """The customer's answer page: the template's items with large tap targets, submitted once."""
    try:
        f = services.form_by_token(token)
    except KefuError as exc:
        return _refusal(request, exc)
    form = AnswerForm(request.POST or None, items=template_items(f.round.template))
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_by_token(token, answers=form.answers(), **form.texts())
        except (
            services.LinkInvalid,
            services.LinkExpired,
            services.LinkUsed,
            services.RoundNotCollecting,
        ) as exc:
            return _refusal(request, exc)
        except KefuError as exc:
            form.add_service_error(exc)
        else:
            request.session[PUBLIC_SESSION_KEY] = {"complaint": bool(form.cleaned_data.get("comment"))}
            return redirect("surveys:answer-thanks")
    return render(
        request,
        "surveys/answer.html",
        {
            "form": form,
            "customer_name": f.customer.name if f.customer else "",
            "closes_on": f.round.collect_until,
        },
        status=422 if request.method == "POST" else 200,
    )


def answer_thanks(request):
    done = request.session.pop(PUBLIC_SESSION_KEY, None)
    message = _("Your answers have been received. Thank you for helping us improve.")
    if done and done.get("complaint"):
        message += " " + _("We have noted your complaint and will contact you about it.")
    return render(
        request,
        "surveys/answer_done.html",
        {"outcome": "thanks", "heading": _("Thank you"), "message": message},
    )
