"""State changes of customer records (M2) and their access grants (R1.2).

One function per user action; each runs in one transaction and writes its
audit row in it. Field rules live in ``clean_fields`` / ``clean_contacts`` so
that pages, the API and the Excel import refuse the same input the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.core import access as core_access
from kefu.core import audit, config, outbox
from kefu.core.choices import DepartmentCode
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound

from . import access
from .choices import Grade, Region
from .models import Contact, Customer, CustomerGrant, GradeChange

CODE_RE = re.compile(r"^[\w.\-]+$")
# Fixed path segments under /customers/ that a code may not shadow.
RESERVED_CODES = {"new", "import", "export"}
TEXT_FIELDS = {
    "name": 200,
    "address": 300,
    "legal_representative": 100,
    "area": 100,
    "products": 4000,
    "notes": 4000,
}
CONTACT_FIELDS = {"name": 100, "title": 100, "phone": 50, "mobile": 50, "email": 254}
EDITABLE = set(TEXT_FIELDS) | {"region", "is_key", "owner"}
INITIAL_GRADE_REASON = GradeChange.INITIAL_REASON  # stored as is; GradeChange.reason_display translates it

Errors = list[tuple[str, str]]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def find_owner(value, lookup: Callable[[str], object] | None = None):
    """A User, or None for no owner; ``value`` is a User, a username or blank."""
    if value is None or value == "":
        return None
    if isinstance(value, get_user_model()):
        return value
    username = _text(value)
    if lookup is not None:
        return lookup(username)
    return get_user_model().objects.filter(username=username, is_active=True).first()


def clean_fields(data: dict, *, partial: bool = False, owner_lookup=None) -> tuple[dict, Errors]:
    """Check customer fields; returns the cleaned values and (field, message) errors.

    ``partial``: only the keys present are checked (an update).
    """
    clean: dict = {}
    errors: Errors = []
    if not partial or "code" in data:
        code = _text(data.get("code"))
        if not code:
            errors.append(("code", _("required")))
        elif len(code) > 32:
            errors.append(("code", _("at most %(n)d characters") % {"n": 32}))
        elif not CODE_RE.match(code) or code.lower() in RESERVED_CODES:
            errors.append(("code", _("letters, digits, '.', '-' and '_' only, and not new/import/export")))
        else:
            clean["code"] = code
    if not partial or "name" in data:
        if not _text(data.get("name")):
            errors.append(("name", _("required")))
    for field, limit in TEXT_FIELDS.items():
        if field in data:
            value = _text(data.get(field))
            if len(value) > limit:
                errors.append((field, _("at most %(n)d characters") % {"n": limit}))
            elif value or field != "name":
                clean[field] = value
    if not partial or "region" in data:
        region = _text(data.get("region")) or Region.DOMESTIC
        if region not in Region.values:
            errors.append(("region", _("must be domestic or foreign")))
        else:
            clean["region"] = region
    if not partial or "grade" in data:
        grade = _text(data.get("grade")) or Grade.C
        if grade not in Grade.values:
            errors.append(("grade", _("must be A, B, C or D")))
        else:
            clean["grade"] = grade
    if not partial or "is_key" in data:
        value = data.get("is_key", False)
        if not isinstance(value, bool):
            errors.append(("is_key", _("must be true or false")))
        else:
            clean["is_key"] = value
    if "owner" in data:
        owner = find_owner(data["owner"], owner_lookup)
        if data["owner"] not in (None, "") and owner is None:
            errors.append(("owner", _("no active user named %(name)s") % {"name": _text(data["owner"])}))
        else:
            clean["owner"] = owner
    return clean, errors


def clean_contacts(contacts: Iterable[dict] | None) -> tuple[list[dict], Errors]:
    """Check a contact list (name required, e-mail well-formed); errors name ``contacts.N.field``."""
    clean: list[dict] = []
    errors: Errors = []
    for i, raw in enumerate(contacts or []):
        item = {field: _text(raw.get(field)) for field in CONTACT_FIELDS}
        if not item["name"]:
            errors.append((f"contacts.{i}.name", _("required")))
        for field, limit in CONTACT_FIELDS.items():
            if len(item[field]) > limit:
                errors.append((f"contacts.{i}.{field}", _("at most %(n)d characters") % {"n": limit}))
        if item["email"]:
            try:
                validate_email(item["email"])
            except ValidationError:
                errors.append((f"contacts.{i}.email", _("not a valid e-mail address")))
        item["id"] = raw.get("id")
        item["is_primary"] = bool(raw.get("is_primary"))
        clean.append(item)
    if clean and not any(c["is_primary"] for c in clean):
        clean[0]["is_primary"] = True
    return clean, errors


def _raise_first(errors: Errors) -> None:
    if errors:
        field, message = errors[0]
        raise Invalid(message, field=field)


def _owner_name(user) -> str:
    return user.get_username() if user is not None else ""


def _insert(clean: dict, contacts: list[dict], *, by, source: str) -> Customer:
    """Write a checked customer, its contacts, its first grade and the audit row."""
    customer = Customer.objects.create(**clean)
    Contact.objects.bulk_create(
        [Contact(customer=customer, **{k: v for k, v in c.items() if k != "id"}) for c in contacts]
    )
    GradeChange.objects.create(
        customer=customer, from_grade="", to_grade=customer.grade, reason=INITIAL_GRADE_REASON, changed_by=by
    )
    data = {k: v for k, v in clean.items() if k != "owner"}
    data.update(owner=_owner_name(clean.get("owner")), contacts=[c["name"] for c in contacts], source=source)
    audit.record(customer, "create", by=by, to_state=customer.grade, data=data)
    return customer


@transaction.atomic
def create_customer(*, by, contacts: list[dict] | None = None, source: str = "form", **fields) -> Customer:
    """Register a customer record with its contacts (R2.1, 002 篇10).

    A sales clerk may only create customers they own; with no owner given the
    record is theirs, so they do not lose sight of it at once (R1.2).
    """
    if not access.can_edit(by):
        raise Forbidden(
            _("only sales, sales managers and executives create customer records"), field="customer"
        )
    fields.setdefault("owner", None)
    clean, errors = clean_fields(fields)
    contact_list, contact_errors = clean_contacts(contacts)
    _raise_first(errors + contact_errors)
    if core_access.is_sales_only(by):
        if clean["owner"] is None:
            clean["owner"] = by
        elif clean["owner"].pk != by.pk:
            raise Forbidden(_("a sales clerk may only create customers they own"), field="owner")
    if Customer.objects.filter(code=clean["code"]).exists():
        raise Conflict(_("a customer with this code already exists"), field="code")
    try:
        with transaction.atomic():
            return _insert(clean, contact_list, by=by, source=source)
    except IntegrityError as exc:  # a concurrent create with the same code
        raise Conflict(_("a customer with this code already exists"), field="code") from exc


def _sync_contacts(customer: Customer, contacts: list[dict]) -> dict:
    existing = {c.pk: c for c in customer.contacts.all()}
    kept: set[int] = set()
    added, changed = [], []
    for item in contacts:
        values = {k: v for k, v in item.items() if k != "id"}
        pk = item.get("id")
        if pk:
            try:
                contact = existing[int(pk)]
            except (KeyError, ValueError, TypeError):
                raise Invalid(
                    _("no contact %(id)s on this customer") % {"id": pk}, field="contacts"
                ) from None
            kept.add(contact.pk)
            if any(getattr(contact, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(contact, k, v)
                contact.save()
                changed.append(contact.name)
        else:
            Contact.objects.create(customer=customer, **values)
            added.append(values["name"])
    removed = [c for pk, c in existing.items() if pk not in kept]
    Contact.objects.filter(pk__in=[c.pk for c in removed]).delete()
    summary = {"added": added, "changed": changed, "removed": [c.name for c in removed]}
    return {k: v for k, v in summary.items() if v}


@transaction.atomic
def update_customer(customer: Customer, *, by, contacts: list[dict] | None = None, **changes) -> Customer:
    """Change a customer's fields (and, when given, replace its contact list).

    The audit row records each changed field as [old, new] (R2.1 change
    history). The code never changes; the grade changes only through
    ``change_grade`` with a reason (R2.2); the owner is reassigned by a sales
    manager or an executive.
    """
    if not access.can_edit(by) or not access.may_read(by, customer):
        raise Forbidden(_("you may not change this customer record"), field="customer")
    if "grade" in changes:
        raise Invalid(_("change the grade with a grade re-evaluation and its reason"), field="grade")
    if "code" in changes and _text(changes.pop("code")) != customer.code:
        raise Invalid(_("the code of a customer cannot be changed"), field="code")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise Invalid(_("not a customer field"), field=sorted(unknown)[0])
    clean, errors = clean_fields(changes, partial=True)
    contact_list, contact_errors = clean_contacts(contacts) if contacts is not None else ([], [])
    _raise_first(errors + contact_errors)

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    diff: dict = {}
    for field, value in clean.items():
        old = getattr(customer, field)
        if field == "owner":
            if (old.pk if old else None) == (value.pk if value else None):
                continue
            if not access.can_manage(by):
                raise Forbidden(_("only a sales manager or an executive reassigns a customer"), field="owner")
            diff[field] = [_owner_name(old), _owner_name(value)]
        elif old == value:
            continue
        else:
            diff[field] = [old, value]
        setattr(customer, field, value)
    if diff:
        customer.save()
    if contacts is not None:
        contact_changes = _sync_contacts(customer, contact_list)
        if contact_changes:
            diff["contacts"] = contact_changes
            if "updated_at" not in diff:
                customer.save(update_fields=["updated_at"])
    if diff:
        audit.record(customer, "update", by=by, data={"changed": diff})
    return customer


@transaction.atomic
def change_grade(customer: Customer, grade: str, reason: str, by) -> Customer:
    """Re-evaluate a customer's grade; every change is kept with its reason (R2.2, 002 篇1 第二条)."""
    if not access.can_edit(by) or not access.may_read(by, customer):
        raise Forbidden(_("you may not re-grade this customer"), field="customer")
    grade = _text(grade).upper()
    reason = _text(reason)
    if grade not in Grade.values:
        raise Invalid(_("must be A, B, C or D"), field="grade")
    if not reason:
        raise Invalid(_("a grade change needs a reason"), field="reason")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.grade == grade:
        raise Conflict(_("the customer already has grade %(grade)s") % {"grade": grade}, field="grade")
    old = customer.grade
    customer.grade = grade
    customer.save(update_fields=["grade", "updated_at"])
    GradeChange.objects.create(
        customer=customer, from_grade=old, to_grade=grade, reason=reason, changed_by=by
    )
    audit.record(customer, "change_grade", by=by, from_state=old, to_state=grade, note=reason)
    return customer


@transaction.atomic
def grant_access(customer: Customer, user, *, by, reason: str) -> CustomerGrant:
    """Let ``user`` read a customer they do not own; only a sales manager or an executive grants (R1.2)."""
    if not access.can_manage(by):
        raise Forbidden(
            _("only a sales manager or an executive grants access to a customer record"), field="user"
        )
    if user is None or not user.is_active:
        raise Invalid(_("no such active user"), field="user")
    reason = _text(reason)
    if not reason:
        raise Invalid(_("a grant needs a reason"), field="reason")
    if CustomerGrant.objects.filter(customer=customer, user=user).exists():
        raise Conflict(_("%(user)s already has access") % {"user": user.get_username()}, field="user")
    grant = CustomerGrant.objects.create(customer=customer, user=user, granted_by=by, reason=reason[:200])
    notes = _grant_notices(customer, user, by=by, reason=reason)
    audit.record(
        customer,
        "grant_access",
        by=by,
        note=reason,
        data={"user": user.get_username(), "notified": [n.to for n in notes]},
    )
    return grant


def _grant_notices(customer: Customer, user, *, by, reason: str) -> list:
    """002 篇10 三: a grant of access to a customer file is made known to the sales manager and the
    operations manager (the setting ``customers.grant_notify_roles``): one outbox mail each."""
    roles = access.role_list(config.get("customers.grant_notify_roles"))
    if not roles:
        return []
    codes = {d for d, _role in roles if d} if all(d for d, _role in roles) else set(DepartmentCode.values)
    members = [
        m
        for m in outbox.members(codes, roles={role for _d, role in roles})
        if any(role == m.role and d in ("", m.department.code) for d, role in roles)
    ]
    return outbox.save(
        outbox.build(
            kind="customer_grant",
            subject=_("[%(code)s] Access granted to %(user)s") % {"code": customer.code, "user": _name(user)},
            body=_("%(by)s granted %(user)s access to the customer %(code)s %(name)s.\nReason: %(reason)s")
            % {
                "by": _name(by),
                "user": _name(user),
                "code": customer.code,
                "name": customer.name,
                "reason": reason,
            },
            memberships=members,
            obj_type="customer",
            obj_id=customer.code,
        )
    )


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def revoke_access(customer: Customer, user, *, by) -> None:
    """Withdraw a grant; the same people who grant may revoke (R1.2)."""
    if not access.can_manage(by):
        raise Forbidden(
            _("only a sales manager or an executive revokes access to a customer record"), field="user"
        )
    deleted, _rows = CustomerGrant.objects.filter(customer=customer, user=user).delete()
    if not deleted:
        raise NotFound(_("this user has no grant on this customer"), field="user")
    audit.record(customer, "revoke_access", by=by, data={"user": user.get_username()})


@transaction.atomic
def import_checked(items: list[tuple[dict, list[dict]]], *, by, progress=None) -> int:
    """Save customers an import has fully checked: all of them or none (one transaction).

    Bulk registration is for sales managers and executives (R1.2: records are
    assigned to their owners, not taken by whoever uploads them).
    """
    if not access.can_manage(by):
        raise Forbidden(_("only a sales manager or an executive imports customer records"), field="file")
    codes = [clean["code"] for clean, _contacts in items]
    taken = set(Customer.objects.filter(code__in=codes).values_list("code", flat=True)) if codes else set()
    if taken:
        raise Conflict(
            _("customers already exist: %(codes)s") % {"codes": ", ".join(sorted(taken)[:10])}, field="code"
        )
    rows = progress(items, total=len(items), desc="save") if progress else items
    try:
        with transaction.atomic():
            for clean, contacts in rows:
                _insert(clean, contacts, by=by, source="import")
    except IntegrityError as exc:
        raise Conflict(
            _("a customer code was registered meanwhile; check the file again"), field="code"
        ) from exc
    return len(items)
