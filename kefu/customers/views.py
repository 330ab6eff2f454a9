"""Customer pages: parse, call access / services / selectors, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.core import errors, pagination
from kefu.core.errors import Forbidden, KefuError, NotFound
from kefu.core.pagination import paginate

from . import access, excel, selectors, services
from .forms import (
    ContactFormSet,
    CustomerFilterForm,
    CustomerForm,
    GradeForm,
    GrantForm,
    ImportForm,
    contacts_from,
)
from .tabs import tabs_for

PAGE_SIZE = 50


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def _denied(request, exc: KefuError):
    return render(request, "customers/denied.html", {"message": exc.detail, "nav": "customers"}, status=403)


def _read(request, code: str):
    """The customer through ``access_customer`` (logged); 404 / 403 pages otherwise."""
    try:
        return access.access_customer(request.user, code, request=request)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@login_required
@require_GET
def customer_list(request):
    form = CustomerFilterForm(request.GET or None)
    try:
        filters = selectors.parse_filters(request.GET)
        page = paginate(selectors.customer_list(request.user, filters), request.GET.get("page"), PAGE_SIZE)
    except KefuError as exc:
        messages.error(request, errors.on_page(exc, form))
        filters = selectors.CustomerFilters()
        page = pagination.empty(PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "query": filters.as_query(),
        "can_export": access.can_export(request.user),
        "can_edit": access.can_edit(request.user),
        "can_import": access.can_manage(request.user),
        "nav": "customers",
    }
    htmx = _is_htmx(request)
    # The export link follows the filters: an htmx answer carries it out of band (once; the
    # full page has its own in the page head).
    context["oob"] = htmx
    template = "customers/_partials/customer_table.html" if htmx else "customers/list.html"
    return render(request, template, context)


@login_required
@require_GET
def customer_detail(request, code: str):
    try:
        customer = _read(request, code)
    except Forbidden as exc:
        return _denied(request, exc)
    tabs = tabs_for(request.user, customer)
    current = next((t for t in tabs if t.key == request.GET.get("tab")), tabs[0])
    context = {
        "customer": customer,
        "tabs": tabs,
        "tab": current,
        "can_edit": access.can_edit(request.user),
        "nav": "customers",
    }
    context.update(current.context(request, customer))
    return render(request, "customers/detail.html", context)


def _render_form(request, form, formset, customer=None):
    refused = request.method == "POST"  # a valid POST has been redirected
    return render(
        request,
        "customers/form.html",
        {"form": form, "formset": formset, "customer": customer, "nav": "customers"},
        status=422 if refused else 200,
    )


@login_required
def customer_create(request):
    if not access.can_edit(request.user):
        return _denied(
            request, Forbidden(_("Only sales, sales managers and executives create customer records."))
        )
    form = CustomerForm(request.POST or None)
    formset = ContactFormSet(request.POST or None, prefix="contacts")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            customer = services.create_customer(
                by=request.user, contacts=contacts_from(formset), **form.cleaned_data
            )
        except KefuError as exc:
            errors.add_to_form(form, exc)
        else:
            messages.success(request, _("Customer %(code)s created.") % {"code": customer.code})
            return redirect("customers:detail", code=customer.code)
    return _render_form(request, form, formset)


@login_required
def customer_edit(request, code: str):
    try:
        customer = _read(request, code)
        if not access.can_edit(request.user):
            raise Forbidden(_("You may not change customer records."))
    except Forbidden as exc:
        return _denied(request, exc)
    can_reassign = access.can_manage(request.user)
    initial = {
        f: getattr(customer, f)
        for f in ("name", "region", "is_key", "area", "address", "legal_representative", "products", "notes")
    }
    initial["owner"] = customer.owner
    contacts = [
        {
            "id": c.pk,
            "name": c.name,
            "title": c.title,
            "phone": c.phone,
            "mobile": c.mobile,
            "email": c.email,
            "is_primary": c.is_primary,
        }
        for c in customer.contacts.all()
    ]
    form = CustomerForm(request.POST or None, initial=initial, editing=True, can_reassign=can_reassign)
    formset = ContactFormSet(request.POST or None, initial=contacts, prefix="contacts")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.update_customer(
                customer, by=request.user, contacts=contacts_from(formset), **form.cleaned_data
            )
        except KefuError as exc:
            errors.add_to_form(form, exc)
        else:
            messages.success(request, _("Customer %(code)s saved.") % {"code": customer.code})
            return redirect("customers:detail", code=customer.code)
    return _render_form(request, form, formset, customer)


def _tab_url(customer, tab: str) -> str:
    return reverse("customers:detail", kwargs={"code": customer.code}) + f"?tab={tab}"


@login_required
@require_POST
def customer_grade(request, code: str):
    try:
        customer = _read(request, code)
    except Forbidden as exc:
        return _denied(request, exc)
    form = GradeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A grade change needs a grade and a reason."))
    else:
        try:
            services.change_grade(
                customer, form.cleaned_data["grade"], form.cleaned_data["reason"], request.user
            )
        except KefuError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request, _("Grade changed to %(grade)s.") % {"grade": form.cleaned_data["grade"]}
            )
    return redirect(_tab_url(customer, "grades"))


@login_required
@require_POST
def customer_grant(request, code: str):
    try:
        customer = _read(request, code)
    except Forbidden as exc:
        return _denied(request, exc)
    form = GrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a user and give a reason."))
    else:
        try:
            services.grant_access(
                customer, form.cleaned_data["user"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except KefuError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Access granted."))
    return redirect(_tab_url(customer, "access"))


@login_required
@require_POST
def customer_revoke(request, code: str, username: str):
    try:
        customer = _read(request, code)
    except Forbidden as exc:
        return _denied(request, exc)
    user = get_user_model().objects.filter(username=username).first()
    try:
        if user is None:
            raise NotFound(_("no such user"), field="user")
        services.revoke_access(customer, user, by=request.user)
    except KefuError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Access revoked."))
    return redirect(_tab_url(customer, "access"))


@login_required
def customer_import(request):
    if not access.can_manage(request.user):
        return _denied(request, Forbidden(_("Only sales managers and executives import customer records.")))
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = excel.import_customers(form.cleaned_data["file"], by=request.user)
        except KefuError as exc:
            form.add_error("file", exc.rule)
        else:
            if report.ok:
                messages.success(request, _("%(n)d customers imported.") % {"n": report.created})
    return render(request, "customers/import.html", {"form": form, "report": report, "nav": "customers"})


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def import_template(request):
    if not access.can_edit(request.user):
        return _denied(request, Forbidden(_("You may not import customer records.")))
    return _xlsx(excel.template(), "customers-template.xlsx")


@login_required
@require_GET
def customer_export(request):
    """The filtered list as .xlsx: permission checked and the export logged (R1.2)."""
    try:
        filters = selectors.parse_filters(request.GET)
        access.require_export(request.user, detail=filters.as_query(), request=request)
    except Forbidden as exc:
        return _denied(request, exc)
    except KefuError as exc:
        messages.error(request, exc.detail)
        return redirect("customers:list")
    customers = list(selectors.customer_list(request.user, filters).prefetch_related("contacts"))
    access.log_export(request.user, detail=filters.as_query() or "all", count=len(customers), request=request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx(excel.export(customers), f"customers-{stamp}.xlsx")
