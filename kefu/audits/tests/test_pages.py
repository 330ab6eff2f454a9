"""The audit pages: list (cards on a phone), plan form, detail with folders, meetings,
nonconformities and their 8Ds, earlier audits, the engine's panel; the customer's page lists its
audits; the 8D shows its source audit; confidentiality."""

from __future__ import annotations

import pytest

from kefu.audits.tests.factory import act, add_nc, at, customer, meeting, plan, reload, to_findings

pytestmark = pytest.mark.django_db


def test_list_and_filters(org, page):
    a = plan(org, cust=customer("C001"))
    b = plan(org, cust=customer("C002"), audit_type="csr", start=at(2026, 11, 20))
    client = page("sales")
    html = client.get("/audits/").content.decode()
    assert a.number in html and b.number in html and "客户审核" in html and "cards-on-phone" in html
    html = client.get("/audits/?audit_type=csr").content.decode()
    assert b.number in html and a.number not in html


def test_plan_form_keeps_input_on_error_and_plans(org, page):
    customer("C001")
    client = page("sales")
    form = {
        "customer": "C001", "audit_type": "periodic", "planned_start": "2026-12-14T09:00",
        "planned_end": "2026-12-13T17:00", "departments": ["production", "quality"],
        "managers": "production, 王五\n品质部, 赵六", "auditors": "Smith, SQE, smith@customer.example", "scope": "过程审核",
    }  # fmt: skip
    res = client.post("/audits/new/", form)
    assert res.status_code == 200 and "过程审核" in res.content.decode()
    res = client.post("/audits/new/", {**form, "planned_end": "2026-12-15T17:00"})
    assert res.status_code == 302
    from kefu.audits.models import Audit

    a = Audit.objects.get()
    assert a.departments == [
        {"department": "production", "manager": "王五"},
        {"department": "quality", "manager": "赵六"},  # by its name as the page shows it
    ]
    assert a.auditors[0]["email"] == "smith@customer.example"


def test_detail_shows_folders_meetings_ncs_8ds_and_earlier_audits(org, page):
    cust = customer("C001")
    earlier = plan(org, cust=cust, start=at(2026, 11, 3), now=at(2026, 11, 2, 8))
    to_findings(org, earlier)
    add_nc(org, earlier)
    act(earlier, "hand_over", org["sales"], now=at(2026, 11, 4))
    act(reload(earlier), "open_8ds", org["quality"], now=at(2026, 11, 4, 11))
    a = plan(org, cust=cust)
    html = page("sales").get(f"/audits/{a.number}/").content.decode()
    assert all(f'data-folder="{f}"' in html for f in "pdca") and "P：审核前准备" in html
    assert 'data-notice="departments"' in html and "2026-11-05 09:00" in html  # Monday -> Thursday
    assert earlier.number in html and "8D-" in html  # the earlier audit's open 8D
    html = page("quality").get(f"/audits/{earlier.number}/").content.decode()
    assert f"{earlier.number}-NC01" in html and "8D-202611-0001" in html
    html = page("quality").get("/capa/8D-202611-0001/").content.decode()
    assert f"/audits/{earlier.number}/#{earlier.number}-NC01" in html  # the 8D links its source audit


def test_actions_through_the_panel_and_nc_form(org, page):
    a = plan(org)
    client = page("sales")
    res = client.post(
        f"/work/audit/{a.number}/act/open_meeting/", {"ours": "王五\n赵六", "customer": "Smith"}
    )
    assert res.status_code in (200, 302)
    assert reload(a).status == "in_progress"
    res = client.post(
        f"/audits/{a.number}/nonconformities/",
        {"description": "量具未校准", "department": "quality", "severity": "general", "clause": "7.1.5"},
    )
    assert res.status_code == 302
    html = client.get(f"/audits/{a.number}/").content.decode()
    assert f"{a.number}-NC01" in html and 'data-kind="opening"' in html and "王五" in html
    act(reload(a), "close_meeting", org["sales"], meeting(), now=at(2026, 11, 9, 16))


def test_customer_page_lists_its_audits(org, page):
    c = customer("C001")
    a = plan(org, cust=c)
    html = page("sales").get(f"/customers/{c.code}/").content.decode()
    assert 'id="customer-audits"' in html and a.number in html


def test_another_salesmans_audit_page_is_403(org, page):
    c = customer("S002", owner="sales2")
    a = plan(org, cust=c, by="sales2")
    assert page("sales").get(f"/audits/{a.number}/").status_code == 403
    assert a.number not in page("sales").get("/audits/").content.decode()


def test_improvement_report_pdf(org, page):
    a = plan(org)
    to_findings(org, a)
    res = page("sales").get(f"/audits/{a.number}/report.pdf")
    assert res.status_code == 200 and res.content[:4] == b"%PDF"


def test_work_list_shows_the_audits_steps_from_the_engine(org, page, api):
    a = plan(org, cust=customer("K010", key=True), start=at(2026, 11, 16))
    html = page("sales").get("/work/").content.decode()
    assert a.number in html and "应审说明会" in html  # the key customer's preparation meeting task
    rows = api("sales").get("/api/v1/work?record_type=audit").json()["results"]
    assert {r["step"] for r in rows} == {"preparation", "prep_meeting"}
