"""Customer records in Excel: the import template, the import and the export (R14.3).

Layout of the first sheet: row 1 holds the Chinese column names, row 2 (hidden)
the field keys, data starts on row 3. Columns are found by key (or, without
the key row, by Chinese name), so their order may change. A row with only
contact columns filled adds another contact to the customer above it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import openpyxl
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from kefu.core.errors import Invalid

from . import services
from .models import Customer


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    help: str
    sample: str


COLUMNS = [
    Column("code", "客户编号", 14, "必填；文件内及系统中唯一；字母、数字、. - _", "C1001"),
    Column("name", "客户名称", 30, "必填", "华东精密机械有限公司"),
    Column("region", "区域", 8, "国内 / 国外（或 domestic / foreign）；空白为国内", "国内"),
    Column("grade", "等级", 6, "A / B / C / D；空白为 C", "B"),
    Column("is_key", "重点客户", 9, "是 / 否（或 yes / no / 1 / 0）；空白为否", "是"),
    Column("owner", "业务员", 12, "系统用户名或姓名；空白为未分配", "sales"),
    Column("area", "地区", 12, "省、市或国家", "江苏 苏州"),
    Column("address", "地址", 30, "", "苏州工业园区星湖街 100 号"),
    Column("legal_representative", "法人代表/负责人", 14, "", "王建国"),
    Column("products", "供应产品及型号", 24, "", "KF-200 轴承座"),
    Column("notes", "备注", 20, "", ""),
    Column(
        "contact_name", "联系人", 10, "填写联系人其他栏位时必填；下一行只填联系人栏位可再加一位联系人", "李娜"
    ),
    Column("contact_title", "职务", 10, "", "采购经理"),
    Column("contact_phone", "电话", 14, "", "0512-66668888"),
    Column("contact_mobile", "手机", 14, "", "13800000000"),
    Column("contact_email", "邮箱", 24, "须为有效的电子邮件地址", "lina@example.com"),
]
BY_KEY = {c.key: c for c in COLUMNS}
CUSTOMER_KEYS = [c.key for c in COLUMNS if not c.key.startswith("contact_")]
CONTACT_KEYS = [c.key for c in COLUMNS if c.key.startswith("contact_")]
EXPORT_EXTRA = [
    ("open_complaints", "未结客诉", 9),
    ("created_at", "创建时间", 17),
    ("updated_at", "修改时间", 17),
]

REGIONS = {"国内": "domestic", "国外": "foreign", "domestic": "domestic", "foreign": "foreign"}
YES = {"是", "yes", "y", "1", "true"}
NO = {"否", "no", "n", "0", "false"}
MAX_ROWS = 20000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # of the customers created, in the file's order

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _header_style(ws, ncols: int) -> None:
    fill = PatternFill("solid", fgColor="DDE7F5")
    for col in range(1, ncols + 1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True)
        cell.fill = fill
    ws.freeze_panes = "A3"


def _write_header(ws, columns: list[tuple[str, str, int]]) -> None:
    for i, (key, header, width) in enumerate(columns, start=1):
        ws.cell(row=1, column=i, value=header)
        ws.cell(row=2, column=i, value=key)
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width
    ws.row_dimensions[2].hidden = True
    _header_style(ws, len(columns))


def _to_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template() -> bytes:
    """The import template: the customer sheet with its header, and an explanation sheet with a sample."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户"
    _write_header(ws, [(c.key, c.header, c.width) for c in COLUMNS])
    letters = {c.key: openpyxl.utils.get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    for key, options in (("region", "国内,国外"), ("grade", "A,B,C,D"), ("is_key", "是,否")):
        dv = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        dv.add(f"{letters[key]}3:{letters[key]}{MAX_ROWS + 2}")
        ws.add_data_validation(dv)

    help_ws = wb.create_sheet("说明")
    help_ws.append(["列名", "字段", "说明", "示例"])
    for c in COLUMNS:
        help_ws.append([c.header, c.key, c.help, c.sample])
    help_ws.append([])
    help_ws.append(["填写说明：在“客户”工作表第 3 行起每行填写一位客户；第 2 行为隐藏的字段行，请勿修改。"])
    help_ws.append(["整个文件检查无误才会导入；有任何错误时不保存任何数据，并列出行、列和原因。"])
    for col, width in zip("ABCD", (18, 22, 60, 28), strict=True):
        help_ws.column_dimensions[col].width = width
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    return _to_bytes(wb)


def _column_map(first: tuple, second: tuple | None) -> tuple[dict[str, int], int]:
    """Column index per key, and the 1-based row where data starts."""
    keys = [_text(v) for v in (second or ())]
    if "code" in keys and "name" in keys:
        return {k: i for i, k in enumerate(keys) if k in BY_KEY}, 3
    by_header = {c.header: c.key for c in COLUMNS}
    found = {}
    for i, value in enumerate(first or ()):
        text = _text(value)
        key = by_header.get(text) or (text if text in BY_KEY else None)
        if key:
            found[key] = i
    if "code" in found and "name" in found:
        return found, 2
    raise Invalid(_("the first row must be the template's header (客户编号, 客户名称, ...)"), field="file")


def _open(file):
    try:
        wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
        return wb.worksheets[0]
    except Exception as exc:  # zip, XML or format errors: all mean "not a readable .xlsx"
        raise Invalid(
            _("not a readable Excel .xlsx workbook; download the template and fill it in"), field="file"
        ) from exc


class Owners:
    """The owner column: a user's username or full name (``林晓燕``, ``Lin Xiaoyan``), active users
    only. A username wins over a name; a name that several users share is refused with their
    usernames, so the row can say which one is meant."""

    def __init__(self):
        self.by_username: dict[str, object] = {}
        self.by_name: dict[str, list] = {}
        for user in get_user_model().objects.filter(is_active=True).order_by("username"):
            self.by_username[user.username.casefold()] = user
            for name in _names_of(user):
                self.by_name.setdefault(name, []).append(user)

    def find(self, value: str) -> tuple[object | None, str]:
        """(the user, "") or (None, why not)."""
        user = self.by_username.get(value.casefold())
        if user is not None:
            return user, ""
        users = self.by_name.get(_name_key(value), [])
        if len(users) == 1:
            return users[0], ""
        if users:
            return None, _(
                "%(name)s is the name of %(n)d users (%(usernames)s): give the username of the one you mean"
            ) % {"name": value, "n": len(users), "usernames": ", ".join(u.username for u in users)}
        return None, _("no active user with the username or name %(name)s") % {"name": value}


def _name_key(value: str) -> str:
    return "".join(value.split()).casefold()


def _names_of(user) -> set[str]:
    first, last = user.first_name.strip(), user.last_name.strip()
    names = {_name_key(f"{first}{last}"), _name_key(f"{last}{first}")} if first or last else set()
    return names - {""}


def check_rows(rows: list[tuple[int, dict[str, str]]], report: ImportReport) -> list[tuple[dict, list[dict]]]:
    """Check every row; fills ``report.errors``; returns (customer fields, contacts) per customer."""
    owners = Owners() if any(v.get("owner") for _n, v in rows) else None
    items: list[tuple[dict, list[dict]]] = []
    first_row_of: dict[str, int] = {}

    def err(row: int, key: str, message: str) -> None:
        report.errors.append(RowError(row, BY_KEY[key].header if key in BY_KEY else key, message))

    for n, values in rows:
        contact = {k.removeprefix("contact_"): values.get(k, "") for k in CONTACT_KEYS}
        if not any(values.get(k) for k in CUSTOMER_KEYS):
            if not items:
                err(n, "contact_name", _("a contact row needs a customer row above it"))
                continue
            _clean, errors = services.clean_contacts([contact])
            for fieldname, message in errors:
                err(n, "contact_" + fieldname.rsplit(".", 1)[-1], message)
            items[-1][1].extend(_clean)
            continue

        data: dict = {k: values.get(k, "") for k in CUSTOMER_KEYS if k not in ("region", "is_key", "owner")}
        region = values.get("region", "")
        data["region"] = REGIONS.get(region.lower(), "?" if region else "domestic")
        if data["region"] == "?":
            err(n, "region", _("must be 国内 or 国外 (domestic / foreign)"))
            data.pop("region")
        data["grade"] = data.get("grade", "").upper()
        key = values.get("is_key", "").lower()
        if key and key not in YES | NO:
            err(n, "is_key", _("must be 是 or 否 (yes / no, 1 / 0)"))
        data["is_key"] = key in YES
        data["owner"] = None
        if values.get("owner") and owners is not None:
            data["owner"], problem = owners.find(values["owner"])
            if problem:
                err(n, "owner", problem)
        clean, errors = services.clean_fields(data)
        for fieldname, message in errors:
            err(n, fieldname, message)
        code = clean.get("code")
        if code:
            if code in first_row_of:
                err(
                    n,
                    "code",
                    _("%(code)s is already in row %(row)d") % {"code": code, "row": first_row_of[code]},
                )
            else:
                first_row_of[code] = n
        contacts = []
        if any(contact.values()):
            contacts, errors = services.clean_contacts([contact])
            for fieldname, message in errors:
                err(n, "contact_" + fieldname.rsplit(".", 1)[-1], message)
        items.append((clean, contacts))

    codes = list(first_row_of)
    taken: set[str] = set()
    for i in range(0, len(codes), 500):
        taken.update(Customer.objects.filter(code__in=codes[i : i + 500]).values_list("code", flat=True))
    for code in sorted(taken, key=first_row_of.get):
        err(first_row_of[code], "code", _("a customer with code %(code)s already exists") % {"code": code})
    order = {c.header: i for i, c in enumerate(COLUMNS)}
    report.errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
    return items


def read_rows(file, progress=None) -> list[tuple[int, dict[str, str]]]:
    ws = _open(file)
    it = ws.iter_rows(values_only=True)
    first = next(it, None)
    if first is None:
        raise Invalid(_("the workbook is empty"), field="file")
    second = next(it, None)
    columns, start = _column_map(first, second)
    pending = [] if start == 3 or second is None else [second]
    total = max((ws.max_row or 0) - start + 1, 0) or None
    source = progress(_chain(pending, it), total=total, desc="read") if progress else _chain(pending, it)
    rows = []
    for offset, raw in enumerate(source):
        if len(rows) >= MAX_ROWS:
            raise Invalid(_("at most %(n)d rows per file") % {"n": MAX_ROWS}, field="file")
        values = {key: _text(raw[i]) if i < len(raw) else "" for key, i in columns.items()}
        if any(values.values()):
            rows.append((start + offset, values))
    return rows


def _chain(first: list, rest: Iterable):
    yield from first
    yield from rest


def import_customers(file, *, by, progress=None) -> ImportReport:
    """Check every row of an uploaded template and save all customers, or none when any row is wrong.

    ``file`` is a path or a binary file object. ``progress`` wraps iterables
    like ``tqdm`` (``progress(iterable, total=..., desc=...)``). A file that is
    not a readable .xlsx raises ``Invalid`` naming ``file``.
    """
    rows = read_rows(file, progress)
    report = ImportReport(rows=len(rows))
    if not rows:
        report.errors.append(RowError(0, "file", _("no customer rows found")))
        return report
    items = check_rows(rows, report)
    if report.ok:
        report.created = services.import_checked(items, by=by, progress=progress)
        report.codes = [clean["code"] for clean, _contacts in items]
    return report


def export(customers: Iterable[Customer]) -> bytes:
    """The listed customers in the template's layout (plus read-only columns), one contact per row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户"
    _write_header(ws, [(c.key, c.header, c.width) for c in COLUMNS] + EXPORT_EXTRA)
    region_text = {"domestic": "国内", "foreign": "国外"}
    for c in customers:
        contacts = list(c.contacts.all())
        first = contacts[0] if contacts else None
        ws.append(
            [
                c.code,
                c.name,
                region_text.get(c.region, c.region),
                c.grade,
                "是" if c.is_key else "否",
                c.owner.username if c.owner else "",
                c.area,
                c.address,
                c.legal_representative,
                c.products,
                c.notes,
                *_contact_cells(first),
                getattr(c, "open_complaints", None),
                timezone.localtime(c.created_at).replace(tzinfo=None),
                timezone.localtime(c.updated_at).replace(tzinfo=None),
            ]
        )
        for extra in contacts[1:]:
            ws.append([""] * len(CUSTOMER_KEYS) + _contact_cells(extra))
    return _to_bytes(wb)


def _contact_cells(contact) -> list[str]:
    if contact is None:
        return [""] * len(CONTACT_KEYS)
    return [contact.name, contact.title, contact.phone, contact.mobile, contact.email]
