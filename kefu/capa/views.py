"""Corrective action pages: list, new, detail (the eight disciplines, the engine's action panel,
the history), evidence upload and download, the monthly Pareto. Parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.complaints import attachments as files
from kefu.core.errors import Forbidden, Invalid, KefuError, NotFound
from kefu.core.workcalendar import TZ

from . import selectors, services, tables
from .forms import AttachmentForm, CapaForm, FilterForm
from .models import DocumentKind
from .workflow import FLOW


def _refused(error: KefuError):
    if isinstance(error, NotFound):
        raise Http404(error.detail)
    return HttpResponseForbidden(error.detail)


@login_required
def capa_list(request):
    form = FilterForm(request.GET or None)
    error = None
    try:
        filters = selectors.CapaFilters.parse(request.GET)
        page = selectors.paginate(
            selectors.capa_list(request.user, filters), request.GET.get("page"), request.GET.get("page_size")
        )
    except KefuError as exc:
        error, page = exc.detail, selectors.empty()
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "capa/capa_list.html",
        {
            "form": form,
            "page": page,
            "capas": page.items,
            "rows": tables.capa_rows(page.items),
            "error": error,
            "query": params.urlencode(),
            "nav": "capa",
        },
    )


@login_required
def capa_create(request):
    form = CapaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.require_opener(request.user)
            capa = services.open_capa(by=request.user, **data)
        except Invalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        except Forbidden as exc:
            return HttpResponseForbidden(exc.detail)
        else:
            messages.success(request, _("Corrective action %(number)s opened.") % {"number": capa.number})
            return redirect("capa:detail", number=capa.number)
    return render(request, "capa/capa_form.html", {"form": form, "nav": "capa"})


@login_required
def capa_detail(request, number: str):
    try:
        detail = selectors.capa_detail(request.user, number, request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    for e in detail.history:  # the history in words: the action's and the state's labels
        own = {"open": _("Opened"), "attach": _("Files added")}
        e.label = FLOW.label_of(e.action) if e.action in FLOW.actions else own.get(e.action, e.action)
        e.state_label = FLOW.status_label(e.to_state) if e.to_state else ""
    kinds = dict(DocumentKind.choices)
    documents = [{**d, "label": kinds.get(d.get("kind"), d.get("kind"))} for d in detail.capa.documents or []]
    return render(
        request,
        "capa/capa_detail.html",
        {
            "capa": detail.capa,
            "detail": detail,
            "workflow": {"steps": detail.steps},
            "source_url": selectors.source_url(detail.capa),
            "documents": documents,
            "attachment_form": AttachmentForm(),
            "nav": "capa",
        },
    )


@login_required
@require_POST
def attachment_add(request, number: str):
    try:
        capa = FLOW.lookup(request.user, number, what="upload", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    try:
        added = services.add_attachments(
            capa,
            request.FILES.getlist("attachments"),
            by=request.user,
            kind=request.POST.get("kind", "evidence"),
        )
    except Invalid as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(n)d file(s) added.") % {"n": len(added)})
    return redirect("capa:detail", number=number)


@login_required
def attachment_download(request, number: str, pk: int):
    try:
        capa = FLOW.lookup(request.user, number, what="download", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    att = capa.attachments.filter(pk=pk).first()
    if att is None:
        raise Http404(_("no such file"))
    return files.file_response(request, att)


@login_required
def analysis(request):
    """The monthly analysis of nonconformities by frequency and severity (R6.5, 000 4.7.3)."""
    month = request.GET.get("month") or timezone.localtime(timezone.now(), TZ).strftime("%Y-%m")
    error = None
    try:
        rows = selectors.pareto(request.user, month)
    except KefuError as exc:
        error, rows = exc.detail, []
    chart = {
        "types": [r["nonconformity"] for r in rows],
        "counts": [r["count"] for r in rows],
        "cumulative": [r["cumulative"] for r in rows],
    }
    return render(
        request,
        "capa/analysis.html",
        {"month": month, "rows": rows, "error": error, "chart": chart, "nav": "capa"},
    )


def _report(request, number: str, kind: str):
    from django.http import HttpResponse

    from . import report

    try:
        detail = selectors.capa_detail(request.user, number, what=f"export {kind}", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    if kind == "pdf":
        body, content_type = report.pdf(detail.capa), "application/pdf"
    else:
        body, content_type = (
            report.xlsx(detail.capa),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename={number}.{kind}"
    return response


@login_required
def report_pdf(request, number: str):
    """The 8D report as PDF, in the usual 8D layout."""
    return _report(request, number, "pdf")


@login_required
def report_xlsx(request, number: str):
    """The 8D report as an Excel workbook."""
    return _report(request, number, "xlsx")
