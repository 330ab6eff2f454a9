"""The register pages: the CSR list with filters, new form, detail with the department reviews and
the engine's action panel, the checklist and its Excel, the HSF page and a cycle, the customer's
section with its red lines first; Chinese by default, English on request; confidentiality."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kefu.requirements import services
from kefu.requirements.models import Requirement, RequirementFile

from .factory import LIMITS, PDF, act, customer, hspm, requirement, with_limits

pytestmark = pytest.mark.django_db


def test_list_filters_and_languages(org, page):
    red = requirement(org, red_line=True, title="禁止使用再生料")
    plain = requirement(org, code="C002", title="包装标签")
    client = page("quality")
    html = client.get("/requirements/").content.decode()
    assert red.number in html and plain.number in html and "顾客特殊要求" in html and "红线" in html
    html = client.get("/requirements/?red_line=true").content.decode()
    assert red.number in html and plain.number not in html
    html = client.get("/requirements/?customer=C002").content.decode()
    assert plain.number in html and red.number not in html
    html = client.get("/requirements/?status=bogus").content.decode()
    assert "status" in html or "bogus" in html
    client.cookies["django_language"] = "en"
    html = client.get("/requirements/").content.decode()
    assert "Customer-specific requirements" in html and "red line" in html


def test_new_requirement_form_keeps_input_and_names_the_field(org, page):
    customer("C001", owner=org["sales"])
    client = page("sales")
    form = {
        "customer": "C001", "document_title": "CSR 手册", "document_number": "M-01", "document_revision": "A",
        "document_date": "2026-10-01", "clause": "3.2", "title": "首件检验", "text": "每批首件全尺寸",
        "departments": ["quality", "production"], "red_line": "on",
        "linked_documents": "WI-12 | 首件检验指导书 | C",
    }  # fmt: skip
    res = client.post("/requirements/new/", form)
    req = Requirement.objects.get(title="首件检验")
    assert res.status_code == 302 and res["Location"] == f"/requirements/{req.number}/"
    assert req.red_line and req.linked_documents == [
        {"number": "WI-12", "title": "首件检验指导书", "revision": "C"}
    ]
    res = client.post("/requirements/new/", {**form, "customer": "NOPE", "title": "另一条"})
    assert res.status_code == 422 and "另一条" in res.content.decode() and "NOPE" in res.content.decode()
    assert page("warehouse").get("/requirements/new/").status_code == 403


def test_detail_reviews_and_the_panel(org, page):
    req = requirement(org, departments=("quality", "production"))
    client = page("quality")
    html = client.get(f"/requirements/{req.number}/").content.decode()
    assert "部门评审" in html and "品质部" in html and "答复评审" in html
    res = client.post(f"/work/csr/{req.number}/act/review/", {"answer": "accepted", "comment": "OK"})
    assert res.status_code in (200, 302)
    client = page("production")
    client.post(f"/work/csr/{req.number}/act/review/", {
        "answer": "needs_action", "action": "更新作业指导书", "action_due": "2026-12-31",
    })  # fmt: skip
    req.refresh_from_db()
    assert req.status == "action"
    html = client.get(f"/requirements/{req.number}/").content.decode()
    assert "更新作业指导书" in html and "需采取措施" in html


def test_checklist_page_and_excel(org, page):
    red = requirement(org, red_line=True, departments=("quality", "production"))
    plain = requirement(org, departments=("quality", "rd"))
    act(plain, "review", org["quality"], {"answer": "not_applicable"})
    client = page("quality")
    html = client.get("/requirements/checklist/?customer=C001").content.decode()
    assert red.number in html and plain.number in html and "研发部" in html and "不适用" in html
    assert html.index(red.number) < html.index(plain.number)  # red lines first
    res = client.get("/requirements/checklist.xlsx?customer=C001")
    ws = load_workbook(io.BytesIO(res.content)).active
    assert ws["A2"].value == "编号"
    rows = {
        ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(1, ws.max_column + 1)]
        for r in range(3, ws.max_row + 1)
    }
    assert set(rows) == {red.number, plain.number}
    header = [c.value for c in ws[2]]
    assert rows[plain.number][header.index("品质部")].startswith("不适用")
    assert rows[red.number][header.index("研发部")] in ("", None)


def test_customer_page_shows_red_lines_first_and_cmrt(org, page):
    c = customer("C001", owner=org["sales"])
    plain = requirement(org, title="普通要求")
    red = requirement(org, red_line=True, title="不得使用含铅焊料")
    services.add_files(
        c, [SimpleUploadedFile("CMRT.pdf", PDF)], by=org["quality"], kind="cmrt", dated=dt.date(2026, 11, 20)
    )
    html = page("sales").get("/customers/C001/").content.decode()
    assert "红线" in html and "不得使用含铅焊料" in html and "2026-11-20" in html and "CMRT.pdf" in html
    assert html.index(red.number) < html.index(plain.number)


def test_cmrt_upload_on_the_customer_page(org, page):
    customer("C001", owner=org["sales"])
    client = page("quality")
    res = client.post(
        "/requirements/customer/C001/files/",
        {"kind": "cmrt", "dated": "2026-11-02", "attachments": SimpleUploadedFile("CMRT_6.5.pdf", PDF),
         "next": "/customers/C001/"},
    )  # fmt: skip
    assert res.status_code == 302
    f = RequirementFile.objects.get()
    assert f.dated == dt.date(2026, 11, 2)
    assert page("quality").get(f"/requirements/files/{f.pk}/").status_code == 200
    assert page("sales2").get(f"/requirements/files/{f.pk}/").status_code == 403


def test_hsf_page_and_cycle(org, page):
    c, cycle = with_limits(org)
    client = page("quality")
    html = client.get("/requirements/hsf/").content.decode()
    assert "铅 Pb" in html and cycle.number in html and c.name in html
    html = client.get(f"/requirements/hsf/{cycle.number}/").content.decode()
    assert "HSPM代表" in html and "卤素 Cl" in html
    res = page("sales").post("/requirements/hsf/change/", {"customer": "C001", "reason": "客户新规范"})
    assert res.status_code == 302
    _ = LIMITS, hspm


def test_another_salesmans_requirement_page_is_403(org, page):
    req = requirement(org, code="C7")
    assert page("sales2").get(f"/requirements/{req.number}/").status_code == 403
    assert req.number not in page("sales2").get("/requirements/").content.decode()
    assert page("sales2").get("/requirements/checklist/?customer=C7").status_code == 403
