"""Complaint services: the intake (M3), re-linking, the public form, and what each workflow action
changes besides its steps (``apply_*``, called by the case engine inside its transaction; M4).

One function per user action; each runs in one transaction that writes the
change and its audit rows. Files written during a transaction that fails are
deleted again, and the number taken is given back by the rollback, so the
monthly numbering stays gap-free (R3.3).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_ipv46_address
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import access, audit, config, numbering, validation
from kefu.core.choices import DepartmentCode
from kefu.core.db import rows
from kefu.core.errors import Invalid, KefuError, Malformed, NotFound
from kefu.core.models import AuditEvent
from kefu.core.workcalendar import WorkCalendar
from kefu.customers.choices import Region
from kefu.customers.models import Customer
from kefu.flow import engine, registry
from kefu.flow.models import Step

from . import attachments as files
from . import deadlines
from .choices import Category, Channel, CustomerRequest, Outcome, ReplyMethod, Severity, Status, Validity
from .models import Attachment, Complaint, CustomerReply, Responsibility

D = DepartmentCode

MAX_QUANTITY = 2_147_483_647  # PositiveIntegerField on PostgreSQL
HOLDING_CUSTOMER_CODE = "WEB-UNMATCHED"
HOLDING_CUSTOMER_NAME = "待确认客户 (web)"


class RateLimited(KefuError):
    """Too many submissions from one client address (public form)."""

    status = 429


# --- validation helpers ------------------------------------------------------
# The shape of each value (``Malformed``, 400 in the API, which checks it first in its schema);
# the rules between values are ``Invalid`` (422) in ``register_complaint``.


def _choice(value: str, choices, field: str, *, blank: bool = False) -> str:
    value = (value or "").strip()
    if blank and not value:
        return ""
    if value not in choices.values:
        raise Malformed(
            _("unknown value %(value)r; choose one of %(choices)s")
            % {"value": value, "choices": ", ".join(choices.values)},
            field=field,
        )
    return value


def _text(value: str, field: str, *, max_length: int, required: bool = False) -> str:
    value = validation.check_text((value or "").strip(), field)
    if required and not value:
        raise Malformed(_("must not be empty"), field=field)
    if len(value) > max_length:
        raise Malformed(_("at most %(n)d characters") % {"n": max_length}, field=field)
    return value


def _quantity(value, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(_("must be a whole number"), field=field)
    if value < 0:
        raise Malformed(_("must not be negative"), field=field)
    if value > MAX_QUANTITY:
        raise Malformed(_("is too large"), field=field)
    return value


_CUSTOMER_BY_CODE = rows.Prepared(lambda code: Customer.objects.filter(code=code)[:1], sample=("C1001",))
rows.insertable(Complaint, Step)


def _customer(customer) -> Customer:
    if isinstance(customer, Customer):
        return customer
    code = (customer or "").strip() if isinstance(customer, str) else ""
    found = _CUSTOMER_BY_CODE.first(code) if code else None
    if found is None:
        raise Invalid(_("unknown customer %(code)r") % {"code": code}, field="customer")
    return found


def period_of(moment: dt.datetime) -> int:
    """YYYYMM of a moment in Asia/Shanghai: the numbering month (R3.3)."""
    local = moment.astimezone(deadlines.TZ)
    return local.year * 100 + local.month


def format_number(period: int, serial: int) -> str:
    """``202611-0001``; past 9999 a month the serial simply grows to 5 digits."""
    return f"{period}-{serial:04d}"


# --- attachments --------------------------------------------------------------


def _store(
    complaint: Complaint, checked: files.CheckedFile, *, by, now, written: files.WrittenFiles
) -> Attachment:
    att = Attachment(
        complaint=complaint,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=by if by is not None and by.is_authenticated else None,
        uploaded_at=now,
    )
    written.store(att, checked)
    return att


def _atomic_with_files(fn):
    """Run ``fn(written)`` in a transaction; delete the files it wrote if anything fails, commit included."""
    written = files.WrittenFiles()
    try:
        with transaction.atomic():
            return fn(written)
    except BaseException:
        written.delete_all()
        raise


# --- register -----------------------------------------------------------------


def register_complaint(
    *,
    by,
    customer,
    channel: str,
    title: str,
    description: str,
    category: str,
    severity: str = Severity.GENERAL,
    received_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    order_no: str = "",
    part_no: str = "",
    quantity: int | None = None,
    quantity_pending: bool = False,
    defect_quantity: int | None = None,
    ship_date: dt.date | None = None,
    customer_request: str = "",
    sample_received: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    submitter_ip: str | None = None,
    attachments: Iterable = (),
    parent: Complaint | None = None,
) -> Complaint:
    """Register a complaint, give it its number and acknowledge it (R3.1-R3.5, 000 5.3.2-5.3.3).

    Any employee who receives a complaint registers it. The number is
    ``YYYYMM-NNNN`` of the registration month in Asia/Shanghai, gap-free
    (002 篇4 第八条). The first step ("assign", GM office) is due after
    ``step_days.assign`` working days; the case after 15 / 20 calendar days
    (002 篇4 第十条). ``parent`` is the complaint a follow-up reopens (a
    rejected reply). Raises ``Invalid`` naming the field for bad input;
    nothing is written then.
    """
    now = validation.check_moment(now, "now") if now is not None else timezone.now()
    received_at = validation.check_moment(received_at, "received_at") if received_at is not None else now
    fields = dict(
        channel=_choice(channel, Channel, "channel"),
        category=_choice(category, Category, "category"),
        severity=_choice(severity or Severity.GENERAL, Severity, "severity"),
        customer_request=_choice(customer_request, CustomerRequest, "customer_request", blank=True),
        title=_text(title, "title", max_length=200, required=True),
        description=_text(description, "description", max_length=20_000, required=True),
        order_no=_text(order_no, "order_no", max_length=64),
        part_no=_text(part_no, "part_no", max_length=64),
        contact_name=_text(contact_name, "contact_name", max_length=100),
        contact_phone=_text(contact_phone, "contact_phone", max_length=50),
        contact_email=_text(contact_email, "contact_email", max_length=254),
        quantity=_quantity(quantity, "quantity"),
        defect_quantity=_quantity(defect_quantity, "defect_quantity"),
        quantity_pending=bool(quantity_pending),
        sample_received=bool(sample_received),
        ship_date=ship_date,
        received_at=received_at,
        submitter_ip=submitter_ip or None,
        parent=parent,
    )
    if fields["contact_email"]:
        try:
            validate_email(fields["contact_email"])
        except ValidationError:
            raise Invalid(_("not a valid e-mail address"), field="contact_email") from None
    if fields["submitter_ip"]:
        try:
            validate_ipv46_address(fields["submitter_ip"])
        except ValidationError:
            raise Invalid(_("not a valid IP address"), field="submitter_ip") from None
    if fields["quantity_pending"] and fields["quantity"] is not None:
        raise Invalid(_("give a quantity or mark it as not yet determined, not both"), field="quantity")
    if (
        fields["quantity"] is not None
        and fields["defect_quantity"] is not None
        and fields["defect_quantity"] > fields["quantity"]
    ):
        raise Invalid(_("must not exceed the quantity"), field="defect_quantity")
    if received_at > now:
        raise Invalid(_("must not be in the future or after registration"), field="received_at")
    if ship_date is not None:
        validation.check_day(ship_date, "ship_date")
        if ship_date > deadlines.local_date(received_at):
            raise Invalid(_("must not be after the date the complaint was received"), field="ship_date")
    customer = _customer(customer)
    checked = files.check_files(attachments)

    # All that needs no number is built before the transaction: the writer lock (SQLite)
    # and the counter row lock (PostgreSQL) are held from the serial to the commit.
    complaint, steps = _prepare(by=by, customer=customer, now=now, fields=fields)

    def write(written: files.WrittenFiles) -> Complaint:
        return _create(complaint, steps, by=by, now=now, checked=checked, written=written)

    return _atomic_with_files(write)


@dataclass
class Registration:
    """What ``register_complaint`` wrote besides the complaint (``complaint.registration``),
    so the API answers the POST without reading it all back."""

    steps: list[Step]
    attachments: list[Attachment]
    history: list


def _prepare(*, by, customer: Customer, now: dt.datetime, fields: dict) -> tuple[Complaint, list[Step]]:
    """The unsaved complaint (without its number), its case deadline and its first step."""
    cfg = config.snapshot()
    complaint = Complaint(
        period=period_of(now),
        customer=customer,
        region=customer.region,
        registered_at=now,
        registered_by=by if by is not None and by.is_authenticated else None,
        status=Status.REGISTERED,
        acknowledged_at=now,
        answer_by=deadlines.answer_by(now, customer.region, cfg),
        **fields,
    )
    steps = engine.start_steps(
        registry.get("complaint"), complaint, now=now, settings=cfg, calendar=WorkCalendar.cached()
    )
    complaint.case_due_at = steps[0].due_at
    complaint.due_at = steps[-1].due_at
    return complaint, steps


def _create(complaint: Complaint, steps: list[Step], *, by, now: dt.datetime, checked, written) -> Complaint:
    complaint.serial = numbering.next_serial(f"complaint:{complaint.period}")
    complaint.number = format_number(complaint.period, complaint.serial)
    # Precompiled INSERTs (kefu.core.db.rows): this is the intake's hot path (issue 5).
    rows.insert([complaint])
    for step in steps:
        step.record_id = complaint.pk
        step.record_key = complaint.number
    rows.insert(steps)  # the case deadline and the first step in one statement
    stored = [_store(complaint, item, by=by, now=now, written=written) for item in checked]
    history = audit.record_many(
        [
            audit.event_for(
                complaint,
                "register",
                by=by,
                to_state=Status.REGISTERED,
                data={
                    "customer": complaint.customer.code,
                    "channel": complaint.channel,
                    "attachments": len(checked),
                },
                at=now,
            ),
            audit.event_for(
                complaint, "acknowledge", by=by, data={"answer_by": complaint.answer_by.isoformat()}, at=now
            ),
        ]
    )
    complaint.registration = Registration(
        steps=[s for s in steps if not s.is_case], attachments=stored, history=history
    )
    return complaint


# --- later uploads, re-linking ------------------------------------------------


def add_attachment(complaint: Complaint, uploads, *, by, now: dt.datetime | None = None) -> list[Attachment]:
    """Add photos or files to a registered complaint (R3.2); the count limit covers all its files."""
    now = now or timezone.now()
    uploads = list(uploads) if isinstance(uploads, list | tuple) else [uploads]
    if not uploads:
        raise Invalid(_("choose at least one file"), field=files.FIELD)

    def write(written: files.WrittenFiles) -> list[Attachment]:
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        checked = files.check_files(uploads, existing=locked.attachments.count())
        stored = [_store(locked, item, by=by, now=now, written=written) for item in checked]
        audit.record(locked, "attach", by=by, data={"files": [a.original_name for a in stored]})
        return stored

    return _atomic_with_files(write)


@transaction.atomic
def reassign_customer(complaint: Complaint, customer, by, *, now: dt.datetime | None = None) -> Complaint:
    """Link a complaint to another customer record, e.g. one filed on the web under the holding record.

    The region follows the new customer, and with it the case deadline of an open case (002 篇4
    第十条: domestic 15 days, foreign 20, from the registration), unless the customer set one; the
    history row names both customers and the old and new deadline. The date already promised in
    the acknowledgement (``answer_by``) stays: the customer was told it.
    """
    now = now or timezone.now()
    customer = _customer(customer)
    locked = Complaint.objects.select_for_update().select_related("customer").get(pk=complaint.pk)
    old = locked.customer
    if old.pk == customer.pk:
        raise Invalid(_("the complaint already belongs to this customer"), field="customer")
    flow = registry.get("complaint")
    before = locked.case_due_at
    locked.customer = customer
    locked.region = customer.region
    fields = ["customer", "region"]
    if locked.is_open:
        moved = engine.recompute_case_deadline(flow, locked)
        if moved is not None:
            locked.case_due_at = moved
            fields.append("case_due_at")
    locked.save(update_fields=fields)
    engine.relink(flow, locked, customer.pk)  # who may see its steps follows (R1.2)

    def day(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"

    audit.record(
        locked,
        "reassign_customer",
        by=by,
        note=_("from %(old)s to %(new)s; case deadline %(before)s -> %(after)s")
        % {
            "old": f"{old.code} {old.name}",
            "new": f"{customer.code} {customer.name}",
            "before": day(before),
            "after": day(locked.case_due_at),
        },
        data={
            "from": old.code,
            "to": customer.code,
            "from_region": old.region,
            "to_region": customer.region,
            "case_due_before": timezone.localtime(before).isoformat() if before else None,
            "case_due_after": timezone.localtime(locked.case_due_at).isoformat()
            if locked.case_due_at
            else None,
        },
        at=now,
    )
    return locked


# --- public web form ----------------------------------------------------------

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, dt.timedelta]:
    """``"5/h"`` -> (5, 1 hour); ``"20/10m"`` -> (20, 10 minutes)."""
    match = _RATE.match(rate or "")
    if not match:
        raise ValueError(f"KEFU_PUBLIC_FORM_RATE: expected like '5/h', got {rate!r}")
    count, mult, unit = match.groups()
    return int(count), dt.timedelta(seconds=int(mult or 1) * _UNIT_SECONDS[unit])


def check_public_rate(submitter_ip: str | None, *, now: dt.datetime | None = None) -> None:
    """Refuse a submission when this address filed ``KEFU_PUBLIC_FORM_RATE`` complaints already."""
    if not submitter_ip:
        return
    now = now or timezone.now()
    limit, window = parse_rate(settings.KEFU_PUBLIC_FORM_RATE)
    recent = Complaint.objects.filter(submitter_ip=submitter_ip, registered_at__gt=now - window).count()
    if recent >= limit:
        raise RateLimited(_("too many complaints from this address; please try again later"))


def holding_customer() -> Customer:
    """The record that collects web complaints whose customer could not be matched."""
    try:
        with transaction.atomic():
            customer, _created = Customer.objects.get_or_create(
                code=HOLDING_CUSTOMER_CODE,
                defaults={"name": HOLDING_CUSTOMER_NAME, "region": Region.DOMESTIC},
            )
    except IntegrityError:
        customer = Customer.objects.get(code=HOLDING_CUSTOMER_CODE)
    return customer


# Legal forms a customer may leave out of (or add to) their company name; longest first.
LEGAL_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "公司",
    "co.,ltd.", "co.,ltd", "co.ltd.", "co.ltd", "company limited", "corporation", "limited",
    "ltd.", "ltd", "inc.", "inc", "corp.", "corp", "llc", "gmbh", "co.", "co",
)  # fmt: skip
_NAME_NOISE = re.compile(r"[\s,，.。·()（）]+")


def name_core(name: str) -> str:
    """A company name without its legal form, spaces and punctuation, case-folded:
    ``苏州恒达精密机械有限公司`` and ``苏州恒达精密机械`` -> ``苏州恒达精密机械``;
    ``Saigon Precision Co., Ltd.`` -> ``saigonprecision``."""
    text = " ".join((name or "").split()).casefold()
    changed = True
    while changed:
        changed = False
        squeezed = text.rstrip(" ,，.")
        for suffix in LEGAL_SUFFIXES:
            compact = squeezed.replace(" ", "")
            if compact.endswith(suffix.replace(" ", "")) and len(compact) > len(suffix.replace(" ", "")):
                # cut as many characters (spaces aside) as the suffix has, from the end
                n, i = len(suffix.replace(" ", "")), len(squeezed)
                while n:
                    i -= 1
                    if squeezed[i] != " ":
                        n -= 1
                text, changed = squeezed[:i], True
                break
    return _NAME_NOISE.sub("", text)


def match_customer(code: str, company_name: str, order_no: str = "") -> Customer | None:
    """The customer of a web complaint (issue 13): by the code printed on invoices; else by the
    exact name; else by an order number that earlier complaints of one customer carry; else by
    the name without its legal form (``苏州恒达精密机械`` finds ``苏州恒达精密机械有限公司``).
    Only a single match counts: an ambiguous one goes to the holding record for staff."""
    code = (code or "").strip()
    real = Customer.objects.exclude(code=HOLDING_CUSTOMER_CODE)
    if code and code.upper() != HOLDING_CUSTOMER_CODE:
        found = real.filter(code__iexact=code).first()
        if found is not None:
            return found
    name = (company_name or "").strip()
    if name:
        matches = list(real.filter(name=name)[:2])
        if len(matches) == 1:
            return matches[0]
    order_no = (order_no or "").strip()
    if order_no:
        owners = list(
            Complaint.objects.filter(order_no=order_no)
            .exclude(customer__code=HOLDING_CUSTOMER_CODE)
            .values_list("customer_id", flat=True)
            .distinct()[:2]
        )
        if len(owners) == 1:
            return real.get(pk=owners[0])
    core = name_core(name)
    if len(core) >= 2:
        # the core is in the stored name (one query), the cores compared exactly in Python
        words = [w for w in _NAME_NOISE.split(name.casefold()) if w and name_core(w) == w]
        probe = max(words, key=len) if words else core
        candidates = real.filter(name__icontains=probe[:50]).only("pk", "name")[:50]
        matches = [c for c in candidates if name_core(c.name) == core]
        if len(matches) == 1:
            return real.get(pk=matches[0].pk)
    return None


def submit_public_complaint(
    *,
    customer_code: str = "",
    company_name: str = "",
    contact_name: str,
    contact_phone: str = "",
    contact_email: str = "",
    order_no: str = "",
    part_no: str = "",
    quantity: int | None = None,
    defect_quantity: int | None = None,
    description: str,
    customer_request: str = "",
    submitter_ip: str | None = None,
    attachments: Iterable = (),
    now: dt.datetime | None = None,
) -> Complaint:
    """A customer files a complaint on the public form, without an account (R3.1, 000 5.3.2).

    Matched to a customer by code, else by exact name; otherwise it goes to
    the holding record ``WEB-UNMATCHED`` so nothing is lost, and staff re-link
    it. Channel web, category quality, severity general. At most
    ``KEFU_PUBLIC_FORM_RATE`` per client address.
    """
    now = now or timezone.now()
    contact_name = _text(contact_name, "contact_name", max_length=100, required=True)
    if not (contact_phone or "").strip() and not (contact_email or "").strip():
        raise Invalid(_("give a phone number or an e-mail address"), field="contact_phone")
    company_name = _text(company_name, "company_name", max_length=200)
    customer_code = _text(customer_code, "customer_code", max_length=32)
    if not company_name and not customer_code:
        raise Invalid(_("give your customer code or your company name"), field="company_name")
    description = _text(description, "description", max_length=20_000, required=True)
    customer = match_customer(customer_code, company_name, order_no)
    header = _("Web form: company %(company)s, customer code %(code)s, contact %(contact)s") % {
        "company": company_name or "-",
        "code": customer_code or "-",
        "contact": contact_name,
    }
    first_line = description.splitlines()[0].strip()
    title = f"{company_name or customer_code}: {first_line}"[:200]

    with transaction.atomic():
        # Counted inside the transaction: on SQLite the write lock is held, so
        # parallel posts from one address cannot slip past the limit together.
        check_public_rate(submitter_ip, now=now)
        return register_complaint(
            by=None,
            customer=customer or holding_customer(),
            channel=Channel.WEB,
            title=title,
            description=f"{header}\n\n{description}",
            category=Category.QUALITY,
            severity=Severity.GENERAL,
            received_at=now,
            now=now,
            order_no=order_no,
            part_no=part_no,
            quantity=quantity,
            defect_quantity=defect_quantity,
            customer_request=customer_request,
            contact_name=contact_name,
            contact_phone=contact_phone,
            contact_email=contact_email,
            submitter_ip=submitter_ip,
            attachments=attachments,
        )


# --- the public status page --------------------------------------------------------------------------

STATUS_LOOKUP = "public_status"  # audit rows of the lookups: object_id the client address


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


@transaction.atomic
def public_status(number: str, phone: str, *, submitter_ip: str | None, now: dt.datetime | None = None):
    """The complaint ``number`` for its customer, who proves it by a phone number on it (the
    complaint's contact phone or one of the customer's contacts), with no account (issue 13).

    Returns the complaint or None (the page does not say which of the two did not match).
    Every lookup is written to the audit trail under the client's address; more than
    ``KEFU_PUBLIC_STATUS_RATE`` of them (like the form's ``KEFU_PUBLIC_FORM_RATE``) are refused
    with ``RateLimited``, so numbers and phones cannot be guessed in bulk.
    """
    now = now or timezone.now()
    if submitter_ip:
        limit, window = parse_rate(settings.KEFU_PUBLIC_STATUS_RATE)
        recent = AuditEvent.objects.filter(
            object_type=STATUS_LOOKUP, object_id=submitter_ip, at__gt=now - window
        ).count()
        if recent >= limit:
            raise RateLimited(_("too many look-ups from this address; please try again later"))
    number, typed = (number or "").strip()[:32], _digits(phone)[:30]
    complaint = (
        Complaint.objects.select_related("customer").filter(number=number).first()
        if number and len(typed) >= 6
        else None
    )
    if complaint is not None:
        phones = {_digits(complaint.contact_phone)}
        for c in complaint.customer.contacts.all():
            phones.update({_digits(c.phone), _digits(c.mobile)})
        if typed not in phones - {""}:
            complaint = None
    audit.record(
        None,
        "lookup",
        object_type=STATUS_LOOKUP,
        object_id=submitter_ip or "-",
        note=number,
        data={"number": number, "found": complaint is not None},
        at=now,
    )
    return complaint


# --- the workflow actions (kefu/complaints/workflow.py) --------------------------------------------


def take_action(number: str, action: str, *, by, payload: dict | None = None, now: dt.datetime | None = None):
    """Take a workflow action on the complaint ``number`` (no access check: the callers have made it)."""
    complaint = Complaint.objects.filter(number=number).first()
    if complaint is None:
        raise NotFound(_("no complaint %(number)s") % {"number": number}, field="number")
    return engine.perform(complaint, action, by=by, data=payload, now=now)


def apply_assign(ctx) -> None:
    """The GM office sends the case to quality, optionally to a named investigator (002 篇4 第九条(三))."""
    if ctx.data.assignee:
        ctx.next_assignee = _member(ctx.data.assignee, D.QUALITY)


def _member(username: str, department: str, *, field: str = "assignee"):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not access.in_department(user, department):
        raise Invalid(
            _("%(user)r is not a member of %(dept)s") % {"user": username, "dept": D(department).label},
            field=field,
        )
    return user


def apply_investigation(ctx) -> None:
    """Quality finds the cause and, for a valid complaint, the responsible department (002 篇4 第九条(二)(三))."""
    d = ctx.data
    if not d.valid:
        ctx.set(validity=Validity.NOT_ESTABLISHED, needs_rd=False, outcome=Outcome.NOT_ESTABLISHED)
        return
    if not d.responsible_department:
        raise Invalid(
            _("name the responsible department of a valid complaint"), field="responsible_department"
        )
    if d.responsible_department not in D.values:
        raise Invalid(
            _("unknown department %(code)r; choose one of %(codes)s")
            % {"code": d.responsible_department, "codes": ", ".join(D.values)},
            field="responsible_department",
        )
    from kefu.core import org

    ctx.set(
        validity=Validity.VALID,
        needs_rd=d.needs_rd,
        responsible_department=org.department(d.responsible_department),
        supplier=d.supplier,
    )
    # 004 COP14 5.3.1: with capa.open_for_every_valid_complaint on, a valid complaint opens its 8D.
    from kefu.capa.services import on_complaint_valid

    on_complaint_valid(ctx.record, ctx.by, now=ctx.now)


def apply_proposal(ctx) -> None:
    """Sales proposes the handling and the loss; its manager is told to review (002 篇4 第九条(四))."""
    from kefu.core.choices import Role

    d = ctx.data
    ctx.set(handling=d.handling.value, loss_amount=d.loss_amount)
    if ctx.settings.get(REVIEW_PROPOSAL):
        return  # the review step opens and tells its holders (the sales managers)
    ctx.notify(
        "proposal_review",
        _("Proposal to review"),
        _("Handling: %(handling)s, loss amount %(amount)s.\n%(position)s")
        % {"handling": d.handling.label, "amount": d.loss_amount, "position": d.customer_position},
        departments=[D.SALES],
        min_role=Role.MANAGER,
    )


def apply_approve(ctx) -> None:
    """Recorded with the level that decided (R1.3) and what was approved: the handling and the amount."""
    from .workflow import required_authority

    c = ctx.record
    level = required_authority(c.loss_amount, ctx.settings)
    ctx.step.data = {
        **(ctx.step.data or {}),
        "decision": "approved",
        "authority": level,
        "handling": c.handling,
        "loss_amount": str(c.loss_amount) if c.loss_amount is not None else None,
    }
    # The GM office put the improvement under tracking (002 篇4 第九条(六)): the approved decision
    # opens the corrective action (8D) of the department with the largest share (issue 14).
    if c.tracking:
        from kefu.capa.services import open_from_complaint

        top = c.responsibilities.select_related("department").order_by("-share", "id").first()
        capa = open_from_complaint(c, ctx.by, department=top.department if top else None, now=ctx.now)
        ctx.step.data["capa"] = capa.number


def apply_send_back(ctx) -> None:
    ctx.step.data = {**(ctx.step.data or {}), "decision": "sent_back"}


# The settings that switch the instruction steps and the management meeting (docs/complaints.md).
INSTRUCT_INVESTIGATION = "complaint.instruction.investigation"
REVIEW_COUNTERMEASURE = "complaint.instruction.countermeasure"
REVIEW_PROPOSAL = "complaint.instruction.proposal"
MEETING_BEFORE_APPROVAL = "complaint.meeting.major_serious"


def apply_review(ctx) -> None:
    """An instruction / review (002 篇4 第九条(三)(四)) that sends the work back says why."""
    if not ctx.data.approved and not ctx.data.opinion:
        raise Invalid(_("say why it goes back"), field="opinion")


def apply_synthesis(ctx) -> None:
    """The GM office decides the responsibility (002 篇4 第七条(三)3, 第九条(六)): departments and
    persons with shares adding up to 100, tracking (never for human negligence), the penalty kind."""
    from kefu.core import org

    d = ctx.data
    if not d.responsibility:
        raise Invalid(_("name the responsible departments and their shares"), field="responsibility")
    total = sum(r.share for r in d.responsibility)
    if total != 100:
        raise Invalid(
            _("the shares add up to %(total)d%%; they must add up to 100%%") % {"total": total},
            field="responsibility",
        )
    seen = set()
    rows = []
    for i, r in enumerate(d.responsibility):
        person = _member(r.person, r.department, field=f"responsibility.{i}.person") if r.person else None
        key = (r.department, r.person)
        if key in seen:
            raise Invalid(_("named twice"), field=f"responsibility.{i}.department")
        seen.add(key)
        rows.append(
            Responsibility(
                complaint=ctx.record,
                department=org.department(r.department),
                person=person,
                share=r.share,
                decided_by=ctx.by,
                decided_at=ctx.now,
            )
        )
    if d.human_negligence and d.tracking:
        raise Invalid(_("human negligence is exempt from tracking (人为疏忽免列案追踪)"), field="tracking")
    Responsibility.objects.filter(complaint=ctx.record).delete()  # a synthesis again after a send-back
    Responsibility.objects.bulk_create(rows)
    ctx.set(tracking=d.tracking, human_negligence=d.human_negligence, penalty=d.penalty.value)


def apply_meeting(ctx) -> None:
    """The management meeting's decision (002 篇1 第十一条(二)); a major or serious case's approval waits for it."""
    engine.record_meeting(ctx)
    ctx.set(meeting_at=ctx.now)


def _followup(ctx, note: str) -> Complaint:
    """The customer did not accept: a new complaint, linked (R4.1, 002 篇4 第九条(八))."""
    c = ctx.record
    followup = register_complaint(
        by=ctx.by,
        customer=c.customer,
        channel=c.channel,
        title=(_("Not accepted: %(title)s") % {"title": c.title})[:200],
        description=_("The customer did not accept the outcome of %(number)s.\n\n%(note)s\n\n%(description)s")
        % {"number": c.number, "note": note, "description": c.description},
        category=c.category,
        severity=c.severity,
        received_at=ctx.now,
        now=ctx.now,
        order_no=c.order_no,
        part_no=c.part_no,
        customer_request=c.customer_request,
        parent=c,
    )
    ctx.followup = followup
    ctx.set(outcome=Outcome.REJECTED)
    return followup


def apply_reply(ctx) -> None:
    """The answer by letter or phone is its own record (R1.4, 第九条(十)); a phone answer says who
    spoke with whom and when. Rejected at once -> a new linked complaint (R4.1, 第九条(八));
    otherwise closing waits for the customer's confirmation."""
    d = ctx.data
    c = ctx.record
    if d.method == ReplyMethod.PHONE:
        if not d.spoke_with:
            raise Invalid(_("say whom you spoke with"), field="spoke_with")
        if d.spoke_at is None:
            raise Invalid(_("say when you spoke with the customer"), field="spoke_at")
    if d.spoke_at is not None and d.spoke_at > ctx.now:
        raise Invalid(_("must not be in the future"), field="spoke_at")
    reply = CustomerReply.objects.create(
        complaint=c,
        letter=d.letter,
        method=d.method.value,
        spoke_with=d.spoke_with,
        spoke_at=d.spoke_at if d.method == ReplyMethod.PHONE else None,
        customer_accepts=d.customer_accepts,
        recorded_by=ctx.by,
        recorded_at=ctx.now,
    )
    ctx.created = reply
    if d.customer_accepts is False:
        reply.followup = _followup(ctx, d.note)
        reply.save(update_fields=["followup"])


def apply_confirm(ctx) -> None:
    """Closing: the customer's confirmation or the follow-up call, recorded on the letter
    (001 6.3.6, 000 3.4); accepted or rejected (-> a new linked complaint) is the case's outcome."""
    d = ctx.data
    at = d.at or ctx.now
    if at > ctx.now:
        raise Invalid(_("must not be in the future"), field="at")
    reply = CustomerReply.objects.filter(complaint=ctx.record).order_by("-recorded_at", "-id").first()
    if reply is not None:
        reply.customer_accepts = d.customer_accepts
        reply.confirmed_via = d.via.value
        reply.confirmed_at = at
        if not d.customer_accepts:
            reply.followup = _followup(ctx, d.note)
        reply.save(update_fields=["customer_accepts", "confirmed_via", "confirmed_at", "followup"])
        ctx.created = reply
    elif not d.customer_accepts:
        _followup(ctx, d.note)
    if d.customer_accepts:
        ctx.set(outcome=Outcome.ACCEPTED)


# --- a complaint not established; memos sending a case back (002 篇4 第九条(十一)(十三)) ---------------


def apply_explanation(ctx) -> None:
    """Sales explains to the customer why the complaint is not established, by letter or phone
    (001 6.2.8; 002 篇4 第九条(十三)); a phone call records who spoke with whom."""
    d = ctx.data
    if d.channel == "phone" and not d.spoke_with:
        raise Invalid(_("name the customer's person you spoke with"), field="spoke_with")
    if d.channel == "phone" and not d.spoke_by:
        d = ctx.data = d.model_copy(update={"spoke_by": ctx.by.get_full_name() or ctx.by.get_username()})
    ctx.audit_data["explained_to"] = ctx.record.customer.code
    ctx.audit_note = (
        _("By phone, %(ours)s with %(theirs)s: %(content)s")
        % {"ours": d.spoke_by, "theirs": d.spoke_with, "content": d.content}
        if d.channel == "phone"
        else _("By letter: %(content)s") % {"content": d.content}
    )


def reopen_steps(complaint: Complaint) -> tuple[str, ...]:
    """The steps a GM's ruling on a memo may send the complaint back to (002 篇4 第九条(十一)): a
    complaint found not established goes back to the investigation; a valid one to any step it
    went through from the investigation on."""
    from .choices import Step as S

    if complaint.validity != Validity.VALID:
        return (S.INVESTIGATION,)
    steps = [S.INVESTIGATION, S.COUNTERMEASURE]
    if complaint.needs_rd:
        steps.append(S.RD_OPINION)
    steps += [S.PROPOSAL, S.SYNTHESIS]
    if complaint.loss_amount is not None:
        steps += [S.APPROVAL, S.REPLY]
    return tuple(steps)


def on_reopen(ctx, code: str) -> None:
    """Sent back to the investigation, the complaint's validity is open again; a closed case
    reopened has no outcome until it closes again."""
    from .choices import Step as S

    if ctx.record.outcome:
        ctx.set(outcome="")
    if code == S.INVESTIGATION:
        ctx.set(validity=Validity.PENDING)
