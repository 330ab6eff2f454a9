"""The Chinese search index finds exactly what ``icontains`` finds, through the index, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Q

from kefu.complaints.models import Complaint
from kefu.complaints.search import apply_text_search
from kefu.customers.models import Customer
from kefu.search.tokens import bigrams, document, query_bigrams

AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
INSTALLED = apps.is_installed("kefu.search")

TEXTS = {
    "burr": ("支架毛刺", "客户来料检验时发现支架毛刺，不良数量20件。"),
    "package": ("端盖包装破损", "客户仓库收货时发现包装破损，要求换货。"),
    "scrambled": ("包装破旧", "包装外观破损，装破了一角"),  # every bigram of 包装破损, never the phrase
    "size": ("法兰盘尺寸超差", "孔位偏移，尺寸超差0.2mm，Lot A-17。"),
    "none": ("按键异响", "终端用户使用中反馈异响。"),
}


@pytest.fixture
def complaints(db):
    customer = Customer.objects.create(code="C1", name="苏州精工机械有限公司")
    made = {}
    for serial, (key, (title, description)) in enumerate(TEXTS.items(), start=1):
        made[key] = Complaint.objects.create(
            number=f"202611-{serial:04d}",
            period=202611,
            serial=serial,
            customer=customer,
            region="domestic",
            channel="phone",
            title=title,
            description=description,
            category="quality",
            received_at=AT,
        )
    return made


def found(q: str) -> set[str]:
    return {c.title for c in apply_text_search(Complaint.objects.all(), q)}


def scanned(q: str) -> set[str]:
    qs = Complaint.objects.all()
    for term in q.split():
        qs = qs.filter(Q(title__icontains=term) | Q(description__icontains=term))
    return {c.title for c in qs}


def test_search_app_is_installed():
    assert INSTALLED, "add 'kefu.search' to INSTALLED_APPS (docs/performance.md)"


def test_bigrams_of_chinese_runs_only():
    assert bigrams("尺寸超差0.2mm，毛刺") == {"尺寸", "寸超", "超差", "毛刺"}
    assert bigrams("A 刺 B") == {"刺"}
    assert query_bigrams("包装破损") == ["包装", "装破", "破损"]
    assert query_bigrams("毛刺") == ["毛刺"]
    assert query_bigrams("刺") is None and query_bigrams("mm") is None and query_bigrams("A-17毛刺") is None


def test_two_character_word_is_found(complaints):
    assert found("毛刺") == scanned("毛刺") == {"支架毛刺"}


def test_four_character_phrase_is_found_and_scrambled_bigrams_are_not(complaints):
    assert found("包装破损") == scanned("包装破损") == {"端盖包装破损"}


def test_several_terms_must_all_occur(complaints):
    assert found("尺寸超差 孔位") == {"法兰盘尺寸超差"}
    assert found("尺寸超差 毛刺") == set()


@pytest.mark.parametrize("q", ["刺", "mm", "a-17", "0.2mm", "破损 Lot"])
def test_terms_the_index_cannot_serve_fall_back_to_a_scan(complaints, q):
    assert found(q) == scanned(q)


def test_index_follows_updates_and_deletes(complaints):
    c = complaints["none"]
    c.title, c.description = "按键漏装", "装配线上发现按键漏装"
    c.save()
    assert found("异响") == set()
    assert found("漏装") == {"按键漏装"}
    complaints["burr"].delete()
    assert found("毛刺") == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM search_complaint_fts")
            assert cur.fetchone()[0] == len(TEXTS) - 1


def test_search_uses_the_index(complaints):
    qs = apply_text_search(Complaint.objects.all(), "包装破损")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            plan = qs.explain()
        assert "search_complaintdoc_tsv_idx" in plan or "search_complaintdoc_pkey" in plan
    else:
        assert "search_complaint_fts VIRTUAL TABLE" in qs.explain()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL tokeniser exists on PostgreSQL only")
def test_sql_tokeniser_matches_python(complaints):
    title, description = TEXTS["size"]
    with connection.cursor() as cur:
        cur.execute("SELECT tsvector_to_array(kefu_search_tsv(%s, %s))", [title, description])
        assert set(cur.fetchone()[0]) == bigrams(f"{title} {description}")


def test_sqlite_document_is_the_sorted_bigrams():
    assert document("毛刺", "刺伤") == "刺伤 毛刺"


@pytest.mark.django_db(transaction=True)
def test_index_survives_the_flush_of_transactional_tests():
    # The flush after this test empties complaints (TRUNCATE on PostgreSQL, DELETE on SQLite);
    # the index must follow without refusing it, and the next test starts from an empty index.
    customer = Customer.objects.create(code="C2", name="无锡新光塑胶")
    Complaint.objects.create(
        number="202611-0001",
        period=202611,
        serial=1,
        customer=customer,
        region="domestic",
        channel="phone",
        title="底座锈蚀",
        description="仓库收货时发现锈蚀",
        category="quality",
        received_at=AT,
    )
    assert found("锈蚀") == {"底座锈蚀"}


@pytest.mark.django_db(transaction=True)
def test_index_is_empty_after_the_flush():
    with connection.cursor() as cur:
        table = "search_complaintdoc" if connection.vendor == "postgresql" else "search_complaint_fts"
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored-bigram sample exists on PostgreSQL only"
)
@pytest.mark.django_db
def test_a_phrase_walks_the_list_when_the_newest_complaints_often_contain_it():
    from kefu.search import index

    def docs(first: int, last: int, text: str) -> None:
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {index.PG_TABLE} (complaint_id, tsv) "
                "SELECT i, kefu_search_tsv(%s, '') FROM generate_series(%s, %s) i",
                [text, first, last],
            )

    phrase = "'包装' & '装破' & '破损'"
    docs(1, 100, "纸箱包装破损")  # old complaints
    docs(101, 2100, "齿轮毛刺")  # the newest 2,000 never say it
    assert not index._frequent_among_newest(Complaint.objects.all(), phrase)
    docs(2101, 2139, "包装破损")  # 39 of the newest 2,000: under 2 %
    assert not index._frequent_among_newest(Complaint.objects.all(), phrase)
    docs(2140, 2140, "包装破损")  # 40: 2 %
    assert index._frequent_among_newest(Complaint.objects.all(), phrase)
