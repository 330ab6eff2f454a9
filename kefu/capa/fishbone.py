"""D4's Ishikawa (fishbone) diagram: the causes of the occurrence and of the escape sorted into
the six categories of 6M (人机料法测环: man, machine, material, method, measurement,
environment). The 8D asks for "5-Why or fishbone" (issue 14, D4): a reply gives either, or both.

Stored on the record as ``{"man": ["..."], "method": ["..."]}`` (categories with no cause left
out). The API takes that object; the page's textarea takes one cause per line, ``category: cause``,
the category as its code, its English or its Chinese name (``人`` / ``人员`` ...).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import Invalid

MAX_CAUSES = 10  # per category
MAX_LENGTH = 200  # per cause


class Category(models.TextChoices):
    MAN = "man", gettext_lazy("Man")
    MACHINE = "machine", gettext_lazy("Machine")
    MATERIAL = "material", gettext_lazy("Material")
    METHOD = "method", gettext_lazy("Method")
    MEASUREMENT = "measurement", gettext_lazy("Measurement")
    ENVIRONMENT = "environment", gettext_lazy("Environment")


CODES = tuple(Category.values)
# The words a line may start with, lower-cased: the code, the English names, the Chinese ones.
ALIASES = {
    **{code: code for code in CODES},
    "people": "man", "manpower": "man", "人": "man", "人员": "man",
    "machines": "machine", "equipment": "machine", "机": "machine", "机器": "machine", "设备": "machine",
    "materials": "material", "料": "material", "材料": "material", "物料": "material",
    "methods": "method", "process": "method", "法": "method", "方法": "method",
    "measurements": "measurement", "测": "measurement", "测量": "measurement",
    "env": "environment", "环": "environment", "环境": "environment",
}  # fmt: skip
SEPARATORS = (":", "：", "|", "｜")


def parse_lines(text: str) -> dict[str, list[str]]:
    """The textarea's ``category: cause`` lines as a mapping of the category as written -> causes
    (a line with no category goes under ``""``); ``normalise`` checks the categories."""
    out: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        cut = min((line.find(s) for s in SEPARATORS if s in line), default=-1)
        word, cause = (line[:cut].strip(), line[cut + 1 :].strip()) if cut >= 0 else ("", line)
        out.setdefault(word, []).append(cause)
    return out


def normalise(value, *, field: str) -> dict[str, list[str]]:
    """``value`` (a mapping category -> causes, or the textarea's text) checked: each category one
    of 6M, each cause a non-empty text of at most 200 characters, at most 10 per category.
    Refused with ``Invalid`` (422) naming ``field`` and the rule; returns the causes in 6M order."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = parse_lines(value)
    if not isinstance(value, dict):
        raise Invalid(_("expected an object of category -> causes"), field=field)
    merged: dict[str, list[str]] = {}
    for word, causes in value.items():
        code = ALIASES.get(str(word).strip().lower())
        if code is None:
            raise Invalid(
                _(
                    'unknown category %(word)r: write each cause as "category: cause", the category one of %(codes)s'
                )
                % {"word": word, "codes": ", ".join(f"{c} ({Category(c).label})" for c in CODES)},
                field=field,
            )
        if isinstance(causes, str):
            causes = [causes]
        if not isinstance(causes, list):
            raise Invalid(_("the causes of %(category)s must be a list") % {"category": code}, field=field)
        for cause in causes:
            text = cause.strip() if isinstance(cause, str) else ""
            if not text:
                raise Invalid(_("a cause of %(category)s is empty") % {"category": code}, field=field)
            if len(text) > MAX_LENGTH:
                raise Invalid(_("a cause has at most %(n)d characters") % {"n": MAX_LENGTH}, field=field)
            merged.setdefault(code, []).append(text)
        if len(merged.get(code, [])) > MAX_CAUSES:
            raise Invalid(_("at most %(n)d causes per category") % {"n": MAX_CAUSES}, field=field)
    return {code: merged[code] for code in CODES if merged.get(code)}


def rows(causes: dict | None) -> list[tuple[str, str, list[str]]]:
    """All six categories in 6M order, as (code, label, causes), for the pages and the report."""
    causes = causes or {}
    return [(code, str(Category(code).label), list(causes.get(code, []))) for code in CODES]


def as_text(causes: dict | None) -> str:
    """The causes as the textarea's lines (``人员: 新员工未培训``), for the workbook and the form."""
    return "\n".join(f"{label}: {cause}" for _code, label, items in rows(causes) for cause in items)
