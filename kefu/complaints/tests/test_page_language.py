"""Issue 13: an English page names departments, statuses and messages in English; the language
switch reads "English" / "中文" in every language; the key-customer badge reads 重点客户."""

from __future__ import annotations

import pytest

from kefu.complaints.tests.workflow_factory import complaint, walk_to


def test_english_case_page_names_departments_statuses_and_messages_in_english(page, org):
    from kefu.core.models import Department

    gm_office = Department.objects.get(code="gm_office").name
    assert gm_office and not gm_office.isascii()  # the plant's own name is Chinese
    c = walk_to(org, complaint(org), "investigating")
    client = page("quality")
    client.cookies["django_language"] = "en"
    html = client.get(f"/complaints/{c.number}/").content.decode()
    assert 'id="status-badge">Investigating</span>' in html
    timeline = html.split('id="step-timeline"')[1].split("</ol>")[0]
    assert "GM office" in timeline and "Quality" in timeline and gm_office not in timeline
    steps = html.split('id="case-steps"')[1].split("</table>")[0]
    assert "<td>GM office</td>" in steps and gm_office not in steps
    findings = html.split('id="findings"')[1].split("</section>")[0]
    assert "GM office" in findings and gm_office not in findings  # who wrote each part of the form
    r = client.post(
        f"/work/complaint/{c.number}/act/submit_investigation/", {"cause": ""}, HTTP_HX_REQUEST="true"
    )
    assert "This form was not accepted" in r.content.decode() and "必填" not in r.content.decode()
    # and in Chinese the plant's own name
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/complaints/{c.number}/").content.decode()
    assert gm_office in html.split('id="case-steps"')[1].split("</table>")[0]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_switch_reads_english_and_chinese_in_every_language(page, org, language):
    client = page("sales")
    client.cookies["django_language"] = language
    html = client.get("/complaints/").content.decode()
    switch = html.split('class="langswitch"')[1].split("</form>")[0]
    assert '<option value="zh-hans" lang="zh-hans"' in switch and ">中文</option>" in switch
    assert ">English</option>" in switch and "英语" not in switch and "简体中文" not in switch


def test_key_customer_badge_reads_zhongdian_kehu(page, org):
    from kefu.customers.models import Customer

    Customer.objects.create(code="K001", name="苏州恒达精密机械有限公司", is_key=True, owner=org["sales"])
    html = page("salesmgr").get("/customers/").content.decode()
    assert '<span class="badge badge-key">重点客户</span>' in html and ">键<" not in html
