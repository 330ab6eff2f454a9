"""Customer satisfaction API v1 (SPEC M10, section 3): the scoring endpoint (no saving), templates,
plans and coverage, rounds with the engine's actions (``/surveys/rounds/{number}/actions``),
forms, and the public answer by personal link (no account).

Numbers in answers are the figures rounded half-up to two places (``scoring.shown``); the exact
values are kept in the round's stored results.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile
from pydantic import Field

from kefu.core.errors import Malformed, NotFound
from kefu.core.schemas import ErrorOut, Page, PageSize, Text, errors
from kefu.flow import api as flow_api
from kefu.flow import engine

from . import rules, scoring, selectors, services
from .models import Form, Plan, Round, Template
from .schemas import (
    AnswersIn,
    CompetitorIn,
    FiguresIn,
    Id,
    PlanIn,
    RoundFromPlanIn,
    RoundIn,
    ScoreIn,
    StaffAnswersIn,
    TemplateIn,
    Year,
)
from .workflow import FLOW

router = Router(tags=["customer satisfaction"])
rounds = Router(tags=["customer satisfaction"])
iso = flow_api.iso


def num(value: Decimal | None):
    """A figure as the API shows it: rounded half-up to two places, as a JSON number."""
    shown = scoring.shown(value)
    return None if shown is None else float(shown)


# --- scoring without saving ----------------------------------------------------------------------------


@router.post("/score", response={200: dict, **errors()}, summary="Score a survey round without saving it")
def score(request, payload: ScoreIn):
    """004 6.4.2-6.4.3 on the body: item scores (sum over returned forms / their number), each
    customer's score on 100, external, internal parts and score, total with the weights (the
    body's, else the settings'), level, satisfaction rate, and the triggers of the thresholds in
    the settings. 400 names an unknown item, a rating outside the scale, impossible internal
    figures (deliveries 0 with complaints > 0, negative figures) or weights not adding up to 1."""
    template = services.current_template(payload.template)
    tdef = rules.template_def(template)
    forms = scoring.check_responses(tdef, payload.responses)
    internal = scoring.check_internal(payload.internal)
    if payload.weights is not None:
        unknown = set(payload.weights) - {"external", "internal"}
        if unknown:
            raise Malformed(_("unknown field"), field=f"weights.{sorted(unknown)[0]}")
        for key in ("external", "internal"):
            if key not in payload.weights:
                raise Malformed(_("required"), field=f"weights.{key}")
        weights = scoring.check_weights(payload.weights["external"], payload.weights["internal"])
    else:
        weights = rules.weights()
    result = scoring.evaluate(tdef, forms, internal, weights, rules.thresholds())
    return result_out(result, weights)


def result_out(result: scoring.Result, weights: scoring.Weights) -> dict:
    triggers = []
    for h in result.triggers:
        t = {"kind": h.kind}
        if h.customer is not None:
            t["customer"] = h.customer
        if h.item is not None:
            t["item"] = h.item
        if h.score is not None:
            t["score"] = num(h.score)
        triggers.append(t)
    return {
        "item_scores": {k: num(v) for k, v in result.item_scores.items()},
        "customer_scores": {k: num(v) for k, v in result.customer_scores.items()},
        "external_score": num(result.external_score),
        "internal_parts": {k: num(v) for k, v in result.internal_parts.items()},
        "internal_score": num(result.internal_score),
        "total": num(result.total),
        "level": result.level,
        "satisfaction_rate": num(result.satisfaction_rate),
        "returned": result.returned,
        "weights": {"external": num(weights.external), "internal": num(weights.internal)},
        "triggers": triggers,
    }


# --- templates -------------------------------------------------------------------------------------------


def template_out(t: Template) -> dict:
    return {
        "code": t.code,
        "version": t.version,
        "current": t.is_current,
        "name": t.name,
        "name_en": t.name_en,
        "seed": t.seed,
        "pass_mark": num(t.pass_mark),
        "items": [
            {
                "code": it.code,
                "label": it.label,
                "label_en": it.label_en,
                "weight": float(it.weight),
                "department": it.department or None,
                "levels": it.levels,
            }
            for it in t.items.all()
        ],
    }


@router.get("/templates", response={200: list[dict], **errors()}, summary="The current survey templates")
def list_templates(request):
    return [template_out(t) for t in Template.objects.filter(is_current=True).prefetch_related("items")]


@router.get(
    "/templates/{code}", response={200: dict, **errors(404)}, summary="A template (its current version)"
)
def get_template(request, code: Text, version: Annotated[int, Field(ge=1, le=1_000_000)] | None = None):
    if version is None:
        return template_out(services.current_template(code))
    t = Template.objects.filter(code=code, version=version).prefetch_related("items").first()
    if t is None:
        raise NotFound(_("no template %(code)r version %(version)s") % {"code": code, "version": version})
    return template_out(t)


@router.put(
    "/templates/{code}",
    response={200: dict, **errors(403, 422)},
    summary="Create or change a template (a new version once it is in use)",
)
def put_template(request, code: Text, payload: TemplateIn):
    t = services.edit_template(code, by=request.user, **payload.model_dump(exclude_unset=True))
    return template_out(t)


# --- plans and coverage ---------------------------------------------------------------------------------


def plan_out(plan: Plan) -> dict:
    gaps = services.plan_gaps(plan)
    cov = services.coverage(plan.year)
    return {
        "year": plan.year,
        "template": f"{plan.template.code}@{plan.template.version}",
        "made_at": iso(plan.made_at),
        "made_late": plan.made_late,
        "lines": [
            {
                "customer": ln.customer.code,
                "key": ln.customer.is_key,
                "frequency": ln.frequency,
                "months": ln.months,
                "last_surveyed_on": ln.last_surveyed_on.isoformat() if ln.last_surveyed_on else None,
            }
            for ln in plan.lines.select_related("customer").order_by("customer__code")
        ],
        "gaps": [
            {
                "customer": g.customer_code,
                "since": g.since.isoformat() if g.since else None,
                "until": g.until.isoformat() if g.until else None,
                "months": g.months,
            }
            for g in gaps
        ],
        "coverage": coverage_out(cov),
        "rounds": list(plan.rounds.order_by("plan_month").values_list("number", flat=True)),
    }


def coverage_out(c) -> dict:
    return {
        "year": c.year,
        "active_customers": c.active,
        "planned": c.planned,
        "surveyed": c.surveyed,
        "planned_rate": num(c.planned_rate),
        "rate": num(c.rate),
        "target": num(c.target),
        "meets_target": c.meets_target,
    }


@router.post(
    "/plans", response={201: dict, **errors(403, 409, 422)}, summary="Make the annual plan (in December)"
)
def create_plan(request, payload: PlanIn):
    template = services.current_template(payload.template) if payload.template else None
    plan = services.make_plan(payload.year, by=request.user, template=template)
    return Status(201, plan_out(plan))


@router.get(
    "/plans/{year}", response={200: dict, **errors(404)}, summary="A year's plan with its gaps and coverage"
)
def get_plan(request, year: Year):
    plan = Plan.objects.select_related("template").filter(year=year).first()
    if plan is None:
        raise NotFound(_("no plan for %(year)s") % {"year": year}, field="year")
    return plan_out(plan)


@router.get(
    "/coverage", response={200: dict, **errors()}, summary="Coverage of the active customers in a year"
)
def get_coverage(request, year: Year):
    return coverage_out(services.coverage(year))


@router.get("/trend", response={200: dict, **errors()}, summary="Scores by round and item over the years")
def get_trend(request, template: Text = "default", years: Annotated[int, Field(ge=1, le=100)] | None = None):
    t = selectors.trend(template, years=years)
    return {
        "template": t.template,
        "items": t.items,
        "rounds": [
            {
                **r,
                "period_end": r["period_end"].isoformat(),
                **{k: num(r[k]) for k in ("external", "internal", "total", "rate")},
            }
            for r in t.rounds
        ],
        "table": {code: [num(v) for v in values] for code, values in t.table.items()},
        "by_year": [
            {
                "year": y["year"],
                "rounds": y["rounds"],
                "external": num(y["external"]),
                "internal": num(y["internal"]),
                "total": num(y["total"]),
                "items": {k: num(v) for k, v in y["items"].items()},
            }
            for y in t.by_year
        ],
    }


# --- rounds ------------------------------------------------------------------------------------------------


def round_summary(r: Round) -> dict:
    return {
        "number": r.number,
        "title": r.title,
        "status": r.status,
        "year": r.year,
        "plan_month": r.plan_month,
        "template": f"{r.template.code}@{r.template.version}",
        "period": {"from": r.period_start.isoformat(), "to": r.period_end.isoformat()},
        "collect_until": r.collect_until.isoformat(),
        "due_at": iso(r.due_at),
        "created_at": iso(r.created_at),
        "closed_at": iso(r.closed_at),
        "total": num(r.total),
        "level": r.level or None,
    }


def progress_out(p: selectors.Progress) -> dict:
    return {
        "forms": p.forms,
        "returned": p.returned,
        "return_rate": num(p.return_rate),
        "return_target": num(p.return_target),
        "meets_return_target": p.meets_return_target,
        "minimum_returns": p.minimum_returns,
        "meets_minimum": p.meets_minimum,
        "key_forms": p.key_forms,
        "key_returned": p.key_returned,
        "missing_key": [f.customer.code for f in p.missing_key],
        "competitor_answers": p.competitor_answers,
        "minimum_competitor": p.minimum_competitor,
        "meets_competitor_minimum": p.meets_competitor_minimum,
        "by_channel": p.by_channel,
    }


def sheet_out(s: selectors.Sheet) -> dict:
    triggers = []
    for t in s.triggers:
        if isinstance(t, scoring.Hit):
            triggers.append({"kind": t.kind, "customer": t.customer, "item": t.item, "score": num(t.score)})
        else:
            triggers.append(
                {
                    "kind": t.kind,
                    "customer": t.customer.code if t.customer_id else None,
                    "item": t.item or None,
                    "score": num(t.score),
                    "capa": t.capa.number if t.capa_id else None,
                    "complaint": t.complaint.number if t.complaint_id else None,
                }
            )
    figures = {k: (num(v) if isinstance(v, Decimal) else v) for k, v in s.figures.items()}
    return {
        "scored": s.scored,
        "returned": s.returned,
        "items": [
            {
                "code": i.code,
                "label": i.label,
                "score": num(i.score),
                "on_hundred": num(i.on_hundred),
                "answers": i.answers,
                "dissatisfied": i.dissatisfied,
            }
            for i in s.items
        ],
        "external_score": num(s.external_score),
        "internal_parts": {k: num(v) for k, v in s.internal_parts.items()},
        "internal_score": num(s.internal_score),
        "figures": figures,
        "weights": {k: num(v) for k, v in s.weights.items()},
        "total": num(s.total),
        "level": s.level or None,
        "satisfaction_rate": num(s.satisfaction_rate),
        "combined": {"degree": num(s.combined_degree), "rate": num(s.combined_rate)},
        "pass_mark": num(s.pass_mark),
        "triggers": triggers,
    }


def round_detail(r: Round, user) -> dict:
    steps = list(engine.steps_query(FLOW, r.pk))
    out = round_summary(r)
    out.update(
        progress=progress_out(selectors.round_progress(r)),
        sheet=sheet_out(selectors.score_sheet(r)),
        steps=flow_api.steps_out(steps),
        allowed_actions=engine.allowed_actions(FLOW, r, user, steps),
    )
    return out


@rounds.get("", response={200: dict, **errors()}, summary="List survey rounds")
def list_rounds(
    request,
    status: Text = "",
    year: Year | None = None,
    page: Page = 1,
    page_size: PageSize = selectors.DEFAULT_PAGE_SIZE,
):
    result = selectors.paginate(selectors.round_list(request.user, status=status, year=year), page, page_size)
    return result.as_api([round_summary(r) for r in result.items])


@rounds.post(
    "", response={201: dict, **errors(403, 404, 409, 422)}, summary="Create a round from the annual plan"
)
def create_round_from_plan(request, payload: RoundFromPlanIn):
    services.require_survey_staff(request.user)
    plan = Plan.objects.select_related("template").filter(year=payload.year).first()
    if plan is None:
        raise NotFound(_("no plan for %(year)s") % {"year": payload.year}, field="year")
    template = services.current_template(payload.template) if payload.template else None
    r = services.create_round_from_plan(
        plan, payload.month, by=request.user, title=payload.title, template=template,
        collect_until=payload.collect_until, period_start=payload.period_start, period_end=payload.period_end,
    )  # fmt: skip
    return Status(201, round_detail(r, request.user))


@rounds.post(
    "/special", response={201: dict, **errors(403, 404, 422)}, summary="Create a round outside the plan"
)
def create_special_round(request, payload: RoundIn):
    services.require_survey_staff(request.user)
    template = services.current_template(payload.template) if payload.template else None
    r = services.create_round(
        by=request.user, customers=payload.customers, title=payload.title, template=template,
        collect_until=payload.collect_until, period_start=payload.period_start, period_end=payload.period_end,
    )  # fmt: skip
    return Status(201, round_detail(r, request.user))


@rounds.get("/{number}", response={200: dict, **errors(404)}, summary="A round: progress, score sheet, steps")
def get_round(request, number: Text):
    return round_detail(FLOW.lookup(request.user, number), request.user)


@rounds.get(
    "/{number}/customers", response={200: list[dict], **errors(404)}, summary="The per-customer sheet"
)
def round_customers(request, number: Text, subject: Text = "ours"):
    r = FLOW.lookup(request.user, number)
    if subject not in ("ours", "competitor"):
        raise Malformed(_("ours or competitor"), field="subject")
    return [
        {
            "form": row.form.pk,
            "customer": row.customer_code or None,
            "name": row.customer_name,
            "key": row.is_key,
            "returned": row.returned,
            "channel": row.channel or None,
            "score": num(row.score),
            "level": row.level or None,
            "ratings": {k: num(v) for k, v in row.ratings.items()},
            "dissatisfied": row.dissatisfied,
            "last_dissatisfied": row.last_dissatisfied,
            "comment": row.comment,
        }
        for row in selectors.customer_sheet(r, request.user, subject=subject)
    ]


@rounds.get(
    "/{number}/competitors", response={200: dict, **errors(404)}, summary="Ours beside the competitors'"
)
def round_competitors(request, number: Text):
    c = selectors.competitor_comparison(FLOW.lookup(request.user, number))
    return {
        "items": [
            {
                "code": i["code"],
                "label": i["label"],
                "ours": num(i["ours"]),
                "competitors": num(i["competitors"]),
                "by_competitor": {k: num(v) for k, v in i["by_competitor"].items()},
            }
            for i in c.items
        ],
        "ours_total": num(c.ours_total),
        "competitors_total": num(c.competitors_total),
        "by_competitor_total": {k: num(v) for k, v in c.by_competitor_total.items()},
        "answers": c.answers,
        "minimum": c.minimum,
        "meets_minimum": c.meets_minimum,
    }


@rounds.post(
    "/{number}/competitors",
    response={201: dict, **errors(403, 404, 409, 422)},
    summary="Enter an answer about a competitor",
)
def add_competitor(request, number: Text, payload: CompetitorIn):
    r = FLOW.lookup(request.user, number)
    form = services.add_competitor_form(
        r, by=request.user, competitor=payload.competitor, answers=payload.answers, customer=payload.customer,
        comment=payload.comment, respondent=payload.respondent,
    )  # fmt: skip
    return Status(201, form_out(form))


@rounds.put(
    "/{number}/figures", response={200: dict, **errors(403, 404, 409, 422)}, summary="The internal figures"
)
def put_figures(request, number: Text, payload: FiguresIn):
    r = FLOW.lookup(request.user, number)
    r = services.set_internal_figures(r, by=request.user, **payload.model_dump())
    return round_detail(r, request.user)


@rounds.post(
    "/{number}/figures/import",
    response={200: dict, **errors(403, 404, 409, 422)},
    summary="Import the internal figures",
)
def import_figures(request, number: Text, file: File[UploadedFile]):
    r = FLOW.lookup(request.user, number)
    r = services.import_internal_figures(r, by=request.user, upload=file)
    return round_detail(r, request.user)


@rounds.post(
    "/{number}/links",
    response={200: dict, **errors(403, 404, 409)},
    summary="Send the personal links not sent yet",
)
def send_links(request, number: Text):
    r = FLOW.lookup(request.user, number)
    return services.send_links(r, by=request.user)


def state_out(r, steps, allowed, user, *, result=None) -> dict:
    out = round_summary(r)
    out.update(steps=flow_api.steps_out(steps), allowed_actions=allowed)
    if result is not None:
        out["action"] = result.action
        out["from_status"] = result.from_state
    return out


flow_api.add_action_routes(rounds, FLOW, render=state_out)
router.add_router("/rounds", rounds)


# --- forms -------------------------------------------------------------------------------------------------


def form_out(f: Form) -> dict:
    return {
        "id": f.pk,
        "round": f.round.number,
        "customer": f.customer.code if f.customer_id else None,
        "subject": f.subject,
        "competitor": f.competitor or None,
        "key": f.is_key,
        "state": f.state,
        "channel": f.channel or None,
        "returned_at": iso(f.returned_at),
        "score": num(f.score),
        "link_sent_at": iso(f.link_sent_at),
        "link_expires_at": iso(f.link_expires_at),
        "reminders": f.reminders,
        "last_dissatisfied": f.last_dissatisfied,
    }


def _form(user, pk: int) -> Form:
    f = (
        selectors.visible_forms(user, Form.objects.select_related("round__template", "customer"))
        .filter(pk=pk)
        .first()
    )
    if f is None:
        raise NotFound(_("no survey form %(id)s") % {"id": pk}, field="form")
    return f


@router.get("/forms", response={200: dict, **errors()}, summary="List survey forms")
def list_forms(
    request,
    round: Text = "",  # noqa: A002  (the API's name for it)
    state: Text = "",
    customer: Text = "",
    subject: Text = "",
    page: Page = 1,
    page_size: PageSize = selectors.DEFAULT_PAGE_SIZE,
):
    qs = selectors.form_list(
        request.user, round_number=round, state=state, customer=customer, subject=subject
    )
    result = selectors.paginate(qs, page, page_size)
    return result.as_api([form_out(f) for f in result.items])


@router.get("/forms/{form_id}", response={200: dict, **errors(404)}, summary="One form with its answers")
def get_form(request, form_id: Id):
    f = _form(request.user, form_id)
    out = form_out(f)
    out.update(
        respondent=f.respondent,
        comment=f.comment,
        suggestions=f.suggestions,
        complaint=f.complaint.number if f.complaint_id else None,
        answers=[
            {"item": a.item, "level": a.level, "value": num(a.value), "dissatisfied": a.dissatisfied,
             "owner": a.owner.username if a.owner_id else None}
            for a in f.answers.select_related("owner").order_by("id")
        ],
    )  # fmt: skip
    return out


@router.post(
    "/forms/{form_id}/link",
    response={200: dict, **errors(403, 404, 409, 422)},
    summary="Issue the personal link",
)
def issue_link(request, form_id: Id, send: bool = True, renew: bool = False):
    services.require_survey_staff(request.user)
    f = _form(request.user, form_id)
    token = services.issue_link(f, by=request.user, send=send, renew=renew)
    f.refresh_from_db()
    return {"token": token, "path": services.link_path(token), "url": services.link_url(token), **form_out(f)}


@router.post(
    "/forms/{form_id}/answers",
    response={201: dict, **errors(403, 404, 409, 422)},
    summary="Enter an oral or paper answer (staff)",
)
def enter_answers(request, form_id: Id, payload: StaffAnswersIn):
    f = _form(request.user, form_id)
    f = services.enter_answers(f.pk, by=request.user, **payload.model_dump())
    return Status(201, form_out(f))


# --- the public answer by personal link (no account) --------------------------------------------------------


@router.get(
    "/answer/{token}",
    auth=None,
    response={200: dict, **errors(404, 409), 410: ErrorOut},
    summary="The form of a personal link",
)
def public_form(request, token: Text):
    f = services.form_by_token(token)
    t = Template.objects.prefetch_related("items").get(pk=f.round.template_id)
    return {
        "round": f.round.title,
        "customer": f.customer.name,
        "expires_at": iso(f.link_expires_at),
        "template": {"code": t.code, "version": t.version, "name": t.title},
        "items": [
            {
                "code": it.code,
                "label": it.title,
                "levels": [
                    {"code": lv["code"], "label": lv["label"], "value": lv["value"]} for lv in it.levels
                ],
            }
            for it in t.items.all()
        ],
    }


@router.post(
    "/answer/{token}",
    auth=None,
    response={201: dict, **errors(404, 409), 410: ErrorOut},
    summary="Answer through the personal link (single use)",
)
def public_answer(request, token: Text, payload: AnswersIn):
    f = services.submit_by_token(token, **payload.model_dump())
    return Status(201, {"state": f.state, "returned_at": iso(f.returned_at)})
