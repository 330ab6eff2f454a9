"""The survey pages' forms: the answer form (the customer's personal link and the staff's oral
entry are the same form), the new round, the plan's year. Rules live in the services."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

PREFIX = "item_"


@dataclass(frozen=True)
class Choice:
    value: str  # the rating's code (or its number when the scale has no codes)
    label: str
    points: object  # what it scores, shown beside the label


@dataclass(frozen=True)
class Item:
    code: str
    label: str


class AnswerForm(forms.Form):
    """One radio group per item of the template, its scale as choices; a comment and an explicit
    complaint, both optional. ``answers()`` gives ``{item code: rating}`` for the services."""

    comment = forms.CharField(
        label=_("Comments and suggestions"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    complaint = forms.CharField(
        label=_("A complaint you want us to handle"),
        help_text=_("Write it here and it is registered as a complaint; we will contact you."),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, items: list[Item], scale: list[Choice], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.scale = scale
        fields = {}
        for item in items:
            fields[PREFIX + item.code] = forms.ChoiceField(
                label=item.label,
                choices=[(c.value, c.label) for c in scale],
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose one answer for this item.")},
            )
        # the items first, in the template's order, then the texts
        self.fields = {**fields, "comment": self.fields["comment"], "complaint": self.fields["complaint"]}

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
                    {"choice": c, "id": f"{field.auto_id}_{i}", "checked": str(c.value) == chosen}
                    for i, c in enumerate(self.scale)
                ],
            }

    def answers(self) -> dict[str, str]:
        return {item.code: self.cleaned_data[PREFIX + item.code] for item in self.items}

    def add_item_error(self, code: str | None, message: str) -> None:
        name = PREFIX + code if code and PREFIX + code in self.fields else None
        if code in ("comment", "complaint"):
            name = code
        self.add_error(name, message)


class RoundForm(forms.Form):
    """A new round from the plan: its name, template, when it closes, and whose forms."""

    name = forms.CharField(label=_("Name"), max_length=200)
    template = forms.ChoiceField(label=_("Template"))
    closes_on = forms.DateField(label=_("Answers due by"), widget=forms.DateInput(attrs={"type": "date"}))
    competitor = forms.BooleanField(label=_("Competitor survey"), required=False)

    def __init__(self, *args, templates: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = templates


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
