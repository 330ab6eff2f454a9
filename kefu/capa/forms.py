"""The pages' forms: the new CAPA and the list filters (the API's rules apply: services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.complaints.choices import Severity
from kefu.core.choices import DepartmentCode as D

from .models import Attachment, Status

TEXTAREA = forms.Textarea(attrs={"rows": 2})


class CapaForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    department = forms.ChoiceField(label=_("Responsible department"), choices=D.choices)
    nonconformity = forms.CharField(label=_("Nonconformity type"), max_length=100)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)
    customer = forms.CharField(label=_("Customer code"), max_length=200, required=False)
    problem = forms.CharField(label=_("D1-D2 problem description"), widget=forms.Textarea(attrs={"rows": 4}))
    what = forms.CharField(label=_("What"), required=False, widget=TEXTAREA)
    where = forms.CharField(label=_("Where"), required=False, widget=TEXTAREA)
    when = forms.CharField(label=_("When"), required=False, widget=TEXTAREA)
    who = forms.CharField(label=_("Who"), required=False, widget=TEXTAREA)
    why = forms.CharField(label=_("Why"), required=False, widget=TEXTAREA)
    how = forms.CharField(label=_("How"), required=False, widget=TEXTAREA)
    how_many = forms.CharField(label=_("How many"), required=False, widget=TEXTAREA)
    customer_deadline = forms.DateTimeField(
        label=_("Deadline set by the customer"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all")), ("open", _("open"))] + list(Status.choices),
    )
    department = forms.ChoiceField(
        label=_("Department"), required=False, choices=[("", _("all"))] + list(D.choices)
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)
