"""Customer audit pages: list, plan, detail (meetings, P / D / C / A folders, nonconformities and
their 8Ds, the customer's earlier audits, the engine's action panel, the history), a
nonconformity, documents, the improvement report. Parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.complaints import attachments as files
from kefu.core.choices import DepartmentCode as D
from kefu.core.errors import Conflict, Forbidden, Invalid, KefuError, NotFound
from kefu.core.workcalendar import TZ
from kefu.flow import access as flow_access

from . import report, selectors, services
from .forms import AttachmentForm, AuditForm, FilterForm, NonconformityForm
from .models import Status
from .workflow import FLOW


def _refused(error: KefuError):
    if isinstance(error, NotFound):
        raise Http404(error.detail)
    return HttpResponseForbidden(error.detail)


@login_required
def audit_list(request):
    form = FilterForm(request.GET or None)
    error = None
    try:
        filters = selectors.AuditFilters.parse(request.GET)
        page = selectors.page(request.user, filters, request.GET.get("page"), request.GET.get("page_size"))
    except KefuError as exc:
        error, page = exc.detail, selectors.empty()
    params = request.GET.copy()
    params.pop("page", None)
    now = timezone.now()
    for a in page.items:
        a.late = a.due_at is not None and a.closed_at is None and a.due_at < now
    return render(
        request,
        "audits/audit_list.html",
        {
            "form": form,
            "page": page,
            "audits": page.items,
            "error": error,
            "query": params.urlencode(),
            "nav": "audits",
        },
    )


@login_required
def audit_create(request):
    initial = {"customer": request.GET.get("customer", "")}
    form = AuditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.rows()
        try:
            services.require_planner(request.user)
            customer = services._customer(data.pop("customer"))
            if not flow_access.may_see_customer(request.user, customer.pk):
                raise Forbidden(_("you may not see customer %(code)s") % {"code": customer.code})
            tz = timezone.get_current_timezone()
            for f in ("planned_start", "planned_end"):
                if timezone.is_naive(data[f]):
                    data[f] = timezone.make_aware(data[f], tz)
            a = services.plan_audit(by=request.user, customer=customer, **data)
        except Invalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        except Forbidden as exc:
            return HttpResponseForbidden(exc.detail)
        else:
            messages.success(request, _("Audit %(number)s planned.") % {"number": a.number})
            return redirect("audits:detail", number=a.number)
    return render(request, "audits/audit_form.html", {"form": form, "nav": "audits"})


@login_required
def audit_detail(request, number: str):
    try:
        detail = selectors.audit_detail(request.user, number, request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    own = {
        "open": _("Audit planned"),
        "attach": _("Files added"),
        "add_nonconformity": _("Nonconformity recorded"),
        "all_8ds_closed": _("All 8Ds closed"),
    }
    for e in detail.history:
        e.label = FLOW.label_of(e.action) if e.action in FLOW.actions else own.get(e.action, e.action)
        e.state_label = FLOW.status_label(e.to_state) if e.to_state else ""
    a = detail.audit
    skipped = {
        "passed": _("its date had passed"),
        "closed": _("the audit was closed"),
        "moved": _("the date moved"),
        "gone": _("no longer applies"),
    }
    for n in detail.notices:
        spec = FLOW.notices.get(n.code)
        n.label = spec.label if spec is not None else n.code
        n.why = skipped.get(n.skipped, n.skipped)
    for m in detail.meetings:
        m.ours, m.theirs = m.side("ours"), m.side("customer")
    departments = [
        {"label": D(d["department"]).label if d.get("department") in D.values else d.get("department"),
         "manager": d.get("manager", "")}
        for d in a.departments or []
    ]  # fmt: skip
    return render(
        request,
        "audits/audit_detail.html",
        {
            "audit": a,
            "detail": detail,
            "workflow": {"steps": detail.steps},
            "nc_form": NonconformityForm() if a.status in services.NC_STATES else None,
            "attachment_form": AttachmentForm(),
            "departments": departments,
            "notices": detail.notices,
            "closed": a.status in (Status.CLOSED, Status.CANCELLED),
            "nav": "audits",
        },
    )


@login_required
@require_POST
def nonconformity_add(request, number: str):
    try:
        a = FLOW.lookup(request.user, number, what="add nonconformity", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    form = NonconformityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("audits:detail", number=number)
    try:
        nc = services.add_nonconformity(a, by=request.user, **form.cleaned_data)
    except Forbidden as exc:
        return HttpResponseForbidden(exc.detail)
    except (Invalid, Conflict) as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Nonconformity %(key)s recorded.") % {"key": nc.key})
    return redirect("audits:detail", number=number)


@login_required
@require_POST
def attachment_add(request, number: str):
    try:
        a = FLOW.lookup(request.user, number, what="upload", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    try:
        added = services.add_attachments(
            a,
            request.FILES.getlist("attachments"),
            by=request.user,
            folder=request.POST.get("folder", "p"),
            customer_format=request.POST.get("customer_format") in ("on", "true", "1"),
        )
    except Invalid as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(n)d file(s) added.") % {"n": len(added)})
    return redirect("audits:detail", number=number)


@login_required
def attachment_download(request, number: str, pk: int):
    try:
        a = FLOW.lookup(request.user, number, what="download", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    att = a.attachments.filter(pk=pk).first()
    if att is None:
        raise Http404(_("no such file"))
    return files.file_response(request, att)


@login_required
def report_pdf(request, number: str):
    """The improvement report (整改报告) as PDF: every nonconformity with its 8D."""
    try:
        detail = selectors.audit_detail(request.user, number, what="export pdf", request=request)
    except (NotFound, Forbidden) as exc:
        return _refused(exc)
    response = HttpResponse(report.pdf(detail), content_type="application/pdf")
    day = timezone.localtime(timezone.now(), TZ).strftime("%Y%m%d")
    response["Content-Disposition"] = f"attachment; filename={number}-{day}.pdf"
    return response
