"""The pages' forms: a new requirement, the list filters, a change cycle, files (the services'
rules apply)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.core.choices import DepartmentCode as D

from .models import CsrStatus, CycleKind, CycleStatus, RequirementFile

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class RequirementForm(forms.Form):
    customer = forms.CharField(label=_("Customer code"), max_length=32)
    document_title = forms.CharField(label=_("Source document title"), max_length=200)
    document_number = forms.CharField(label=_("Document number"), max_length=64)
    document_revision = forms.CharField(label=_("Revision"), max_length=16)
    document_date = forms.DateField(label=_("Document date"), widget=forms.DateInput(attrs={"type": "date"}))
    clause = forms.CharField(label=_("Clause"), max_length=32, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Requirement"), widget=forms.Textarea(attrs={"rows": 4}))
    red_line = forms.BooleanField(label=_("Red line (CSR 红线)"), required=False)
    departments = forms.MultipleChoiceField(
        label=_("Reviewing departments"), choices=D.choices, widget=forms.CheckboxSelectMultiple
    )
    linked_documents = forms.CharField(
        label=_("Linked documents (one per line: number | title | revision)"), required=False, widget=TEXTAREA
    )


class FilterForm(forms.Form):
    customer = forms.CharField(label=_("Customer code"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all")), ("open", _("open"))] + list(CsrStatus.choices),
    )
    red_line = forms.ChoiceField(
        label=_("Red line"),
        required=False,
        choices=[("", _("all")), ("true", _("red lines")), ("false", _("others"))],
    )
    department = forms.ChoiceField(
        label=_("Department"), required=False, choices=[("", _("all"))] + list(D.choices)
    )
    q = forms.CharField(label=_("Search"), required=False)


class CycleFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("all"))] + list(CycleKind.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all")), ("open", _("open"))] + list(CycleStatus.choices),
    )
    customer = forms.CharField(label=_("Customer code"), required=False)


class ChangeCycleForm(forms.Form):
    customer = forms.CharField(label=_("Customer code"), max_length=32)
    reason = forms.CharField(label=_("What the customer changed"), widget=TEXTAREA)


class FileForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RequirementFile.Kind.choices, initial="cmrt")
    dated = forms.DateField(
        label=_("Report date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
