"""The organisation of the glossary: departments with stable codes, and user setup."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.db import transaction

from . import access
from .choices import DepartmentCode
from .models import Department, Membership

DEPARTMENT_NAMES = {
    DepartmentCode.SALES: "业务部 / 客服",
    DepartmentCode.QUALITY: "品质部",
    DepartmentCode.GM_OFFICE: "总经理室生产管理组",
    DepartmentCode.PRODUCTION: "制造部",
    DepartmentCode.RD: "研发部",
    DepartmentCode.ACCOUNTING: "会计科",
    DepartmentCode.WAREHOUSE: "成品仓储",
    DepartmentCode.MANAGEMENT_REP: "管理者代表",
}


def ensure_departments() -> dict[str, Department]:
    """Create the departments of the glossary if missing; returns them by code."""
    existing = {d.code: d for d in Department.objects.all()}
    for code, name in DEPARTMENT_NAMES.items():
        if code not in existing:
            existing[code] = Department.objects.create(code=code, name=name)
    return existing


CACHE_SECONDS = 30
_departments: tuple[float, dict[str, Department]] | None = None


def _by_code() -> dict[str, Department]:
    global _departments
    if _departments is None or time.monotonic() - _departments[0] >= CACHE_SECONDS:
        _departments = (time.monotonic(), {d.code: d for d in Department.objects.all()})
    return _departments[1]


def department(code: str) -> Department:
    """The department with a stable code, from this process's copy (no query while it is fresh).

    Hot paths (every intake puts its first step on the GM office) ask for it; a
    change to a department is seen at once in this process (signal) and within
    ``CACHE_SECONDS`` in the others.
    """
    found = _by_code().get(code)
    # A missing department is created in the caller's transaction, which may yet
    # roll back: not remembered until it is read back committed.
    return found if found is not None else ensure_departments()[code]


def departments_by_id(*, needed=()) -> dict[int, Department]:
    """Every department by id, from this process's copy; read afresh if one of ``needed`` is missing."""
    found = {d.pk: d for d in _by_code().values()}
    if any(pk not in found for pk in needed):
        forget_departments()
        found = {d.pk: d for d in _by_code().values()}
    return found


def forget_departments(**_) -> None:
    global _departments
    _departments = None


@transaction.atomic
def create_user(username: str, *, password: str | None, memberships: list[tuple[str, str]], **fields):
    """Create a user with (department code, role) memberships."""
    depts = ensure_departments()
    user = get_user_model().objects.create_user(username=username, password=password, **fields)
    for code, role in memberships:
        Membership.objects.create(user=user, department=depts[code], role=role)
    access.forget(user)
    return user
