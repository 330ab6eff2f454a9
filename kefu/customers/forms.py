"""Page forms: they parse and render; the rules are in services.py."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.choices import DepartmentCode
from kefu.core.templatetags.kefu_format import person

from .choices import Grade, Region


def _users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person(obj)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    grade = forms.ChoiceField(label=_("Grade"), required=False, choices=[("", _("All"))] + Grade.choices)
    region = forms.ChoiceField(label=_("Region"), required=False, choices=[("", _("All"))] + Region.choices)
    owner = forms.ChoiceField(label=_("Sales owner"), required=False)
    key = forms.ChoiceField(
        label=_("Key customer"), required=False, choices=[("", _("All")), ("1", _("Yes")), ("0", _("No"))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("code, name, contact, phone")
        sales = _users().filter(memberships__department__code=DepartmentCode.SALES).distinct()
        self.fields["owner"].choices = [("", _("All"))] + [(u.username, person(u)) for u in sales]


class CustomerForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices, initial=Region.DOMESTIC)
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices, initial=Grade.C)
    is_key = forms.BooleanField(label=_("Key customer"), required=False)
    owner = UserChoiceField(label=_("Sales owner"), queryset=None, required=False, to_field_name="username")
    area = forms.CharField(
        label=_("Area"), max_length=100, required=False, help_text=_("province, city or country")
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    legal_representative = forms.CharField(
        label=_("Legal representative / person in charge"), max_length=100, required=False
    )
    products = forms.CharField(
        label=_("Products and models supplied"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, editing: bool = False, can_reassign: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _users()
        if editing:
            # The code is the record's key; the grade changes only with a reason (R2.2).
            del self.fields["code"]
            del self.fields["grade"]
            if not can_reassign:
                self.fields["owner"].disabled = True


class ContactForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    title = forms.CharField(label=pgettext_lazy("job title", "Title"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=50, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


ContactFormSet = forms.formset_factory(ContactForm, extra=1, can_delete=True, max_num=50)


def contacts_from(formset) -> list[dict]:
    """The contact list a valid formset describes (deleted and untouched blank rows left out)."""
    out = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        out.append({k: v for k, v in data.items() if k != "DELETE"})
    return out


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=_("New grade"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("nature, scale, sales volume and trend"),
    )


class GrantForm(forms.Form):
    user = UserChoiceField(label=_("User"), queryset=None, to_field_name="username")
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _users()


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
