"""The survey settings read into the arithmetic's terms (STYLE 10), and a template as
``scoring`` sees it. No writes."""

from __future__ import annotations

from decimal import Decimal

from kefu.core import config
from kefu.core.errors import Malformed

from . import scoring


def on(value) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


def settings() -> dict:
    return config.snapshot()


def weights(cfg: dict | None = None) -> scoring.Weights:
    """``surveys.weight.external`` / ``.internal`` (004 6.4.2.3: 0.6 / 0.4), adding up to 1."""
    cfg = cfg if cfg is not None else settings()
    return scoring.check_weights(
        cfg["surveys.weight.external"], cfg["surveys.weight.internal"], field_name="settings.surveys.weight"
    )


def preset(cfg: dict | None = None) -> str:
    cfg = cfg if cfg is not None else settings()
    value = str(cfg.get("surveys.trigger.preset") or "004").strip().lower()
    if value not in ("004", "cop14", "custom"):
        raise Malformed(
            f"unknown preset {value!r}; one of 004, cop14, custom", field="settings.surveys.trigger.preset"
        )
    return value


def thresholds(cfg: dict | None = None) -> scoring.Thresholds:
    """The level boundaries (004 6.4.2) and the trigger thresholds of the chosen preset: 004
    (item <= 3, customer < 80, total < 80), COP14 (item < 4, below 60) or the custom keys."""
    cfg = cfg if cfg is not None else settings()

    def d(key: str) -> Decimal:
        return scoring.dec(cfg[key], f"settings.{key}")

    levels = {
        "satisfied_from": d("surveys.level.satisfied_from"),
        "very_satisfied_above": d("surveys.level.very_satisfied_above"),
    }
    if levels["very_satisfied_above"] < levels["satisfied_from"]:
        raise Malformed(
            "must not be below surveys.level.satisfied_from",
            field="settings.surveys.level.very_satisfied_above",
        )
    chosen = preset(cfg)
    if chosen == "custom":
        return scoring.Thresholds(
            **levels,
            item_low=d("surveys.trigger.item_low"),
            item_low_inclusive=on(cfg["surveys.trigger.item_low_inclusive"]),
            customer_below=d("surveys.trigger.customer_below"),
            total_below=d("surveys.trigger.total_below"),
        )
    base = scoring.PRESETS[chosen]
    return scoring.Thresholds(
        **levels,
        item_low=base.item_low,
        item_low_inclusive=base.item_low_inclusive,
        customer_below=base.customer_below,
        total_below=base.total_below,
    )


def self_assessment(cfg: dict | None = None) -> tuple[bool, Decimal, Decimal]:
    """(enabled, self weight, survey weight) of 客户满意度管理制度 五.1 (0.4 / 0.6)."""
    cfg = cfg if cfg is not None else settings()
    w = scoring.check_weights(
        cfg["surveys.weight.self_assessment"],
        cfg["surveys.weight.survey"],
        field_name="settings.surveys.weight",
    )
    return on(cfg["surveys.self_assessment.enabled"]), w.external, w.internal


def template_def(template) -> scoring.TemplateDef:
    """A saved template (its items prefetched or not) as the arithmetic's ``TemplateDef``."""
    items = []
    for it in template.items.all():
        levels = tuple(
            scoring.LevelDef(
                code=str(lv["code"]),
                value=Decimal(str(lv["value"])),
                label=str(lv.get("label", "")),
                dissatisfied=bool(lv.get("dissatisfied", False)),
            )
            for lv in it.levels
        )
        items.append(scoring.ItemDef(code=it.code, levels=levels, weight=it.weight, label=it.title))
    return scoring.TemplateDef(code=template.code, items=tuple(items), pass_mark=template.pass_mark)
