import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, services
from .workcalendar import WorkCalendar, missing_years


@login_required
def home(request):
    return redirect("complaints:list")


@login_required
def profile(request):
    tokens = request.user.api_tokens.all()
    new_token = request.session.pop("new_token", None)
    return render(
        request,
        "core/profile.html",
        {
            "tokens": tokens,
            "new_token": new_token,
            "memberships": request.user.memberships.select_related("department"),
        },
    )


@login_required
@require_POST
def token_create(request):
    key = services.create_token(request.user, name=request.POST.get("name", "")[:100])
    request.session["new_token"] = key
    messages.success(request, _("New API token created. Copy it now: it is shown only once."))
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request, pk: int):
    services.revoke_token(request.user, pk)
    messages.success(request, _("Token revoked."))
    return redirect("profile")


@login_required
def system_status(request):
    if not access.is_admin(request.user):
        return redirect("home")
    today = timezone.localdate()
    cal = WorkCalendar.load()
    missing = missing_years(cal, range(today.year, today.year + 2))
    return render(request, "core/system_status.html", {"missing_years": missing, "today": today, "dt": dt})


def locked_out(request, original_response=None, credentials=None):
    """The login page's answer once django-axes locks a username at an address (429).

    settings.AXES_LOCKOUT_CALLABLE: axes calls it for the login page and the admin's.
    """
    from axes.helpers import get_client_username, get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    return render(
        request,
        "core/locked_out.html",
        {"username": get_client_username(request, credentials) or "", "minutes": minutes},
        status=429,
    )
