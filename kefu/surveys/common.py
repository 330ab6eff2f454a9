"""What every survey service shares: the clock, the acting user, the customers by code, and who may
run the surveys (one place, used by the API and the pages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import access
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import Forbidden, Invalid
from kefu.core.workcalendar import TZ


def now_or(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, TZ).date()


def actor(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


# --- who may -----------------------------------------------------------------------------------------------


def may_run_surveys(user) -> bool:
    """Sales runs the survey (004 3.1: 营销部是顾客满意度监视和测量的归口管理部门); the executives
    and the management representative may as well."""
    return access.in_department(user, D.SALES) or (access.is_executive(user) and access.rank(user) > 0)


def require_survey_staff(user) -> None:
    if not may_run_surveys(user):
        raise Forbidden(_("surveys are run by sales, the management representative or an executive"))


def may_edit_templates(user) -> bool:
    return access.is_admin(user) or access.in_department(user, D.SALES, min_role=Role.MANAGER)


def customers(codes: Iterable) -> list:
    """Customer records for codes (or records), sorted by code; unknown codes are 422 naming
    ``customers``."""
    from kefu.customers.models import Customer

    wanted, out, missing = [], [], []
    for c in codes:
        if isinstance(c, Customer):
            out.append(c)
        else:
            wanted.append(str(c))
    found = {c.code: c for c in Customer.objects.filter(code__in=wanted)}
    for code in wanted:
        if code not in found:
            missing.append(code)
        else:
            out.append(found[code])
    if missing:
        raise Invalid(_("no customer %(codes)s") % {"codes": ", ".join(missing)}, field="customers")
    unique = {c.pk: c for c in out}
    return sorted(unique.values(), key=lambda c: c.code)
