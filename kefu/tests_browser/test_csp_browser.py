"""The Content-Security-Policy in a real browser (issue 11): kefu's pages, htmx swaps, the admin and an
ECharts chart run under it without one violation, and the behaviour moved out of inline handlers works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kefu.complaints.models import Complaint
from kefu.complaints.tests import workflow_factory as wf

from .conftest import PASSWORD, log_in

# Registered before any page script: every violation the page reports, and the console's CSP errors.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def staff(transactional_db):
    from conftest import ORG
    from kefu.core.org import create_user

    return {
        username: create_user(
            username,
            password=PASSWORD,
            memberships=memberships,
            is_superuser=username == "admin",
            is_staff=username == "admin",
        )
        for username, memberships in ORG.items()
    }


@pytest.fixture
def watched(tab):
    """The tab, with a list of the CSP violations seen (page events and console errors)."""
    tab.add_init_script(WATCH)
    console: list[str] = []
    tab.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )

    def violations() -> list[str]:
        try:
            reported = tab.evaluate("window.__csp || []")
        except Exception:  # a page in the middle of a navigation
            reported = []
        return reported + console

    tab.violations = violations
    tab.console_csp = console
    return tab


def visit(tab, url: str, seen: dict, *, status: int = 200) -> None:
    response = tab.goto(url)
    assert response is not None and response.status == status, (url, response and response.status)
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), url
    tab.wait_for_load_state("load")
    seen[url] = tab.violations()


def test_pages_htmx_swaps_and_the_admin_raise_no_csp_violation(watched, staff, shot):
    tab = watched
    seen: dict[str, list[str]] = {}
    c = wf.complaint(staff, now=None)

    visit(tab, "/login/", seen)
    visit(tab, "/public/complaint/", seen)
    # The API's Swagger UI: django-ninja's bundled copy, no CDN, no inline script.
    visit(tab, "/api/v1/docs", seen)
    expect(tab.locator(".swagger-ui .info .title")).to_contain_text("kefu API")
    expect(tab.locator(".swagger-ui .opblock").first).to_be_visible()
    seen["/api/v1/docs (rendered)"] = tab.violations()
    # The locked-out page (django-axes, core/locked_out.html).
    for i in range(5):
        tab.goto("/login/")
        tab.fill("#id_username", "quality")
        tab.fill("#id_password", f"wrong-{i}")
        tab.locator("form.stacked button[type=submit]").click()
    expect(tab.locator("#locked-out")).to_be_visible()
    seen["locked out"] = tab.violations()
    log_in(tab, "gmoffice")

    visit(tab, "/complaints/", seen)
    # htmx: typing in the search box swaps the table in place.
    tab.fill("#id_q", "毛刺")
    with tab.expect_response(lambda r: "/complaints/?" in r.url):
        tab.press("#id_q", "Enter")
    expect(tab.locator("#complaint-table tbody tr")).to_have_count(1)
    seen["/complaints/ (htmx search)"] = tab.violations()

    visit(tab, f"/complaints/{c.number}/", seen)
    # htmx: the workflow panel's action posts and swaps the panel.
    action = tab.locator("details.workflow-action[data-action='assign']")
    if not action.evaluate("d => d.open"):
        action.locator("summary").click()
    with tab.expect_response(lambda r: "/act/assign/" in r.url):
        action.locator("form button.btn-primary").click()
    expect(tab.locator("#workflow-panel .messages, .messages")).to_have_count(1)
    assert Complaint.objects.get(pk=c.pk).status == "investigating"
    seen[f"/complaints/{c.number}/ (htmx action)"] = tab.violations()
    shot(tab, "csp-complaint-detail")

    for url in ("/work/", "/complaints/daily/", "/customers/", "/complaints/new/", "/profile/"):
        visit(tab, url, seen)

    # The language switch (data-autosubmit in kefu.js, was an inline onchange) still submits.
    visit(tab, "/complaints/", seen)
    tab.select_option("select[name=language]", "en")
    tab.wait_for_url("**/complaints/")
    expect(tab.locator("html")).to_have_attribute("lang", "en")
    seen["/complaints/ (language switch)"] = tab.violations()

    # The error page's Back link (data-history-back, was javascript:history.back()); core/error.html
    # shows only for an unexpected domain error, so the same link is put on a page here.
    visit(tab, "/profile/", seen)
    visit(tab, "/customers/", seen)
    tab.evaluate(
        """() => { const a = document.createElement('a'); a.id = 'back'; a.href = '/';
                   a.dataset.historyBack = ''; a.textContent = 'back'; document.querySelector('main').append(a); }"""
    )
    tab.click("#back")
    tab.wait_for_url("**/profile/")

    tab.context.clear_cookies()
    log_in(tab, "admin")
    user_pk = staff["sales"].pk
    for url in (
        "/system/",
        "/admin/",
        "/admin/axes/accessattempt/",
        "/admin/auth/user/",
        f"/admin/auth/user/{user_pk}/change/",
        "/admin/complaints/complaint/",
        f"/admin/complaints/complaint/{c.pk}/change/",
    ):
        visit(tab, url, seen)

    assert {url: found for url, found in seen.items() if found} == {}
    assert tab.console_csp == []


def test_echarts_draws_a_chart_with_a_tooltip_under_the_policy(watched, staff):
    """ECharts draws on a canvas; its tooltip must be drawn there too (renderMode 'richText'): the
    default HTML tooltip is built with style attributes, which style-src 'self' refuses."""
    tab = watched
    log_in(tab, "sales")
    tab.goto("/complaints/")
    # No page draws a chart yet: load the vendored ECharts into a kefu page as a chart page would.
    tab.add_script_tag(url="/static/kefu/vendor/echarts.min.js")
    drawn = tab.evaluate(
        """() => new Promise((resolve) => {
            const box = document.createElement('div');
            document.querySelector('main').append(box);
            box.style.width = '480px'; box.style.height = '300px';  // CSSOM, not an attribute
            const chart = echarts.init(box);
            chart.setOption({
              animation: false,
              tooltip: {trigger: 'axis', renderMode: 'richText'},
              xAxis: {type: 'category', data: ['质量', '交期', '服务']},
              yAxis: {type: 'value'},
              series: [{type: 'bar', name: '投诉', data: [17, 5, 3]}],
            });
            chart.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0});
            setTimeout(() => {
              const texts = chart.getZr().storage.getDisplayList()
                .map((el) => (el.style && typeof el.style.text === 'string') ? el.style.text : '');
              resolve({
                canvas: box.querySelectorAll('canvas').length,
                // The series name shows only in the tooltip (there is no legend).
                tooltip: texts.includes('投诉') && texts.includes('17'),
              });
            }, 300);
        })"""
    )
    assert tab.violations() == []
    assert drawn == {"canvas": 1, "tooltip": True}
