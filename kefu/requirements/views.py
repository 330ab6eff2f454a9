"""Requirement register pages: the CSR register, a requirement with its department reviews and the
engine's action panel, the checklist (and its Excel), the HSF page and a cycle, files. Parse,
call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.complaints import attachments as files
from kefu.core.errors import Forbidden, Invalid, KefuError, NotFound

from . import export, selectors, services
from .forms import ChangeCycleForm, CycleFilterForm, FileForm, FilterForm, RequirementForm
from .models import CsrDocument, RequirementFile
from .workflow import CSR_FLOW, HSF_FLOW


def _denied(request, message: str):
    return render(
        request, "requirements/denied.html", {"message": message, "nav": "requirements"}, status=403
    )


def _refused(error: KefuError, request=None):
    if isinstance(error, NotFound):
        raise Http404(error.detail)
    if request is None:
        return HttpResponseForbidden(error.detail)
    return _denied(request, error.detail)


def _history(flow, history):
    own = {"open": _("Opened"), "attach": _("Files added")}
    for e in history:
        e.label = flow.label_of(e.action) if e.action in flow.actions else own.get(e.action, e.action)
        e.state_label = flow.status_label(e.to_state) if e.to_state else ""
    return history


@login_required
def requirement_list(request):
    form = FilterForm(request.GET or None)
    error = None
    try:
        filters = selectors.RequirementFilters.parse(request.GET)
        page = selectors.page_of(request.user, filters, request.GET.get("page"), request.GET.get("page_size"))
    except KefuError as exc:
        error, page = exc.detail, selectors.empty()
    params = request.GET.copy()
    params.pop("page", None)
    now = timezone.now()
    for r in page.items:
        r.late = r.due_at is not None and r.closed_at is None and r.due_at < now
    return render(
        request,
        "requirements/list.html",
        {"form": form, "page": page, "rows": page.items, "error": error, "query": params.urlencode(),
         "nav": "requirements"},
    )  # fmt: skip


def _lines(text: str) -> list[dict]:
    out = []
    for line in (text or "").splitlines():
        cells = [c.strip() for c in line.replace("｜", "|").split("|")] + ["", ""]
        if cells[0]:
            out.append({"number": cells[0], "title": cells[1], "revision": cells[2]})
    return out


@login_required
def requirement_create(request):
    if not services.may_register(request.user):
        return _denied(
            request, _("requirements are registered by sales, quality, the GM office or an executive")
        )
    form = RequirementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            customer = selectors.customer_for(request.user, d["customer"])
            req = services.register_requirement(
                by=request.user,
                customer=customer,
                document={"title": d["document_title"], "number": d["document_number"],
                          "revision": d["document_revision"], "date": d["document_date"]},
                clause=d["clause"], title=d["title"], text=d["text"], red_line=d["red_line"],
                departments=d["departments"], linked_documents=_lines(d["linked_documents"]),
            )  # fmt: skip
        except (Invalid, NotFound) as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        except Forbidden as exc:
            form.add_error("customer", exc.detail)
        else:
            messages.success(request, _("Requirement %(number)s registered.") % {"number": req.number})
            return redirect("requirements:detail", number=req.number)
    status = 422 if request.method == "POST" else 200
    return render(request, "requirements/form.html", {"form": form, "nav": "requirements"}, status=status)


@login_required
def requirement_detail(request, number: str):
    try:
        detail = selectors.requirement_detail(request.user, number, request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc, request)
    _history(CSR_FLOW, detail.history)
    return render(
        request,
        "requirements/detail.html",
        {"req": detail.requirement, "detail": detail, "file_form": FileForm(initial={"kind": "linked"}),
         "nav": "requirements"},
    )  # fmt: skip


def _checklist(request):
    code = (request.GET.get("customer") or "").strip()
    document = request.GET.get("document") or None
    try:
        document = int(document) if document else None
    except ValueError:
        document = None
    return code, selectors.checklist(request.user, code, document=document) if code else None


@login_required
def checklist(request):
    try:
        code, data = _checklist(request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc, request)
    return render(
        request,
        "requirements/checklist.html",
        {"code": code, "data": data, "query": request.GET.urlencode(), "nav": "requirements"},
    )


@login_required
def checklist_xlsx(request):
    try:
        code, data = _checklist(request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc, request)
    if data is None:
        raise Http404(_("name the customer"))
    body = export.checklist_xlsx(data)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename=csr-checklist-{data.customer.code}.xlsx"
    return response


@login_required
def hsf(request):
    form = CycleFilterForm(request.GET or None)
    error = None
    try:
        filters = selectors.CycleFilters.parse(request.GET)
        page = selectors.paginate(selectors.cycle_list(request.user, filters), request.GET.get("page"), 50)
    except KefuError as exc:
        error, page = exc.detail, selectors.empty()
    customer = (request.GET.get("customer") or "").strip()
    limits = list(selectors.current_limits(request.user, customer)[:500])
    by_customer: dict = {}
    for lim in limits:
        by_customer.setdefault(lim.customer, []).append(lim)
    return render(
        request,
        "requirements/hsf.html",
        {"form": form, "page": page, "cycles": page.items, "error": error, "by_customer": by_customer.items(),
         "laws": list(selectors.current_laws()), "change_form": ChangeCycleForm(), "nav": "requirements"},
    )  # fmt: skip


@login_required
@require_POST
def change_cycle(request):
    form = ChangeCycleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("requirements:hsf")
    try:
        customer = selectors.customer_for(request.user, form.cleaned_data["customer"])
        cycle = services.open_change_cycle(customer, by=request.user, reason=form.cleaned_data["reason"])
    except KefuError as exc:
        messages.error(request, exc.detail)
        return redirect("requirements:hsf")
    messages.success(request, _("HSF cycle %(number)s opened.") % {"number": cycle.number})
    return redirect("requirements:cycle", number=cycle.number)


@login_required
def cycle_detail(request, number: str):
    try:
        detail = selectors.cycle_detail(request.user, number, request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc, request)
    _history(HSF_FLOW, detail.history)
    return render(
        request, "requirements/cycle.html", {"cycle": detail.cycle, "detail": detail, "nav": "requirements"}
    )


@login_required
@require_POST
def files_add(request, code: str):
    try:
        customer = selectors.customer_for(request.user, code, what="upload")
        services.require_registrar(request.user)
    except (NotFound, Forbidden) as exc:
        return _refused(exc, request)
    form = FileForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/"):
        back = f"/customers/{code}/"
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(back)
    req = doc = None
    try:
        if request.POST.get("requirement"):
            req = CSR_FLOW.lookup(request.user, request.POST["requirement"], what="upload")
            doc = None
        if request.POST.get("document"):
            doc = CsrDocument.objects.filter(customer=customer, pk=request.POST["document"]).first()
        added = services.add_files(
            customer, request.FILES.getlist("attachments"), by=request.user, kind=form.cleaned_data["kind"],
            document=doc, requirement=req, dated=form.cleaned_data["dated"],
        )  # fmt: skip
    except Invalid as exc:
        messages.error(request, exc.detail)
    except (NotFound, Forbidden) as exc:
        return _refused(exc, request)
    else:
        messages.success(request, _("%(n)d file(s) added.") % {"n": len(added)})
    return redirect(back)


@login_required
def file_download(request, pk: int):
    f = RequirementFile.objects.select_related("customer").filter(pk=pk).first()
    if f is None:
        raise Http404(_("no such file"))
    try:
        selectors.customer_for(request.user, f.customer.code, what=f"download file {pk}")
    except (NotFound, Forbidden) as exc:
        return _refused(exc, request)
    return files.file_response(request, f)
