"""The survey pages' forms: the answer form (the customer's personal link and the staff's oral
entry are the same form), the new round, the plan's year. Rules live in the services."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .choices import AnswerChannel

PREFIX = "item_"


@dataclass(frozen=True)
class Choice:
    value: str  # the level's code, which the services take
    label: str
    points: object  # what it scores, shown beside the label on the staff's form


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    choices: tuple[Choice, ...]


def template_items(template) -> list[Item]:
    """The template's items with their own scales (002 篇1 附件1 scores service unlike quality),
    labelled in the reader's language."""
    zh = (get_language() or "zh").startswith("zh")
    out = []
    for item in template.items.all():
        choices = tuple(
            Choice(
                str(lv.get("code") or lv["value"]),
                (lv.get("label_en") if not zh and lv.get("label_en") else lv.get("label"))
                or str(lv["value"]),
                lv["value"],
            )
            for lv in item.levels
        )
        out.append(Item(item.code, item.title, choices))
    return out


class AnswerForm(forms.Form):
    """One radio group per item of the template, its scale as choices; suggestions and an explicit
    complaint, both optional. The customer's personal link and the staff's oral entry are the same
    form (004 6.3.1); ``staff`` adds how the answer came and who gave it."""

    respondent = forms.CharField(label=_("Your name"), required=False, max_length=100)
    suggestions = forms.CharField(
        label=_("Comments and suggestions"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comment = forms.CharField(
        label=_("A complaint you want us to handle"),
        help_text=_("Write it here and it is registered as a complaint; we will contact you."),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    channel = forms.ChoiceField(
        label=_("Answered by"),
        choices=[(c, label) for c, label in AnswerChannel.choices if c != AnswerChannel.LINK],
        initial=AnswerChannel.ORAL,
    )

    def __init__(self, *args, items: list[Item], staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        texts = {name: self.fields[name] for name in ("respondent", "suggestions", "comment")}
        if staff:
            texts["respondent"].label = _("Who answered")
            texts["comment"].label = _("Explicit complaint")
            texts["comment"].help_text = _(
                "It is registered as a complaint (channel: survey) when the round is scored."
            )
            texts = {"channel": self.fields["channel"], **texts}
        fields = {
            PREFIX + item.code: forms.ChoiceField(
                label=item.label,
                choices=[(c.value, c.label) for c in item.choices],
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose one answer for this item.")},
            )
            for item in items
        }
        # the items first, in the template's order, then the texts
        self.fields = {**fields, **texts}

    def item_rows(self):
        """The items with their bound field and their choices, for the large tap targets."""
        for n, item in enumerate(self.items, start=1):
            field = self[PREFIX + item.code]
            chosen = str(field.value() or "")
            yield {
                "no": n,
                "item": item,
                "field": field,
                "choices": [
                    {"choice": c, "id": f"{field.auto_id}_{i}", "checked": c.value == chosen}
                    for i, c in enumerate(item.choices)
                ],
            }

    def text_fields(self):
        return [self[name] for name in self.fields if not name.startswith(PREFIX)]

    def answers(self) -> dict[str, str]:
        return {item.code: self.cleaned_data[PREFIX + item.code] for item in self.items}

    def texts(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ("respondent", "suggestions", "comment")}

    def add_service_error(self, exc) -> None:
        """A refusal of the services, beside the item (or text) it names, else on top."""
        name = exc.field or ""
        if PREFIX + name in self.fields:
            self.add_error(PREFIX + name, exc.rule)
        elif name.startswith("answers.") and PREFIX + name[8:] in self.fields:
            self.add_error(PREFIX + name[8:], exc.rule)
        elif name in self.fields:
            self.add_error(name, exc.rule)
        else:
            self.add_error(None, exc.detail)


class RoundForm(forms.Form):
    """A new round from the plan: the plan's month whose customers it asks, its title, the answer
    deadline (the default round falls in the third or fourth quarter, 003 4.2.1.2)."""

    year = forms.IntegerField(label=_("Plan year"), min_value=2000, max_value=2099)
    month = forms.TypedChoiceField(
        label=_("Plan month"), coerce=int, choices=[(m, str(m)) for m in range(1, 13)], initial=10
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    collect_until = forms.DateField(
        label=_("Answers due by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class FiguresForm(forms.Form):
    """The internal delivery figures of the round's period (004 6.4.2.2)."""

    deliveries = forms.IntegerField(label=_("Deliveries"), min_value=0)
    on_time_deliveries = forms.IntegerField(label=_("On-time deliveries"), min_value=0)
    line_stops = forms.IntegerField(label=_("Line stops"), min_value=0)
    excess_freight = forms.DecimalField(
        label=_("Excess freight"), min_value=0, decimal_places=2, max_digits=14
    )
    total_freight = forms.DecimalField(label=_("Total freight"), min_value=0, decimal_places=2, max_digits=14)


class CompetitorForm(AnswerForm):
    """An answer about a competitor (R10.6), entered by staff."""

    def __init__(self, *args, items: list[Item], **kwargs):
        super().__init__(*args, items=items, **kwargs)
        self.fields = {"competitor": forms.CharField(label=_("Competitor"), max_length=200), **self.fields}
        for name in ("respondent", "comment", "channel"):
            self.fields.pop(name, None)

    def text_fields(self):
        return [self["suggestions"]]
