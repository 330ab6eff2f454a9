"""Excel import template, import (all or nothing) and the logged export (R1.2, R14.3)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from kefu.core.errors import Invalid
from kefu.customers import excel
from kefu.customers.models import Customer, CustomerAccessLog


def filled_template(rows: list[list]) -> bytes:
    """The downloaded template with ``rows`` written from row 3, as a user would fill it in."""
    wb = openpyxl.load_workbook(io.BytesIO(excel.template()))
    ws = wb["客户"]
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(code, name, region="国内", grade="B", key="否", owner="sales", email="", **extra):
    values = {
        "code": code,
        "name": name,
        "region": region,
        "grade": grade,
        "is_key": key,
        "owner": owner,
        "area": "",
        "address": "",
        "legal_representative": "",
        "products": "",
        "notes": "",
        "contact_name": "联系人" if email else "",
        "contact_title": "",
        "contact_phone": "",
        "contact_mobile": "",
        "contact_email": email,
    }
    values.update(extra)
    return [values[c.key] for c in excel.COLUMNS]


def test_template_has_chinese_header_hidden_key_row_and_explanation_sheet():
    wb = openpyxl.load_workbook(io.BytesIO(excel.template()))
    assert wb.sheetnames == ["客户", "说明"]
    ws = wb["客户"]
    assert [c.value for c in ws[1]][:3] == ["客户编号", "客户名称", "区域"]
    assert [c.value for c in ws[2]][:3] == ["code", "name", "region"]
    assert ws.row_dimensions[2].hidden
    assert wb["说明"]["D3"].value == "华东精密机械有限公司"


def test_template_round_trip_imports_every_row(org):
    content = filled_template(
        [
            row("T001", "苏州精工", key="是", email="a@example.com", area="江苏", contact_mobile=13800000000),
            row(None, None, owner=None, grade=None, region=None, key=None, contact_name="第二联系人"),
            row(1002, "Berlin Parts GmbH", region="国外", grade="a", key="no", owner="sales2"),
            row("T003", "无业务员", region="domestic", grade="D", key="1", owner=""),
        ]
    )
    report = excel.import_customers(io.BytesIO(content), by=org["salesmgr"])
    assert report.errors == [] and report.created == 3
    t1 = Customer.objects.get(code="T001")
    assert (t1.region, t1.grade, t1.is_key, t1.owner.username, t1.area) == (
        "domestic",
        "B",
        True,
        "sales",
        "江苏",
    )
    assert [(c.name, c.mobile, c.email) for c in t1.contacts.order_by("id")] == [
        ("联系人", "13800000000", "a@example.com"),
        ("第二联系人", "", ""),
    ]
    t2 = Customer.objects.get(code="1002")
    assert (t2.region, t2.grade, t2.is_key, t2.owner.username) == ("foreign", "A", False, "sales2")
    t3 = Customer.objects.get(code="T003")
    assert (t3.grade, t3.is_key, t3.owner) == ("D", True, None)
    assert t3.grade_changes.get().reason == "initial grade"


def test_export_re_imports_after_removing_the_originals(org, customers, api):
    content = excel.export(Customer.objects.select_related("owner").prefetch_related("contacts"))
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.active
    for r in ws.iter_rows(min_row=3):
        if r[0].value:
            r[0].value = f"X{r[0].value}"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    report = excel.import_customers(out, by=org["salesmgr"])
    assert report.ok and report.created == 2
    copy = Customer.objects.get(code="XC-S1")
    assert (copy.name, copy.owner.username, [c.name for c in copy.contacts.all()]) == (
        "华东精密机械",
        "sales",
        ["李娜"],
    )


def test_file_with_errors_reports_row_column_message_and_saves_nothing(org, customers):
    content = filled_template(
        [
            row("E001", "好的一行"),
            row("", "缺编号"),
            row("E003", "", region="火星"),
            row("E001", "重复编号", grade="Z", key="也许"),
            row("C-S1", "已存在", owner="ghost", email="not-an-email"),
            row(None, None, owner=None, grade=None, region=None, key=None, contact_email="x@example.com"),
        ]
    )
    report = excel.import_customers(io.BytesIO(content), by=org["salesmgr"])
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (4, "客户编号", "必填"),
        (5, "客户名称", "必填"),
        (5, "区域", "必须是国内或国外"),
        (6, "客户编号", "E001 已在第 3 行出现"),
        (6, "等级", "必须是 A、B、C 或 D"),
        (6, "重点客户", "必须是“是”或“否”（或 yes / no、1 / 0）"),
        (7, "客户编号", "编号为 C-S1 的客户已存在"),
        (7, "业务员", "没有名为 ghost 的在职用户"),
        (7, "邮箱", "不是有效的电子邮件地址"),
        (8, "联系人", "必填"),
    ]
    assert report.created == 0
    assert not Customer.objects.filter(code="E001").exists()
    assert Customer.objects.count() == 2


@pytest.mark.parametrize(
    "content",
    [b"code,name\nC1,x\n", b"PK\x03\x04 not really a zip", b"", "客户".encode()],
    ids=["csv", "broken-zip", "empty", "text"],
)
def test_non_xlsx_file_is_a_clear_error(org, content):
    with pytest.raises(Invalid) as exc:
        excel.import_customers(io.BytesIO(content), by=org["salesmgr"])
    assert exc.value.field == "file"
    assert exc.value.detail == "file: 不是可读取的 Excel .xlsx 文件；请下载模板填写"


def test_workbook_without_the_header_is_refused(org):
    wb = openpyxl.Workbook()
    wb.active.append(["foo", "bar"])
    wb.active.append(["1", "2"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    with pytest.raises(Invalid, match="第一行必须是模板的表头"):
        excel.import_customers(out, by=org["salesmgr"])


def test_header_only_file_without_key_row_still_maps_by_chinese_names(org):
    wb = openpyxl.Workbook()
    wb.active.append(["客户名称", "客户编号", "等级"])
    wb.active.append(["换了列序", "H001", "A"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    report = excel.import_customers(out, by=org["salesmgr"])
    assert report.ok, report.errors
    assert Customer.objects.get(code="H001").grade == "A"


def test_import_page_shows_errors_or_count(org, page):
    client = page("salesmgr")
    bad = SimpleUploadedFile("c.xlsx", filled_template([row("", "缺编号")]))
    html = client.post(reverse("customers:import"), {"file": bad}).content.decode()
    assert "import-errors" in html and "客户编号" in html and "required" in html
    good = SimpleUploadedFile("c.xlsx", filled_template([row("G1", "好"), row("G2", "也好")]))
    response = client.post(reverse("customers:import"), {"file": good})
    assert 'class="import-ok"' in response.content.decode()
    assert Customer.objects.filter(code__in=["G1", "G2"]).count() == 2


def test_import_page_non_xlsx_shows_error_not_500(org, page):
    response = page("salesmgr").post(
        reverse("customers:import"), {"file": SimpleUploadedFile("c.xlsx", b"hello")}
    )
    assert response.status_code == 200
    assert "不是可读取的 Excel .xlsx 文件" in response.content.decode()


def test_import_page_refused_to_sales_clerk(org, page):
    assert page("sales").get(reverse("customers:import")).status_code == 403
    assert page("salesmgr").get(reverse("customers:import-template")).status_code == 200


def test_import_command_imports_a_file(org, tmp_path, capsys):
    path = tmp_path / "customers.xlsx"
    path.write_bytes(filled_template([row("M1", "命令导入"), row("M2", "第二个")]))
    call_command("import-customers", str(path), "--by", "salesmgr", "--no-progress")
    assert "2 customers imported" in capsys.readouterr().out
    assert Customer.objects.filter(code__in=["M1", "M2"]).count() == 2


def test_import_command_prints_errors_and_fails(org, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(filled_template([row("M1", "好"), row("M1", "重复")]))
    with pytest.raises(CommandError, match="1 errors in 2 rows; nothing was imported"):
        call_command("import-customers", str(path))
    assert "row 4, 客户编号: M1 已在第 3 行出现" in capsys.readouterr().err
    assert not Customer.objects.exists()


def test_import_command_missing_file(org):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import-customers", "/nonexistent/x.xlsx")


def test_export_refused_without_permission_and_refusal_logged(org, customers, page):
    response = page("sales").get(reverse("customers:export"))
    assert response.status_code == 403
    row = CustomerAccessLog.objects.get(user=org["sales"])
    assert (row.action, row.customer) == ("denied", None)


def test_export_with_permission_is_logged_with_filter_and_count(org, customers, page):
    response = page("salesmgr").get(reverse("customers:export"), {"grade": "A"})
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_TYPE
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [r[0] for r in ws.iter_rows(min_row=3, values_only=True)] == ["C-S2"]
    log = CustomerAccessLog.objects.get(user=org["salesmgr"], action="export")
    assert log.detail == "1 rows; grade=A"


def test_sales_clerk_with_export_permission_exports_only_own_customers(org, customers, client):
    from django.contrib.auth.models import Permission

    org["sales"].user_permissions.add(Permission.objects.get(codename="export_customer"))
    client.force_login(org["sales"])
    response = client.get(reverse("customers:export"))
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [r[0] for r in ws.iter_rows(min_row=3, values_only=True)] == ["C-S1"]


def test_export_query_count_does_not_grow_with_rows(org, make_customer, page, django_assert_max_num_queries):
    for i in range(35):
        make_customer(f"Q{i:03d}", contacts=[{"name": f"联系人{i}"}, {"name": f"副{i}"}])
    client = page("salesmgr")
    with django_assert_max_num_queries(11):  # + the settings snapshot (export roles)
        response = client.get(reverse("customers:export"))
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert ws.max_row == 2 + 70
