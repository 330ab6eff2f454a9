"""Issue 13: at 390 px wide every page of the complaints, the customers, the work list, the 8Ds and the public
form fits the screen (lists become cards, wide tables scroll inside their card, forms stack)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from .conftest import PASSWORD, log_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def case(people):
    """A complaint at its second step with long texts, a late step and a history to show."""
    from kefu.complaints.services import register_complaint, take_action
    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R
    from kefu.core.org import create_user

    gmoffice = create_user(
        "gmoffice", password=PASSWORD, memberships=[(D.GM_OFFICE, R.CLERK)], first_name="刘婷"
    )
    users = people["users"]
    received = timezone.now() - dt.timedelta(days=12)
    c = register_complaint(
        by=users["sales"],
        customer=people["customers"][0],
        channel="phone",
        title="精密冲压件边缘毛刺超标导致客户装配线停线并要求全数挑选和赔偿",
        description="客户来料检验发现批次 260412-3 的精密冲压件（料号 JM-200-1A-LONGPARTNUMBER）边缘毛刺。"
        * 3,
        category="quality",
        severity="major",
        order_no="PO2026123456789",
        part_no="JM-200-1A-LONGPARTNUMBER-0001",
        received_at=received,
        now=received,
    )
    take_action(c.number, "assign", by=gmoffice, payload={"note": "请品质部调查并于三日内回复。" * 4})
    from kefu.capa.services import open_capa

    c.capa = open_capa(
        by=gmoffice,
        title=c.title,
        department="production",
        problem=c.description,
        nonconformity="品质",
        severity="major",
        customer=people["customers"][0],
        source_type="complaint",
        source=c.number,
    )
    return c


def _pages(case) -> list[str]:
    return [
        "/complaints/",
        f"/complaints/{case.number}/",
        "/complaints/new/",
        "/customers/",
        "/customers/C1001/",
        "/customers/C1001/?tab=complaints",
        "/customers/C1001/?tab=grades",
        "/customers/C1001/?tab=access",
        "/customers/new/",
        "/work/",
        "/capa/",
        f"/capa/{case.capa.number}/",
        "/capa/new/",
        "/capa/analysis/",
        "/public/complaint/",
        "/public/complaint/status/",
    ]


@pytest.mark.parametrize("user", ["sales", "quality"])
def test_no_page_is_wider_than_a_phone(tab, case, shot, user):
    log_in(tab, user)
    tab.set_viewport_size(PHONE)
    too_wide = {}
    for path in _pages(case):
        response = tab.goto(path)
        if response.status == 403:  # a page this user may not open (quality: the customer forms)
            continue
        assert response.ok, path
        width = tab.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
        shot(tab, f"phone-{user}-{path.strip('/').replace('/', '-').replace('?tab=', '-') or 'home'}")
    assert too_wide == {}


def test_lists_are_cards_on_a_phone_and_tables_at_1440(tab, case, shot):
    log_in(tab, "sales")
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        tab.set_viewport_size(size)
        tab.goto("/complaints/")
        head = tab.locator("table.complaints thead")
        row = tab.locator("table.complaints tbody tr").first
        number = row.locator("td").first
        if name == "phone":  # the header row is hidden; each cell says what it is
            assert not head.is_visible()
            assert row.locator('td[data-label="客户"]').is_visible()
            assert not row.locator('td[data-label="受理时间"]').is_visible()
        else:
            assert head.is_visible()
        assert case.number in number.inner_text()
        shot(tab, f"complaint-list-{name}")
        tab.goto(f"/complaints/{case.number}/")
        shot(tab, f"complaint-detail-{name}")
        # the steps table keeps its columns and scrolls inside its card
        box = tab.locator("#case-steps").bounding_box()
        assert box["x"] + box["width"] <= size["width"]
