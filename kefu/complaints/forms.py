"""Forms of the complaint pages: they parse input; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core import validation
from kefu.core.errors import Invalid

from . import attachments, pending
from .choices import Category, Channel, CustomerRequest, Outcome, Severity, Status
from .selectors import OPEN

ACCEPT = ",".join(f".{ext}" for ext in attachments.ALLOWED)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; type and size are checked by ``attachments.check_files``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


# The browser's date pickers stay within the range the server accepts (kefu.core.validation).
DAY_RANGE = {"min": validation.FIRST_DATE.isoformat(), "max": validation.LAST_DATE.isoformat()}
MOMENT_RANGE = {
    "min": f"{validation.FIRST_DATE.isoformat()}T00:00",
    "max": f"{validation.LAST_DATE.isoformat()}T23:59",
}


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "---------"), *choices.choices]


class KeepsFiles:
    """A form with ``attachments`` whose chosen files survive a refusal (``pending``): the
    acceptable ones are kept on the server and listed, the next submit sends them along."""

    def keep_files(self) -> None:
        """After a refusal: keep the acceptable files, say beside the field why any other was not."""
        token, refused = pending.keep(
            self.data.get("pending", ""), self.files.getlist("attachments"), self.dropped_files()
        )
        self.data = self.data.copy()
        self.data["pending"] = token
        shown = {str(m) for m in self.errors.get("attachments", [])}
        for exc in refused:
            if exc.rule not in shown:
                self.add_error("attachments", exc.rule)

    def dropped_files(self) -> set[str]:
        token = self.data.get("pending", "")
        if not token:
            return set()
        kept = set(self.data.getlist("pending_keep")) if hasattr(self.data, "getlist") else set()
        return {f.key for f in pending.listed(token)} - kept

    @property
    def kept_files(self) -> list:
        return pending.listed(self.data.get("pending", "")) if self.is_bound else []

    def attachments_with_kept(self) -> list:
        token = self.cleaned_data.get("pending", "")
        return [*pending.opened(token, self.dropped_files()), *self.cleaned_data.get("attachments", [])]

    def files_done(self) -> None:
        pending.discard(self.cleaned_data.get("pending", ""))


class ServiceErrorsMixin:
    """Show a service's ``Invalid`` on the field it names, else at the top of the form."""

    def add_service_error(self, error: Invalid) -> None:
        message = error.detail.split(": ", 1)[1] if error.field else error.detail
        field = error.field if error.field in self.fields else None
        self.add_error(field, message)


class TelInput(forms.TextInput):
    """A phone number: a phone's keyboard shows the number pad."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "tel", "autocomplete": "tel", **(attrs or {})})


class CustomerCodeInput(forms.TextInput):
    """A customer code with suggestions: typing fetches the matching visible customers
    (code or name) into the ``customer-codes`` datalist, so the page carries none of them."""

    def __init__(self, attrs=None):
        super().__init__(
            {
                "list": "customer-codes",
                "autocomplete": "off",
                "hx-get": reverse_lazy("complaints:customer-options"),
                "hx-trigger": "focus once, input changed delay:200ms",
                "hx-target": "#customer-codes",
                "hx-swap": "innerHTML",
                **(attrs or {}),
            }
        )


class ComplaintForm(KeepsFiles, ServiceErrorsMixin, forms.Form):
    """Staff registration (R3.2); any employee who receives a complaint registers it (000 5.3.2)."""

    customer = forms.CharField(
        label=_("Customer code"),
        max_length=32,
        widget=CustomerCodeInput(),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        help_text=_("Leave empty for now."),
        validators=[validation.validate_moment],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", **MOMENT_RANGE}, format="%Y-%m-%dT%H:%M"),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.QUALITY)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)
    order_no = forms.CharField(label=_("Order number"), max_length=64, required=False)
    part_no = forms.CharField(label=_("Part number"), max_length=64, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=0)
    quantity_pending = forms.BooleanField(
        label=_("Quantity not yet determined (customer still processing)"), required=False
    )
    defect_quantity = forms.IntegerField(label=_("Defective quantity"), required=False, min_value=0)
    ship_date = forms.DateField(
        label=_("Ship date"),
        required=False,
        validators=[validation.validate_day],
        widget=forms.DateInput(attrs={"type": "date", **DAY_RANGE}),
    )
    customer_request = forms.ChoiceField(
        label=_("Customer request"), choices=_blank(CustomerRequest), required=False
    )
    sample_received = forms.BooleanField(label=_("Sample received"), required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=100, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=50, required=False, widget=TelInput()
    )
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    attachments = MultipleFileField(label=_("Attachments (photos, files)"))
    pending = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_received_at(self):
        value = self.cleaned_data.get("received_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("pending", None)
        data["attachments"] = self.attachments_with_kept()
        return data


class PublicComplaintForm(KeepsFiles, ServiceErrorsMixin, forms.Form):
    """The public web form: no account needed (R3.1)."""

    customer_code = forms.CharField(
        label=_("Customer code"),
        max_length=32,
        required=False,
        help_text=_("As printed on our invoices, if known."),
    )
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Your name"), max_length=100)
    contact_phone = forms.CharField(label=_("Phone"), max_length=50, required=False, widget=TelInput())
    contact_email = forms.EmailField(
        label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    order_no = forms.CharField(label=_("Product order number"), max_length=64, required=False)
    part_no = forms.CharField(label=_("Part number"), max_length=64, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=0)
    defect_quantity = forms.IntegerField(label=_("Defective quantity"), required=False, min_value=0)
    description = forms.CharField(label=_("What is wrong?"), widget=forms.Textarea)
    customer_request = forms.ChoiceField(
        label=_("What do you ask for?"), choices=_blank(CustomerRequest), required=False
    )
    attachments = MultipleFileField(label=_("Photos or files"))
    pending = forms.CharField(required=False, widget=forms.HiddenInput)
    # Honeypot: hidden from people by CSS; a bot that fills it gets a thanks page and nothing is saved.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean(self):
        data = super().clean()
        if not data.get("customer_code") and not data.get("company_name"):
            self.add_error("company_name", _("Give your customer code or your company name."))
        if not data.get("contact_phone") and not data.get("contact_email"):
            self.add_error("contact_phone", _("Give a phone number or an e-mail address."))
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("website", None)
        data.pop("pending", None)
        data["attachments"] = self.attachments_with_kept()
        return data


class PublicStatusForm(forms.Form):
    """The public status page: the complaint number and a phone number on it."""

    number = forms.CharField(
        label=_("Complaint number"),
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "202612-0001", "autocomplete": "off"}),
    )
    phone = forms.CharField(label=_("Your phone number"), max_length=50, widget=TelInput())


class ComplaintFilterForm(forms.Form):
    """Renders the list filters; parsing is ``selectors.ComplaintFilters.parse`` (one parser for all)."""

    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", "---------"), (OPEN, _("Any open state")), *Status.choices],
        required=False,
    )
    customer = forms.CharField(label=_("Customer code"), required=False)
    category = forms.ChoiceField(label=_("Category"), choices=_blank(Category), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=_blank(Severity), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=_blank(Outcome), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    received_from = forms.DateField(
        label=_("Received from"),
        required=False,
        validators=[validation.validate_day],
        widget=forms.DateInput(attrs={"type": "date", **DAY_RANGE}),
    )
    received_to = forms.DateField(
        label=_("Received to"),
        required=False,
        validators=[validation.validate_day],
        widget=forms.DateInput(attrs={"type": "date", **DAY_RANGE}),
    )


class ReassignCustomerForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer code"),
        max_length=32,
        widget=CustomerCodeInput(),
    )


class AttachmentForm(forms.Form):
    attachments = MultipleFileField(label=_("Add photos or files"), required=True)
