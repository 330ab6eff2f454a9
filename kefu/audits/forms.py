"""The pages' forms: a new audit, a nonconformity, a document, the list filters (the API's rules
apply: services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.complaints.choices import Severity
from kefu.core.choices import DepartmentCode as D

from .models import AuditType, Folder, Status

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AuditForm(forms.Form):
    customer = forms.CharField(label=_("Customer code"), max_length=32)
    audit_type = forms.ChoiceField(label=_("Audit type"), choices=AuditType.choices)
    planned_start = forms.DateTimeField(label=_("Planned start"), widget=DT)
    planned_end = forms.DateTimeField(label=_("Planned end"), widget=DT)
    departments = forms.MultipleChoiceField(
        label=_("Our departments taking part"), choices=D.choices, widget=forms.CheckboxSelectMultiple
    )
    managers = forms.CharField(
        label=_("Their managers (one per line: department, name)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "制造部, 王五"}),
    )
    auditors = forms.CharField(
        label=_("The customer's auditors (one per line: name, title, e-mail)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scope = forms.CharField(
        label=_("Scope and focus"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def rows(self) -> dict:
        data = dict(self.cleaned_data)
        managers = {}
        codes = {**{str(label): code for code, label in D.choices}, **{code: code for code in D.values}}
        for line in (data.pop("managers") or "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",", 1)]
            if len(parts) == 2 and parts[0] in codes:
                managers[codes[parts[0]]] = parts[1]
        data["departments"] = [{"department": c, "manager": managers.get(c, "")} for c in data["departments"]]
        auditors = []
        for line in (data.pop("auditors") or "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")] + ["", ""]
            if parts[0]:
                auditors.append({"name": parts[0], "title": parts[1], "email": parts[2]})
        data["auditors"] = auditors
        return data


class NonconformityForm(forms.Form):
    description = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.ChoiceField(label=_("Responsible department"), choices=D.choices)
    clause = forms.CharField(label=_("Requirement / clause"), max_length=200, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)


class AttachmentForm(forms.Form):
    folder = forms.ChoiceField(label=_("Folder"), choices=Folder.choices)
    customer_format = forms.BooleanField(label=_("Report in the customer's format"), required=False)


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all")), ("open", _("open"))] + list(Status.choices),
    )
    audit_type = forms.ChoiceField(
        label=_("Audit type"), required=False, choices=[("", _("all"))] + list(AuditType.choices)
    )
    customer = forms.CharField(label=_("Customer code"), required=False, max_length=32)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
