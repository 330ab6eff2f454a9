"""Issue 13, the pages: a refused action form keeps what was typed and shows every error beside its
input with a summary on top, in the reader's language; a taken action answers with the whole page."""

from __future__ import annotations

import re

import pytest

from kefu.complaints.tests.workflow_factory import complaint, walk_to

# cause and valid left empty: two errors at once; what else was typed must come back
TYPED = {"cause": "", "valid": "", "supplier": "苏州精工五金", "needs_rd": "on", "note": "见照片"}


def _field(html: str, input_id: str) -> str:
    """The ``<p class="field ...">`` block that holds the input with ``input_id``."""
    for block in re.findall(r'<p class="field[^"]*">.*?</p>', html, flags=re.S):
        if f'id="{input_id}"' in block:
            return block
    raise AssertionError(f"no field {input_id}")


def _refused(client, number: str, **headers):
    url = f"/work/complaint/{number}/act/submit_investigation/"
    return client.post(url, TYPED, **headers)


@pytest.mark.parametrize(
    ("language", "required", "cause", "valid", "summary"),
    [
        ("zh-hans", "：必填", "原因", "客诉是否成立（有效投诉）", "表单未被接受：有 2 个问题需要修改。"),
        ("en", ": required", "Cause", "Complaint valid (established)", "This form was not accepted: 2 problems to fix."),
    ],
)  # fmt: skip
def test_refused_action_form_keeps_the_input_and_shows_every_error_beside_its_field(
    page, org, language, required, cause, valid, summary
):
    c = walk_to(org, complaint(org), "investigating")
    client = page("quality")
    client.cookies["django_language"] = language
    r = _refused(client, c.number, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200
    form = html.split('data-action="submit_investigation"')[1].split("</details>")[0]
    assert form.lstrip().startswith("open>")  # the refused form stays open
    # the summary on top lists both, by label and linked to the input
    assert summary in form
    assert f'<a href="#submit_investigation-cause">{cause}</a>{required}' in form
    assert f'<a href="#submit_investigation-valid">{valid}</a>{required}' in form
    assert form.index('class="error-summary"') < form.index('id="submit_investigation-cause"')
    # each error beside its input, marked invalid, the required ones marked with *
    for name in ("cause", "valid"):
        block = _field(form, f"submit_investigation-{name}")
        assert "has-error" in block and 'aria-invalid="true"' in block
        assert f'<span class="field-error" role="alert">{required.lstrip(":： ")}</span>' in block
        assert '<span class="req">*</span>' in block
    # what was typed and chosen comes back
    assert 'value="苏州精工五金"' in _field(form, "submit_investigation-supplier")
    assert "checked" in _field(form, "submit_investigation-needs_rd")
    assert ">见照片</textarea>" in _field(form, "submit_investigation-note")
    # no code of a field or a department in what the reader sees
    assert "cause:" not in html and "valid:" not in html
    c.refresh_from_db()
    assert c.status == "investigating"


def test_refused_plain_post_answers_with_the_case_page_and_the_typed_form(page, org):
    """A form posted without htmx (the work list's) comes back on the case's page, filled in."""
    c = walk_to(org, complaint(org), "investigating")
    r = _refused(page("quality"), c.number)
    html = r.content.decode()
    assert r.status_code == 422
    assert 'id="status-badge">调查中</span>' in html  # the whole page of the case
    form = html.split('data-action="submit_investigation"')[1].split("</details>")[0]
    assert "表单未被接受：有 2 个问题需要修改。" in form
    assert 'value="苏州精工五金"' in form and ">见照片</textarea>" in form


def test_action_through_the_page_answers_with_the_new_badge_step_and_history(page, org):
    c = complaint(org)  # registered, held by the GM office
    client = page("gmoffice")
    r = client.post(
        f"/work/complaint/{c.number}/act/assign/", {"note": "请品质部调查"}, HTTP_HX_REQUEST="true"
    )
    html = r.content.decode()
    assert r.status_code == 200
    # htmx swaps the page's whole main content, not only the panel
    assert r["HX-Retarget"] == "#main" and r["HX-Reselect"] == "#main"
    main = html.split('<main class="container" id="main">')[1]
    assert 'id="status-badge">调查中</span>' in main  # the new status badge
    assert 'data-step="investigation"' in main.split('id="step-timeline"')[1]  # the new step in the panel
    steps = main.split('id="case-steps"')[1].split("</table>")[0]
    assert "<td>调查</td>" in steps  # ... and in the steps table
    history = main.split('id="case-history"')[1]
    assert "分派给品质部" in history and "请品质部调查" in history
    assert "已完成“分派给品质部”：客诉当前状态为调查中。" in main  # what was done, said in the panel
    c.refresh_from_db()
    assert c.status == "investigating"


# --- the registration forms keep the chosen files (pending attachments) -----------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def test_refused_registration_keeps_the_typed_values_and_the_chosen_photo(page, org, media):
    from django.urls import reverse

    from kefu.complaints.models import Complaint
    from kefu.complaints.tests.test_intake import EXE, JPEG, make_customer, upload

    make_customer("C001", owner=org["sales"], name="华东机电")
    client = page("sales")
    typed = {"customer": "C001", "channel": "phone", "title": "", "description": "", "category": "quality",
             "severity": "general", "order_no": "SO-7731", "quantity": "500"}  # fmt: skip
    r = client.post(
        reverse("complaints:create"),
        {**typed, "attachments": [upload("划痕.jpg", JPEG), upload("setup.jpg", EXE)]},
    )
    html = r.content.decode()
    assert r.status_code == 422
    # all errors at once, beside their fields and in the summary, by label
    assert "表单未被接受：有 3 个问题需要修改。" in html
    assert '<a href="#id_title">标题</a>：这个字段是必填项。' in html
    assert '<a href="#id_description">描述</a>：这个字段是必填项。' in html
    assert "setup.jpg：文件内容与类型不符" in html  # the refused file, beside the attachments
    assert 'value="SO-7731"' in html and 'value="500"' in html
    # the acceptable photo is kept on the server and listed with a box to drop it
    assert '<ul class="pending-files" id="pending-files">' in html and "划痕.jpg" in html
    token = html.split('name="pending" value="')[1].split('"')[0]
    key = html.split('name="pending_keep" value="')[1].split('"')[0]
    assert len(list((media / "pending").iterdir())) == 1
    # sent again, fixed, without choosing the photo again: the complaint has it
    r = client.post(
        reverse("complaints:create"),
        {**typed, "title": "外壳划痕", "description": "20 of 500", "pending": token, "pending_keep": key},
    )
    assert r.status_code == 302
    c = Complaint.objects.get(order_no="SO-7731")
    assert [a.original_name for a in c.attachments.all()] == ["划痕.jpg"]
    assert list((media / "pending").iterdir()) == []  # the kept copy is gone


def test_a_forged_or_dropped_pending_file_is_not_attached(page, org, media):
    from django.urls import reverse

    from kefu.complaints.models import Complaint
    from kefu.complaints.tests.test_intake import JPEG, make_customer, upload

    make_customer("C001", owner=org["sales"], name="华东机电")
    client = page("sales")
    typed = {"customer": "C001", "channel": "phone", "title": "", "description": "d", "category": "quality",
             "severity": "general", "order_no": "SO-1"}  # fmt: skip
    html = client.post(
        reverse("complaints:create"), {**typed, "attachments": [upload("a.jpg", JPEG)]}
    ).content
    token = html.decode().split('name="pending" value="')[1].split('"')[0]
    # the box unticked: dropped
    client.post(reverse("complaints:create"), {**typed, "title": "t", "pending": token})
    assert Complaint.objects.get(order_no="SO-1").attachments.count() == 0
    # a token not signed by the server is ignored
    typed["order_no"] = "SO-2"
    client.post(
        reverse("complaints:create"), {**typed, "title": "t", "pending": "abc:def", "pending_keep": "x"}
    )
    assert Complaint.objects.get(order_no="SO-2").attachments.count() == 0


def test_old_pending_folders_are_swept(media, settings):
    import time

    from kefu.complaints import pending
    from kefu.complaints.tests.test_intake import JPEG, upload

    token, refused = pending.keep("", [upload("a.jpg", JPEG)])
    assert refused == [] and [f.name for f in pending.listed(token)] == ["a.jpg"]
    assert pending.sweep(now=time.time()) == 0
    assert pending.sweep(now=time.time() + pending.MAX_AGE + 60) == 1
    assert not (media / "pending").exists() or list((media / "pending").iterdir()) == []
