"""The satisfaction arithmetic (004 6.4.2-6.4.3; 客户满意度管理制度 五.1; COP14 5.1-5.2), pure:
no ORM, no clock, no settings read here (the caller passes them). Decimal throughout; a figure
is rounded half-up to two places only when shown (``shown``).

- item score = sum of the item's ratings over the returned forms / number of those forms
  (004 6.4.2.1); an item a form left unanswered counts in neither;
- a customer's score on 100 points = the sum of their ratings, normalised: each item's rating
  over the item's best value, weighted by the item's weight (equal by default), x 100. For the
  default template (ten items of at most 10) this is the plain sum of the ten ratings;
- external score = the same normalisation of the item scores (the default: mean x 10);
- internal parts (004 6.4.2.2): quality (1 - quality complaints / deliveries) x 100, on-time
  (on-time / deliveries) x 100, line-stop (1 - line stops / deliveries) x 100, freight
  (1 - excess freight / total freight) x 100; internal = their mean. A part whose denominator is
  0 cannot be computed and is left out of the mean;
- total = external x w_ext + internal x w_int (004 6.4.2.3: 0.6 / 0.4);
- level: below ``satisfied_from`` dissatisfied; from ``satisfied_from`` up to and including
  ``very_satisfied_above`` satisfied; above it very satisfied (004 6.4.2: "小于80分为不满意、
  80—85分为满意、大于85分为很满意": 80 and 85 are both satisfied). Compared at full precision;
- satisfaction rate (满意率) = share of the returned forms whose score is at least
  ``satisfied_from``, in percent;
- combined (客户满意度管理制度 五.1) = self-assessment x 0.4 + survey x 0.6.

Bad input raises ``Malformed`` (400) naming the field, e.g. ``responses[0].answers.prize``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from kefu.core.errors import Malformed

HUNDRED = Decimal(100)
TEN = Decimal(10)
ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
LARGEST = Decimal(10) ** 12  # a figure beyond any delivery count or freight: refused, not overflowed

# The trigger kinds (``choices.TriggerKind``), spelled here so this module imports no model.
ITEM_LOW, CUSTOMER_LOW, TOTAL_LOW, EXPLICIT_COMMENT = (
    "item_low",
    "customer_low",
    "total_low",
    "explicit_comment",
)
DISSATISFIED, SATISFIED, VERY_SATISFIED = "dissatisfied", "satisfied", "very_satisfied"


def dec(value, name: str) -> Decimal:
    """``value`` as a finite Decimal (a float through its shortest repr: 0.6 is 0.6), or 400."""
    if isinstance(value, bool) or value is None:
        raise Malformed(_("not a number: %(v)r") % {"v": value}, field=name)
    try:
        d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise Malformed(_("not a number: %(v)r") % {"v": value}, field=name) from None
    if not d.is_finite():
        raise Malformed(_("not a finite number: %(v)r") % {"v": value}, field=name)
    if abs(d) > LARGEST:
        raise Malformed(_("at most %(n)s") % {"n": LARGEST}, field=name)
    return d


def shown(value: Decimal | None) -> Decimal | None:
    """Rounded half-up to two places, for display (and the API's numbers)."""
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- the template, as the arithmetic sees it ------------------------------------------------------


@dataclass(frozen=True)
class LevelDef:
    code: str
    value: Decimal
    label: str = ""
    dissatisfied: bool = False


@dataclass(frozen=True)
class ItemDef:
    code: str
    levels: tuple[LevelDef, ...]
    weight: Decimal = ONE
    label: str = ""

    @property
    def best(self) -> Decimal:
        return max(lv.value for lv in self.levels)

    def rate(self, rating, name: str) -> LevelDef:
        """The level of ``rating`` (a level code, or a number that is one of the scale's values)."""
        if isinstance(rating, str) and not _numeric(rating):
            for lv in self.levels:
                if lv.code == rating:
                    return lv
            raise Malformed(
                _("%(rating)r is not a level of %(item)s; levels: %(levels)s")
                % {"rating": rating, "item": self.code, "levels": ", ".join(lv.code for lv in self.levels)},
                field=name,
            )
        value = dec(rating, name)
        for lv in self.levels:
            if lv.value == value:
                return lv
        raise Malformed(
            _("rating %(value)s is outside the scale of %(item)s: %(scale)s")
            % {
                "value": value,
                "item": self.code,
                "scale": "/".join(str(lv.value.normalize()) for lv in self.levels),
            },
            field=name,
        )


def _numeric(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


@dataclass(frozen=True)
class TemplateDef:
    code: str
    items: tuple[ItemDef, ...]
    pass_mark: Decimal | None = None

    def item(self, code: str, name: str) -> ItemDef:
        for it in self.items:
            if it.code == code:
                return it
        raise Malformed(
            _("unknown item %(code)r of template %(template)s; items: %(items)s")
            % {"code": code, "template": self.code, "items": ", ".join(i.code for i in self.items)},
            field=name,
        )


def five_level(dissatisfied_codes=("dissatisfied", "very_dissatisfied")) -> tuple[LevelDef, ...]:
    """004 6.3.3: very satisfied / satisfied / neutral / dissatisfied / very dissatisfied = 10/8/5/3/1."""
    pairs = (
        ("very_satisfied", 10),
        ("satisfied", 8),
        ("neutral", 5),
        ("dissatisfied", 3),
        ("very_dissatisfied", 1),
    )
    return tuple(LevelDef(c, Decimal(v), dissatisfied=c in dissatisfied_codes) for c, v in pairs)


# --- inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rated:
    """One returned form, checked: the customer's code and each answered item's level."""

    customer: str
    answers: dict[str, LevelDef]
    comment: str = ""


@dataclass(frozen=True)
class Internal:
    deliveries: int
    quality_complaints: int
    on_time_deliveries: int
    line_stops: int
    excess_freight: Decimal
    total_freight: Decimal


@dataclass(frozen=True)
class Weights:
    external: Decimal = Decimal("0.6")
    internal: Decimal = Decimal("0.4")


@dataclass(frozen=True)
class Thresholds:
    satisfied_from: Decimal = Decimal(80)
    very_satisfied_above: Decimal = Decimal(85)
    item_low: Decimal = Decimal(3)  # on a 10-point scale
    item_low_inclusive: bool = True  # 004: "低于或等于3分"; COP14: "4分以下" (not inclusive)
    customer_below: Decimal = Decimal(80)
    total_below: Decimal = Decimal(80)


PRESETS = {
    "004": Thresholds(),
    "cop14": Thresholds(
        item_low=Decimal(4), item_low_inclusive=False, customer_below=Decimal(60), total_below=Decimal(60)
    ),
}


def check_responses(
    template: TemplateDef, responses: Iterable[Mapping], *, field_name: str = "responses"
) -> list[Rated]:
    """Each response ``{"customer", "answers": {item: level code or value}, "comment"?}`` checked
    against ``template``: unknown items, ratings outside the scale and a customer given twice are
    400 naming the place."""
    out: list[Rated] = []
    seen: set[str] = set()
    for i, r in enumerate(responses):
        where = f"{field_name}[{i}]"
        customer = str(r.get("customer") or "").strip()
        if not customer:
            raise Malformed(_("name the customer"), field=f"{where}.customer")
        if customer in seen:
            raise Malformed(
                _("customer %(code)r is given twice") % {"code": customer}, field=f"{where}.customer"
            )
        seen.add(customer)
        answers = r.get("answers") or {}
        if not isinstance(answers, Mapping) or not answers:
            raise Malformed(_("give at least one rating"), field=f"{where}.answers")
        rated = {}
        for code, rating in answers.items():
            name = f"{where}.answers.{code}"
            rated[code] = template.item(code, name).rate(rating, name)
        out.append(Rated(customer=customer, answers=rated, comment=str(r.get("comment") or "").strip()))
    if not out:
        raise Malformed(_("give at least one returned form"), field=field_name)
    return out


def check_internal(data: Mapping, *, field_name: str = "internal") -> Internal:
    """The delivery figures: whole numbers except the freight, none negative; complaints, on-time
    deliveries and line stops not above the deliveries (deliveries 0 with complaints > 0 is 400),
    the excess freight not above the total freight."""

    def count(key: str) -> int:
        name = f"{field_name}.{key}"
        if key not in data or data[key] is None:
            raise Malformed(_("required"), field=name)
        d = dec(data[key], name)
        if d != d.to_integral_value():
            raise Malformed(_("must be a whole number"), field=name)
        if d < 0:
            raise Malformed(_("must not be negative"), field=name)
        return int(d)

    def money(key: str) -> Decimal:
        name = f"{field_name}.{key}"
        if key not in data or data[key] is None:
            raise Malformed(_("required"), field=name)
        d = dec(data[key], name)
        if d < 0:
            raise Malformed(_("must not be negative"), field=name)
        return d

    unknown = set(data) - {
        "deliveries",
        "quality_complaints",
        "on_time_deliveries",
        "line_stops",
        "excess_freight",
        "total_freight",
    }
    if unknown:
        raise Malformed(_("unknown field"), field=f"{field_name}.{sorted(unknown)[0]}")
    figures = Internal(
        deliveries=count("deliveries"),
        quality_complaints=count("quality_complaints"),
        on_time_deliveries=count("on_time_deliveries"),
        line_stops=count("line_stops"),
        excess_freight=money("excess_freight"),
        total_freight=money("total_freight"),
    )
    for key in ("quality_complaints", "on_time_deliveries", "line_stops"):
        value = getattr(figures, key)
        if value > figures.deliveries:
            if figures.deliveries == 0:
                raise Malformed(
                    _("%(n)s with 0 deliveries: there is nothing to divide by") % {"n": value},
                    field=f"{field_name}.{key}",
                )
            raise Malformed(
                _("must not exceed the deliveries (%(n)s)") % {"n": figures.deliveries},
                field=f"{field_name}.{key}",
            )
    if figures.excess_freight > figures.total_freight:
        raise Malformed(
            _("must not exceed the total freight (%(n)s)") % {"n": figures.total_freight},
            field=f"{field_name}.excess_freight",
        )
    return figures


def check_weights(external, internal, *, field_name: str = "weights") -> Weights:
    """Two fractions, none negative, adding up to exactly 1."""
    e, i = dec(external, f"{field_name}.external"), dec(internal, f"{field_name}.internal")
    for name, d in (("external", e), ("internal", i)):
        if d < 0 or d > 1:
            raise Malformed(_("must be a fraction between 0 and 1"), field=f"{field_name}.{name}")
    if e + i != ONE:
        raise Malformed(_("the weights must add up to 1, not %(sum)s") % {"sum": e + i}, field=field_name)
    return Weights(external=e, internal=i)


# --- the arithmetic -------------------------------------------------------------------------------------


def item_scores(template: TemplateDef, forms: Iterable[Rated]) -> dict[str, Decimal]:
    """Per item: the sum of its ratings / the number of returned forms that rated it (004 6.4.2.1),
    in the template's order; an item nobody rated is left out."""
    sums: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for f in forms:
        for code, lv in f.answers.items():
            sums[code] = sums.get(code, ZERO) + lv.value
            counts[code] = counts.get(code, 0) + 1
    return {it.code: sums[it.code] / counts[it.code] for it in template.items if it.code in counts}


def normalised(template: TemplateDef, values: Mapping[str, Decimal]) -> Decimal | None:
    """Values on the items' scales as one score on 100 points: each over its item's best value,
    weighted, x 100 (the default template: the plain sum of ten ratings, or the mean x 10)."""
    num = den = ZERO
    for it in template.items:
        if it.code in values:
            num += it.weight * values[it.code] / it.best
            den += it.weight
    return None if den == 0 else num / den * HUNDRED


def customer_score(template: TemplateDef, form: Rated) -> Decimal:
    return normalised(template, {code: lv.value for code, lv in form.answers.items()})


def external_score(template: TemplateDef, scores: Mapping[str, Decimal]) -> Decimal | None:
    return normalised(template, scores)


def internal_parts(f: Internal) -> dict[str, Decimal | None]:
    d = Decimal(f.deliveries)
    return {
        "quality": (ONE - f.quality_complaints / d) * HUNDRED if d else None,
        "on_time": f.on_time_deliveries / d * HUNDRED if d else None,
        "line_stop": (ONE - f.line_stops / d) * HUNDRED if d else None,
        "freight": (ONE - f.excess_freight / f.total_freight) * HUNDRED if f.total_freight else None,
    }


def internal_score(parts: Mapping[str, Decimal | None]) -> Decimal | None:
    values = [v for v in parts.values() if v is not None]
    return sum(values, ZERO) / len(values) if values else None


def total(external: Decimal | None, internal: Decimal | None, weights: Weights) -> Decimal | None:
    """external x w_ext + internal x w_int; with one of them missing, the other alone."""
    if external is None:
        return internal
    if internal is None:
        return external
    return external * weights.external + internal * weights.internal


def level(score: Decimal | None, th: Thresholds) -> str:
    if score is None:
        return ""
    if score < th.satisfied_from:
        return DISSATISFIED
    if score <= th.very_satisfied_above:
        return SATISFIED
    return VERY_SATISFIED


def satisfaction_rate(scores: Iterable[Decimal], th: Thresholds) -> Decimal | None:
    scores = list(scores)
    if not scores:
        return None
    return Decimal(sum(1 for s in scores if s >= th.satisfied_from)) / len(scores) * HUNDRED


def combined(
    self_assessed: Decimal | None, survey: Decimal | None, self_weight: Decimal, survey_weight: Decimal
):
    """客户满意度管理制度 五.1: overall = self-assessment x 40 % + survey x 60 %."""
    if self_assessed is None or survey is None:
        return survey
    return self_assessed * self_weight + survey * survey_weight


def on_ten(item: ItemDef, value: Decimal) -> Decimal:
    """A rating on a 10-point scale, so the item threshold (004: 3; COP14: 4) reads the same for
    every template."""
    return value / item.best * TEN


@dataclass(frozen=True)
class Hit:
    kind: str
    customer: str | None = None
    item: str | None = None
    score: Decimal | None = None

    @property
    def key(self) -> str:
        return ":".join((self.kind, self.customer or "", self.item or ""))


def triggers(
    template: TemplateDef,
    forms: list[Rated],
    scores: Mapping[str, Decimal],
    grand_total: Decimal | None,
    th: Thresholds,
) -> list[Hit]:
    """R10.5 / 004 6.4.3: a) every item a customer rated at or below the item threshold, b) every
    customer below the customer threshold, c) a total below the total threshold, d) every form
    with an explicit written complaint."""
    hits: list[Hit] = []
    for f in forms:
        for it in template.items:
            lv = f.answers.get(it.code)
            if lv is None:
                continue
            v = on_ten(it, lv.value)
            if v < th.item_low or (th.item_low_inclusive and v == th.item_low):
                hits.append(Hit(ITEM_LOW, f.customer, it.code, lv.value))
    for f in forms:
        s = scores[f.customer]
        if s < th.customer_below:
            hits.append(Hit(CUSTOMER_LOW, f.customer, None, s))
    if grand_total is not None and grand_total < th.total_below:
        hits.append(Hit(TOTAL_LOW, None, None, grand_total))
    for f in forms:
        if f.comment:
            hits.append(Hit(EXPLICIT_COMMENT, f.customer))
    return hits


@dataclass
class Result:
    item_scores: dict[str, Decimal]
    customer_scores: dict[str, Decimal]
    external_score: Decimal | None
    internal_parts: dict[str, Decimal | None]
    internal_score: Decimal | None
    total: Decimal | None
    level: str
    satisfaction_rate: Decimal | None
    triggers: list[Hit] = field(default_factory=list)
    returned: int = 0

    def as_json(self) -> dict:
        """The figures as the API and the stored ``Round.results`` give them: exact strings."""
        s = lambda v: None if v is None else str(v)  # noqa: E731
        return {
            "item_scores": {k: s(v) for k, v in self.item_scores.items()},
            "customer_scores": {k: s(v) for k, v in self.customer_scores.items()},
            "external_score": s(self.external_score),
            "internal_parts": {k: s(v) for k, v in self.internal_parts.items()},
            "internal_score": s(self.internal_score),
            "total": s(self.total),
            "level": self.level,
            "satisfaction_rate": s(self.satisfaction_rate),
            "returned": self.returned,
            "triggers": [
                {"kind": h.kind, "customer": h.customer, "item": h.item, "score": s(h.score)}
                for h in self.triggers
            ],
        }


def evaluate(
    template: TemplateDef,
    forms: list[Rated],
    internal: Internal | None,
    weights: Weights = Weights(),
    th: Thresholds = Thresholds(),
) -> Result:
    """Every figure of the score sheet (004 6.4.2) and the triggers (6.4.3) of checked input."""
    items = item_scores(template, forms)
    customers = {f.customer: customer_score(template, f) for f in forms}
    external = external_score(template, items)
    parts = (
        internal_parts(internal)
        if internal is not None
        else {k: None for k in ("quality", "on_time", "line_stop", "freight")}
    )
    internal_value = internal_score(parts)
    grand = total(external, internal_value, weights)
    return Result(
        item_scores=items,
        customer_scores=customers,
        external_score=external,
        internal_parts=parts,
        internal_score=internal_value,
        total=grand,
        level=level(grand, th),
        satisfaction_rate=satisfaction_rate(customers.values(), th),
        triggers=triggers(template, forms, customers, grand, th),
        returned=len(forms),
    )
