"""Who someone is in the organisation: departments and roles (R1.1).

Memberships are read once per request and cached on the user object.
"""

from __future__ import annotations

from .choices import ROLE_RANK, DepartmentCode, Role

_CACHE_ATTR = "_kefu_memberships"


def memberships(user) -> list[tuple[str, str]]:
    """(department code, role) pairs of ``user``; cached on the instance."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(user.memberships.values_list("department__code", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def departments(user) -> set[str]:
    return {dept for dept, _role in memberships(user)}


def roles(user) -> set[str]:
    found = {role for _dept, role in memberships(user)}
    if getattr(user, "is_superuser", False):
        found.add(Role.ADMIN)
    return found


def in_department(user, code: str, *, min_role: str | None = None) -> bool:
    for dept, role in memberships(user):
        if dept == code and (min_role is None or ROLE_RANK[role] >= ROLE_RANK[min_role]):
            return True
    return False


def has_role(user, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def rank(user) -> int:
    """Highest authority rank of the user over all departments (authority matrix)."""
    return max((ROLE_RANK[r] for r in roles(user)), default=0)


def is_admin(user) -> bool:
    return getattr(user, "is_superuser", False) or Role.ADMIN in roles(user)


EXECUTIVE_ROLES = (Role.GM, Role.DEPUTY_GM, Role.MANAGEMENT_REP, Role.ADMIN)


def is_executive(user) -> bool:
    """GM, deputy GM, management rep or admin: sees the whole company."""
    return is_admin(user) or has_role(user, Role.GM, Role.DEPUTY_GM, Role.MANAGEMENT_REP)


def is_sales_only(user) -> bool:
    """A sales clerk with no other department: limited to their own customers (R1.2)."""
    pairs = memberships(user)
    if not pairs or is_executive(user):
        return False
    return all(dept == DepartmentCode.SALES and role == Role.CLERK for dept, role in pairs)


def limiting_membership(code: str, role: str) -> bool:
    """A membership whose holder may see only some customers (a sales clerk's, R1.2): the holder of
    any other membership sees them all."""
    return code == DepartmentCode.SALES and role == Role.CLERK


def is_manager_of(user, code: str) -> bool:
    return is_executive(user) or in_department(user, code, min_role=Role.MANAGER)
