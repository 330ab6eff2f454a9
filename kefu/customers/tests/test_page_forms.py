"""Issue 13: a refused customer form keeps what was typed and lists every error by label."""

from __future__ import annotations

import pytest
from django.urls import reverse

BASE = {
    "region": "domestic",
    "grade": "C",
    "contacts-TOTAL_FORMS": "1",
    "contacts-INITIAL_FORMS": "0",
    "contacts-MIN_NUM_FORMS": "0",
    "contacts-MAX_NUM_FORMS": "50",
}


@pytest.mark.parametrize(
    ("language", "summary", "code", "email"),
    [
        ("zh-hans", "表单未被接受：有 3 个问题需要修改。", "编号</a>：这个字段是必填项。", "电子邮件 (1)</a>：输入一个有效的 Email 地址。"),
        ("en", "This form was not accepted: 3 problems to fix.", "Code</a>: This field is required.", "E-mail (1)</a>: Enter a valid email address."),
    ],
)  # fmt: skip
def test_refused_customer_form_keeps_the_input_and_lists_every_error(
    org, page, language, summary, code, email
):
    client = page("salesmgr")
    client.cookies["django_language"] = language
    data = {**BASE, "code": "", "name": "", "area": "江苏省苏州市", "contacts-0-name": "周敏",
            "contacts-0-email": "not-an-address"}  # fmt: skip
    r = client.post(reverse("customers:create"), data)
    html = r.content.decode()
    assert r.status_code == 422
    assert summary in html and code in html and email in html
    assert 'value="江苏省苏州市"' in html and 'value="周敏"' in html and 'value="not-an-address"' in html
    assert '<label for="id_code">' in html and '<span class="req">*</span>' in html  # required marked
    assert html.count('class="field-error"') == 3  # each beside its field too


def test_a_service_refusal_names_the_field_by_its_label(org, page, customers):
    data = {**BASE, "code": "C-S1", "name": "重复", "contacts-TOTAL_FORMS": "0"}
    html = page("salesmgr").post(reverse("customers:create"), data).content.decode()
    assert '<a href="#id_code">编号</a>：此客户编号已存在' in html
