"""Complaint pages: parse, call a selector or service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from kefu.core import errors
from kefu.core.access import is_sales_only
from kefu.core.errors import Forbidden, Invalid, KefuError, NotFound
from kefu.core.net import client_ip
from kefu.customers.access import visible_customers
from kefu.flow import engine

from . import attachments as files
from . import selectors, services
from .forms import (
    AttachmentForm,
    ComplaintFilterForm,
    ComplaintForm,
    PublicComplaintForm,
    PublicStatusForm,
    ReassignCustomerForm,
)
from .models import Complaint
from .workflow import FLOW

CUSTOMER_OPTIONS_LIMIT = 20


@login_required
def customer_options(request):
    """The suggestions of a customer code field (``CustomerCodeInput``): visible customers
    whose code starts with, or whose name contains, what was typed."""
    typed = request.GET.get("customer", "").strip()[:100]
    customers = visible_customers(request.user)
    if typed:
        customers = customers.filter(Q(code__istartswith=typed) | Q(name__icontains=typed))
    rows = customers.order_by("code").values_list("code", "name")[:CUSTOMER_OPTIONS_LIMIT]
    return render(request, "complaints/_partials/customer_options.html", {"rows": rows})


def _refused(request, error: KefuError):
    if isinstance(error, NotFound):
        raise Http404(error.detail)
    return HttpResponseForbidden(error.detail)


# --- list ---------------------------------------------------------------------


@login_required
def complaint_list(request):
    form = ComplaintFilterForm(request.GET or None)
    error = None
    try:
        qs = selectors.complaint_list(request.user, request.GET)
        page = selectors.paginate(qs, request.GET.get("page"), request.GET.get("page_size"))
    except Invalid as exc:
        error = errors.on_page(exc, form)
        page = selectors.PageOf(items=[], count=0, number=1, page_size=selectors.DEFAULT_PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    now = timezone.now()
    context = {
        "form": form,
        "page": page,
        "complaints": selectors.mark_lateness(page.items, now),
        "error": error,
        "query": params.urlencode(),
        "now": now,
        "nav": "complaints",
    }
    if request.headers.get("HX-Request"):
        return render(request, "complaints/_partials/complaint_table.html", context)
    return render(request, "complaints/complaint_list.html", context)


# --- create -------------------------------------------------------------------


@login_required
def complaint_create(request):
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.register_complaint(by=request.user, **form.service_kwargs())
        except Invalid as exc:
            form.add_service_error(exc)
        else:
            form.files_done()
            messages.success(
                request,
                _("Complaint %(number)s registered; the customer is promised an answer by %(date)s.")
                % {"number": complaint.number, "date": complaint.answer_by.isoformat()},
            )
            if selectors.can_see(request.user, complaint):
                return redirect("complaints:detail", number=complaint.number)
            return redirect("complaints:list")
    if request.method == "POST":
        form.keep_files()  # refused: the chosen files stay for the next try
    return render(
        request,
        "complaints/complaint_form.html",
        {"form": form, "nav": "complaints"},
        status=422 if request.method == "POST" else 200,
    )


# --- detail -------------------------------------------------------------------


@login_required
def complaint_detail(request, number: str):
    try:
        detail = selectors.complaint_detail(request.user, number, records=True, request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(request, exc)
    may_relink = not is_sales_only(request.user)
    now = timezone.now()
    selectors.mark_lateness([detail.complaint], now)
    for step in detail.steps:
        step.label = engine.step_label(FLOW, step)
    return render(
        request,
        "complaints/complaint_detail.html",
        {
            "complaint": detail.complaint,
            "detail": detail,
            # the workflow panel shows what this page has read already
            "workflow": {"steps": detail.rows, "records": detail.records},
            "now": now,
            "attachment_form": AttachmentForm(),
            "reassign_form": ReassignCustomerForm() if may_relink else None,
            "nav": "complaints",
        },
    )


@login_required
@require_POST
def attachment_add(request, number: str):
    try:
        complaint = selectors.get_complaint(request.user, number, what="upload", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(request, exc)
    uploads = request.FILES.getlist("attachments")
    try:
        added = services.add_attachment(complaint, uploads, by=request.user)
    except Invalid as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(n)d file(s) added.") % {"n": len(added)})
    return redirect("complaints:detail", number=number)


@login_required
def attachment_download(request, number: str, pk: int):
    try:
        complaint = selectors.get_complaint(request.user, number, what="download", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(request, exc)
    att = complaint.attachments.filter(pk=pk).first()
    if att is None:
        raise Http404(_("no such attachment"))
    return files.file_response(request, att)


@login_required
@require_POST
def reassign_customer(request, number: str):
    if is_sales_only(request.user):
        return HttpResponseForbidden(_("Only staff outside sales may re-link a complaint."))
    try:
        complaint = selectors.get_complaint(request.user, number, what="relink", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(request, exc)
    form = ReassignCustomerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a customer code."))
    else:
        try:
            services.reassign_customer(complaint, form.cleaned_data["customer"], by=request.user)
        except Invalid as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request, _("Complaint linked to customer %(code)s.") % {"code": form.cleaned_data["customer"]}
            )
    return redirect("complaints:detail", number=number)


# --- daily check --------------------------------------------------------------


@login_required
def daily(request):
    raw = request.GET.get("date", "")
    try:
        day = parse_date(raw) if raw else None
    except ValueError:
        day = None
    if raw and day is None:
        messages.error(request, _("Invalid date %(date)r; showing today.") % {"date": raw})
    day = day or timezone.localdate()
    check = selectors.daily_check(request.user, day)
    selectors.mark_lateness(check.complaints, timezone.now())
    return render(
        request,
        "complaints/daily.html",
        {
            "check": check,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "today": timezone.localdate(),
            "now": timezone.now(),
            "nav": "daily",
        },
    )


# --- public form --------------------------------------------------------------

PUBLIC_SESSION_KEY = "public_complaint"


def public_form(request):
    form = PublicComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_bot:
            request.session.pop(PUBLIC_SESSION_KEY, None)
            return redirect("public:complaint-thanks")
        if form.is_valid():
            try:
                complaint = services.submit_public_complaint(
                    submitter_ip=client_ip(request), **form.service_kwargs()
                )
            except services.RateLimited as exc:
                return render(
                    request, "complaints/public_rate_limited.html", {"message": exc.detail}, status=429
                )
            except Invalid as exc:
                form.add_service_error(exc)
            else:
                form.files_done()
                request.session[PUBLIC_SESSION_KEY] = complaint.number
                return redirect("public:complaint-thanks")
        form.keep_files()  # refused: the photos stay for the next try
    return render(
        request,
        "complaints/public_form.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def public_thanks(request):
    number = request.session.get(PUBLIC_SESSION_KEY)
    complaint = (
        Complaint.objects.filter(number=number).only("number", "answer_by").first() if number else None
    )
    return render(
        request,
        "complaints/public_thanks.html",
        {"complaint": complaint, "form_url": reverse("public:complaint-form")},
    )


# --- public status page -------------------------------------------------------


def public_status(request):
    """A customer reads where their complaint stands: number plus a phone on it, no account;
    status and dates only, never what the departments wrote (issue 13)."""
    form = PublicStatusForm(request.POST or None)
    complaint, refused = None, False
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.public_status(
                form.cleaned_data["number"], form.cleaned_data["phone"], submitter_ip=client_ip(request)
            )
        except services.RateLimited as exc:
            heading = _("Too many look-ups from your address")
            context = {"message": exc.detail, "heading": heading}
            return render(request, "complaints/public_rate_limited.html", context, status=429)
        refused = complaint is None
    status = 200 if request.method == "GET" or complaint is not None else 422
    return render(
        request,
        "complaints/public_status.html",
        {"form": form, "complaint": complaint, "refused": refused, "phase": public_phase(complaint)},
        status=status,
    )


def public_phase(complaint) -> str:
    """What the customer is told: received, being handled or closed (no internal step)."""
    if complaint is None:
        return ""
    if not complaint.is_open:
        return pgettext("public status", "Closed")
    if complaint.status == "registered":
        return pgettext("public status", "Received")
    return pgettext("public status", "Being handled")
