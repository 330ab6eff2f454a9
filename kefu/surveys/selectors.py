"""Reads of the survey domain: the round list and the form list (page, API, export), a round's
progress, its score sheet, the per-customer sheet, the competitor comparison, the trend table.

Every figure is a Decimal at full precision; ``scoring.shown`` rounds it for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kefu.core.pagination import DEFAULT_PAGE_SIZE, PageOf, empty, paginate  # noqa: F401

from .models import Form, Round

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


def round_list(user, *, status: str = "", year: int | None = None):
    """Rounds, newest first (a queryset for ``paginate``)."""
    raise NotImplementedError


def form_list(user, *, round_number: str = "", state: str = "", customer: str = ""):
    """Forms, newest first, with their round and customer (a queryset for ``paginate``); only the
    customers ``user`` may see (R1.2)."""
    raise NotImplementedError


def round_progress(round_: Round) -> Progress:
    raise NotImplementedError


def score_sheet(round_: Round) -> Sheet:
    raise NotImplementedError


def customer_sheet(round_: Round, user=None) -> list[CustomerRow]:
    raise NotImplementedError


def competitor_comparison(round_: Round) -> Comparison:
    raise NotImplementedError


def trend(template: str = "default", *, years: int | None = None) -> Trend:
    raise NotImplementedError
