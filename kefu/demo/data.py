"""Demo data: the organisation, about 40 customers and a year of complaints (issue 3, part 8).

Everything is written through the services (``create_customer``,
``register_complaint``) so demo rows look exactly like real ones: numbers per
month, deadlines from the calendar, audit rows. A seed makes a run
reproducible for a given "now".
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role as R
from kefu.core.models import Notification
from kefu.core.org import create_user, ensure_departments
from kefu.core.workcalendar import WorkCalendar

DEMO_PASSWORD = "kefu-demo-2026"
DEFAULT_SEED = 2026
DEFAULT_CUSTOMERS = 40
DEFAULT_COMPLAINTS = 300
CHUNK = 200  # complaints per transaction when generating many (BULK_CHUNK for very many)

# username, family name, given name, memberships; the test fixture ``org`` mirrors these.
USERS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("admin", "王", "志强", [(D.GM_OFFICE, R.ADMIN)]),
    ("gm", "陈", "国华", [(D.GM_OFFICE, R.GM)]),
    ("dgm", "李", "振东", [(D.GM_OFFICE, R.DEPUTY_GM)]),
    ("gmoffice", "刘", "婷", [(D.GM_OFFICE, R.CLERK)]),
    ("quality", "张", "伟", [(D.QUALITY, R.CLERK)]),
    ("qualitymgr", "周", "明辉", [(D.QUALITY, R.MANAGER)]),
    ("production", "吴", "海峰", [(D.PRODUCTION, R.CLERK)]),
    ("prodmgr", "钱", "永刚", [(D.PRODUCTION, R.MANAGER)]),  # approves the 8D replies (kefu/capa/demo.py)
    ("rd", "郑", "晓东", [(D.RD, R.CLERK)]),
    ("sales", "林", "晓燕", [(D.SALES, R.CLERK)]),
    ("sales2", "黄", "俊杰", [(D.SALES, R.CLERK)]),
    ("salesmgr", "何", "丽萍", [(D.SALES, R.MANAGER)]),
    ("mrep", "孙", "建平", [(D.MANAGEMENT_REP, R.MANAGEMENT_REP)]),
    ("syspec", "冯", "雅琴", [(D.QUALITY, R.SYSTEM_SPECIALIST)]),  # routes existing customers' audit findings
    ("hspm", "韩", "立新", [(D.QUALITY, R.HSPM_REP)]),  # approves the customers' HSF limits
    ("warehouse", "马", "强", [(D.WAREHOUSE, R.CLERK)]),
    ("accounting", "朱", "慧敏", [(D.ACCOUNTING, R.CLERK)]),
]
EXPORTERS = {"admin", "gm", "dgm", "mrep", "salesmgr", "qualitymgr"}

# --- customers ------------------------------------------------------------------

# city, province, street, phone area code
CITIES = [
    ("苏州", "江苏省苏州市", "工业园区星湖街", "0512"),
    ("无锡", "江苏省无锡市", "新吴区长江路", "0510"),
    ("宁波", "浙江省宁波市", "北仑区明州路", "0574"),
    ("杭州", "浙江省杭州市", "萧山区建设一路", "0571"),
    ("东莞", "广东省东莞市", "长安镇振安中路", "0769"),
    ("深圳", "广东省深圳市", "宝安区福永大道", "0755"),
    ("佛山", "广东省佛山市", "顺德区容桂大道", "0757"),
    ("青岛", "山东省青岛市", "黄岛区长江中路", "0532"),
    ("天津", "天津市", "西青区海泰大道", "022"),
    ("重庆", "重庆市", "两江新区金渝大道", "023"),
    ("武汉", "湖北省武汉市", "经开区车城大道", "027"),
    ("合肥", "安徽省合肥市", "经开区繁华大道", "0551"),
    ("上海", "上海市", "嘉定区安亭镇墨玉路", "021"),
    ("长沙", "湖南省长沙市", "雨花区环保中路", "0731"),
]
STEMS = """
恒达 华瑞 精诚 鼎盛 宏远 永信 新丰 金泰 联创 博源 瑞丰 天成
众鑫 嘉华 宝利 中联 锦程 海川 正泰 汇通 广和 东方 长城 国邦
远航 卓越 凯盛 星辰 安达 信诚 万润 德隆 兴业 华阳 启明 振兴
""".split()
TRADES = """
精密机械 汽车零部件 电器 五金制品 电子科技 机电设备 家电 动力科技 智能装备 新能源科技
""".split()
FOREIGN = [
    ("德国穆勒传动技术有限公司 (Müller Antriebstechnik GmbH)", "德国", "Industriestraße 12, 70565 Stuttgart"),
    ("日本田中精机株式会社 (Tanaka Seiki Co., Ltd.)", "日本", "愛知県名古屋市港区築地町 3-8"),
    ("美国克莱顿工业公司 (Clayton Industries Inc.)", "美国", "1450 Commerce Dr, Columbus, OH 43219"),
    ("越南西贡精工有限公司 (Saigon Precision Co., Ltd.)", "越南", "Lô C4, KCN Tân Tạo, TP. Hồ Chí Minh"),
    ("韩国大成电装株式会社 (Daesung Electric Co., Ltd.)", "韩国", "경기도 화성시 산업로 55"),
    (
        "泰国暹罗汽配有限公司 (Siam Auto Parts Co., Ltd.)",
        "泰国",
        "Amata City Industrial Estate, Rayong 21000",
    ),
]
PRODUCTS = [
    ("精密冲压件", "JM"),
    ("铝合金压铸壳体", "YZ"),
    ("注塑外壳", "ZS"),
    ("高强度紧固件", "JG"),
    ("汽车线束总成", "XS"),
    ("电机端盖", "DG"),
    ("传动齿轮", "CL"),
    ("轴承座", "ZC"),
    ("钣金机箱", "BJ"),
    ("压缩弹簧", "TH"),
    ("散热器支架", "SR"),
    ("密封圈", "MF"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = """
伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇
艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华
文博 思远 海燕 志刚 晓明 雪梅 国强 红梅
""".split()
CONTACT_TITLES = """
采购经理 品质主管 供应链总监 质量工程师 采购专员 总经理助理 进料检验组长
""".split()


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def customer_rows(count: int, rng: random.Random) -> list[dict]:
    """``count`` customer records (fields for ``create_customer``), about one in seven foreign."""
    rows: list[dict] = []
    names: set[str] = set()
    foreign = list(FOREIGN)
    rng.shuffle(foreign)
    n_foreign = min(len(foreign), max(1, count // 7)) if count >= 3 else 0
    for i in range(count):
        code = f"C{1001 + i}"
        products = rng.sample(PRODUCTS, k=rng.randint(1, 3))
        product_text = "；".join(f"{p} {prefix}-{rng.randint(10, 99)}0 系列" for p, prefix in products)
        if i % 7 == 3 and foreign and len([r for r in rows if r["region"] == "foreign"]) < n_foreign:
            name, area, address = foreign.pop()
            region, phone = (
                "foreign",
                f"+{rng.randint(30, 89)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            )
        else:
            city, province, street, area_code = rng.choice(CITIES)
            while True:
                name = f"{city}{rng.choice(STEMS)}{rng.choice(TRADES)}有限公司"
                if name not in names:
                    break
            area, address, region = province, f"{province}{street}{rng.randint(1, 999)}号", "domestic"
            phone = f"{area_code}-{rng.randint(5000_0000, 8999_9999) if len(area_code) == 3 else rng.randint(5000_000, 8999_999)}"
        names.add(name)
        contacts = [
            {
                "name": _person(rng),
                "title": title,
                "phone": phone,
                "mobile": f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(1000_0000, 9999_9999)}",
                "email": f"{kind}@{code.lower()}.example.com",
                "is_primary": j == 0,
            }
            for j, (title, kind) in enumerate(
                zip(rng.sample(CONTACT_TITLES, k=rng.randint(1, 2)), ["purchase", "quality"], strict=False)
            )
        ]
        grade = rng.choices("ABCD", weights=[2, 4, 3, 1])[0]
        rows.append(
            {
                "code": code,
                "name": name,
                "address": address,
                "legal_representative": _person(rng),
                "products": product_text,
                "region": region,
                "area": area,
                "grade": grade,
                "is_key": grade == "A" or rng.random() < 0.1,
                "owner": "sales" if i % 2 == 0 else "sales2",
                "contacts": contacts,
            }
        )
    return rows


# --- complaints -------------------------------------------------------------------


@dataclass(frozen=True)
class Defect:
    title: str  # "{product}" is replaced
    description: str  # "{product}", "{part}", "{lot}", "{n}", "{qty}", "{days}", "{boxes}" are replaced
    category: str
    request: str


DEFECTS = [
    Defect(
        "{product}边缘毛刺超标",
        "客户来料检验发现批次 {lot} 的{product}（料号 {part}）冲切边缘有明显毛刺，抽检 {qty} 件中 {n} 件毛刺高度超过 0.1 mm，装配时划伤密封圈。要求分析原因并对库存品全数挑选。",
        "quality",
        "exchange",
    ),
    Defect(
        "{product}尺寸超差",
        "客户三坐标测量发现{product}（料号 {part}）孔距尺寸超出图纸公差 ±0.05 mm，批次 {lot} 共 {qty} 件，不良 {n} 件，已影响客户产线装配，要求尽快回复临时对策。",
        "quality",
        "return",
    ),
    Defect(
        "{product}漏装零件",
        "客户装配时发现{product}（料号 {part}）漏装弹垫/卡簧，批次 {lot} 中发现 {n} 件，客户怀疑我司装配工序防错失效，要求提交 8D 报告。",
        "quality",
        "rework",
    ),
    Defect(
        "{product}表面划伤",
        "{product}（料号 {part}）外观面有划伤和压痕，客户外观检验判定不合格，批次 {lot} 共 {qty} 件，其中 {n} 件不良。客户要求加强包装防护。",
        "quality",
        "exchange",
    ),
    Defect(
        "{product}包装破损",
        "到货时外箱破损、隔板缺失，{product}（料号 {part}）有 {n} 件磕碰变形。运输单号随附照片已由客户邮件发来，批次 {lot}。",
        "non_quality",
        "compensation",
    ),
    Defect(
        "{product}交期延误",
        "订单约定交期未能满足，{product}（料号 {part}）延迟 {days} 天到货，导致客户产线停线半天。客户要求说明原因并承担相应损失。",
        "non_quality",
        "explanation",
    ),
    Defect(
        "{product}色差",
        "客户反馈本批{product}（料号 {part}）与封样存在明显色差，批次 {lot} 共 {qty} 件，客户无法与其他批次混用，要求确认喷涂工艺参数。",
        "quality",
        "allowance",
    ),
    Defect(
        "{product}生锈",
        "客户仓库开箱发现{product}（料号 {part}）表面锈蚀，批次 {lot} 中 {n} 件锈点明显，疑似防锈油涂覆不足或包装受潮。",
        "quality",
        "return",
    ),
    Defect(
        "{product}标签错误",
        "外箱标签料号与箱内实物不符：标签为 {part}，实物为其他型号，共 {boxes} 箱，客户入库时扫码发现。要求核查出货检验流程。",
        "non_quality",
        "exchange",
    ),
    Defect(
        "{product}数量短缺",
        "客户收货清点发现{product}（料号 {part}）实收数量比送货单少 {n} 件，批次 {lot}，送货单数量 {qty} 件，要求补发。",
        "non_quality",
        "explanation",
    ),
    Defect(
        "{product}功能不良",
        "客户终检发现{product}（料号 {part}）装机后异响，批次 {lot} 不良 {n} 件，退回样品已寄出，要求分析失效原因。",
        "quality",
        "compensation",
    ),
    Defect(
        "{product}材质不符",
        "客户送第三方检测，{product}（料号 {part}）硬度低于图纸要求 HRC 35-40，批次 {lot}，要求提供材质证明并说明原因。",
        "quality",
        "return",
    ),
]
CHANNELS = [
    ("phone", 30),
    ("email", 30),
    ("fax", 4),
    ("visit", 8),
    ("letter", 3),
    ("on_site", 6),
    ("internal", 4),
    ("survey", 2),
]
SEVERITIES = [("general", 75), ("major", 20), ("serious", 5)]
REPORTERS = ["quality", "gmoffice", "salesmgr"]


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _w in pairs], weights=[w for _v, w in pairs])[0]


# Complaints per month relative to the year's average: few around the Spring Festival (Feb) and
# National Day (Oct), more when the lines run full before the summer and the year's end.
SEASON = {
    1: 0.9,
    2: 0.55,
    3: 1.1,
    4: 1.15,
    5: 1.05,
    6: 1.2,
    7: 1.0,
    8: 0.9,
    9: 1.15,
    10: 0.75,
    11: 1.3,
    12: 1.2,
}
HISTORY_DAYS = 455  # about fifteen months
RECENT_DAYS = 21


def _moments(
    count: int,
    rng: random.Random,
    now: dt.datetime,
    calendar: WorkCalendar,
    days: int = HISTORY_DAYS,
    recent_boost: float = 1.0,
) -> list[dt.datetime]:
    """``count`` registration times in office hours of the last ``days`` days, sorted: mostly on
    working days, by the season, a little more each month (a growing business), and
    ``recent_boost`` times as many in the last three weeks (a busy month: fuller work lists)."""
    tz = timezone.get_current_timezone()
    local_now = timezone.localtime(now, tz)
    today = local_now.date()
    candidates, weights = [], []
    for age in range(days):
        day = today - dt.timedelta(days=age)
        weight = SEASON[day.month] * (1.3 - 0.3 * age / days)
        weight *= 1.0 if calendar.is_workday(day) else 0.08
        weight *= recent_boost if age < RECENT_DAYS else 1.0
        candidates.append(day)
        weights.append(weight)
    out = []
    while len(out) < count:
        for day in rng.choices(candidates, weights=weights, k=count - len(out)):
            minutes = rng.randint(8 * 60 + 30, 18 * 60)
            moment = dt.datetime.combine(
                day, dt.time(minutes // 60, minutes % 60, rng.randint(0, 59)), tzinfo=tz
            )
            if moment < now - dt.timedelta(minutes=5):
                out.append(moment)
    return sorted(out)


def complaint_fields(customer, rng: random.Random, moment: dt.datetime) -> dict:
    """Arguments for ``register_complaint`` describing one plausible complaint of ``customer``."""
    product, prefix = rng.choice(PRODUCTS)
    defect = rng.choice(DEFECTS)
    part = f"{prefix}-{rng.randint(10, 99)}0-{rng.randint(1, 9)}{rng.choice('ABCD')}"
    qty = rng.choice([200, 500, 1000, 2000, 3000, 5000, 10000])
    n = rng.randint(1, max(1, qty // 20))
    lot = f"{moment:%y%m}{rng.randint(1, 28):02d}-{rng.randint(1, 9)}"
    received = moment - dt.timedelta(minutes=rng.randint(0, 60 * 48))
    pending = rng.random() < 0.05
    text = {"product": product, "part": part, "lot": lot, "n": n, "qty": qty}
    text.update(days=rng.randint(1, 10), boxes=rng.randint(1, 12))
    return {
        "channel": _weighted(rng, CHANNELS),
        "title": defect.title.format(**text),
        "description": defect.description.format(**text),
        "category": defect.category,
        "severity": _weighted(rng, SEVERITIES),
        "received_at": received,
        "now": moment,
        "order_no": f"PO{moment:%Y}{rng.randint(10000, 99999)}",
        "part_no": part,
        "quantity": None if pending else qty,
        "quantity_pending": pending,
        "defect_quantity": None if pending else n,
        "ship_date": timezone.localtime(received).date() - dt.timedelta(days=rng.randint(3, 40)),
        "customer_request": defect.request,
        "sample_received": rng.random() < 0.4,
    }


# --- loading ------------------------------------------------------------------------


def create_users(password: str = DEMO_PASSWORD) -> dict:
    """The demo organisation; users that exist already are kept as they are."""
    ensure_departments()
    User = get_user_model()
    existing = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in USERS])}
    export = Permission.objects.get(codename="export_customer", content_type__app_label="customers")
    users = {}
    for username, family, given, memberships in USERS:
        user = existing.get(username)
        if user is None:
            user = create_user(
                username,
                password=password,
                memberships=memberships,
                first_name=f"{family}{given}",  # Chinese order: family name first, no space
                last_name="",
                email=f"{username}@example.com",
                is_superuser=username == "admin",
                is_staff=username == "admin",
            )
            if username in EXPORTERS:
                user.user_permissions.add(export)
        users[username] = user
    return users


def create_customers(count: int, rng: random.Random, users: dict) -> list:
    """Demo customers through ``create_customer``; codes that exist already are skipped."""
    from kefu.customers.models import Customer
    from kefu.customers.services import create_customer

    rows = customer_rows(count, rng)
    existing = set(Customer.objects.filter(code__in=[r["code"] for r in rows]).values_list("code", flat=True))
    created = []
    for row in rows:
        if row["code"] in existing:
            continue
        row = dict(row, owner=users.get(row["owner"]))
        contacts = row.pop("contacts")
        created.append(create_customer(by=users["admin"], contacts=contacts, source="demo", **row))
    return created


def add_complaints(
    count: int,
    rng: random.Random,
    users: dict,
    *,
    now: dt.datetime,
    progress=None,
    recent_boost: float = 1.0,
    bulk: bool = False,
) -> list[int]:
    """``count`` complaints of the last fifteen months, registered as of their own past moment, in
    the order of those moments (so numbered in it); returns their ids. ``bulk``: many per
    statement (``demo_bulk.register_many``), else one ``register_complaint`` each."""
    from kefu.complaints.demo_bulk import register_many
    from kefu.complaints.services import HOLDING_CUSTOMER_CODE, register_complaint
    from kefu.customers.models import Customer

    customers = list(
        Customer.objects.exclude(code=HOLDING_CUSTOMER_CODE).select_related("owner").order_by("code")
    )
    if not customers:
        raise ValueError("no customers to file complaints for; load the demo customers first")
    # Some customers complain far more often than others.
    weights = [rng.choice([1, 1, 1, 2, 3, 5]) for _ in customers]
    calendar = WorkCalendar.load()
    moments = _moments(count, rng, now, calendar, recent_boost=recent_boost)
    ids = []
    chunk = BULK_CHUNK if bulk else CHUNK
    for start in range(0, count, chunk):
        entries = []
        for moment in moments[start : start + chunk]:
            customer = rng.choices(customers, weights=weights)[0]
            owner = customer.owner if customer.owner_id else None
            by = owner if owner is not None and rng.random() < 0.7 else users[rng.choice(REPORTERS)]
            entries.append((by, customer, complaint_fields(customer, rng, moment)))
        with transaction.atomic():
            if bulk:  # the same rows, many per statement
                ids += register_many(entries)
            else:
                ids += [
                    register_complaint(by=by, customer=customer, **fields).pk
                    for by, customer, fields in entries
                ]
        if progress:
            progress(len(ids))
    return ids


def _quietly(work):
    """Run ``work()`` in one transaction; the back-dated events it writes are history, not news:
    their notifications are marked sent (nobody is e-mailed) and no background task is queued."""
    from django_q.models import OrmQ

    queued = set(OrmQ.objects.values_list("id", flat=True))
    # One transaction: SQLite commits (fsync) per workflow action would dominate the run.
    with transaction.atomic():
        result = work()
        Notification.objects.filter(state=Notification.State.PENDING).update(
            state=Notification.State.SENT, sent_at=F("created_at"), last_error="demo data: not e-mailed"
        )
    OrmQ.objects.exclude(id__in=queued).delete()
    return result


def spread_states(complaints: list, rng: random.Random, now: dt.datetime) -> bool:
    """Walk each complaint through the workflow engine up to ``now`` (``complaints.demo``)."""
    from kefu.complaints.demo import spread_over_states

    _quietly(lambda: spread_over_states(complaints, rng, now))
    return True


def spread_in_bulk(ids: list[int], rng: random.Random, now: dt.datetime, *, templates: int, log=None) -> bool:
    """Walk ``templates`` of the complaints through the engine, copy their histories onto the
    others (``complaints.demo_bulk``)."""
    from kefu.complaints import demo_bulk

    _quietly(lambda: demo_bulk.spread(ids, rng, now, templates=templates, log=log))
    return True


@dataclass
class Result:
    users: int
    customers: int
    complaints: int
    workflow: bool
    bulk: bool = False


# Above this many new complaints, ``load`` walks templates and copies them (``spread_in_bulk``).
BULK_ABOVE = 1000
BULK_CHUNK = 2000
TEMPLATES = 150


def load(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    complaints: int | None = None,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
    workflow: bool = True,
    bulk: bool | None = None,
    templates: int = TEMPLATES,
    progress=None,
    log=None,
) -> Result:
    """Load the demo: users and customers (missing ones only), then complaints.

    ``complaints=None`` files fifteen months of complaints only when there are
    none yet, so running ``kefu demo`` twice adds nothing; a number adds that
    many more. ``workflow=False`` leaves them all registered (much faster).
    Each complaint is walked through the engine; with ``bulk`` (the default
    above ``BULK_ABOVE`` complaints) only ``templates`` of them are, and the
    others get copies of their histories.
    """
    from kefu.complaints.models import Complaint

    now = now or timezone.now()
    rng = random.Random(seed)
    with transaction.atomic():
        users = create_users()
        new_customers = create_customers(customers, rng, users)
    if complaints is None:
        complaints = 0 if Complaint.objects.exists() else DEFAULT_COMPLAINTS
    # A second run with --complaints must not repeat the first run's choices.
    if not new_customers:
        rng = random.Random(f"{seed}:{Complaint.objects.count()}")
    bulk = complaints > BULK_ABOVE if bulk is None else bulk
    # A small demo gets a busy last month, so that every work list has something in it.
    boost = 1.0 if bulk else 5.0
    filed = (
        add_complaints(complaints, rng, users, now=now, progress=progress, recent_boost=boost, bulk=bulk)
        if complaints
        else []
    )
    spread = False
    if filed and workflow:
        if bulk:
            if log:
                log(
                    f"Walking {min(templates, len(filed))} complaints through the workflow, copying their histories ..."
                )
            spread = spread_in_bulk(filed, rng, now, templates=templates, log=log)
        else:
            if log:
                log(f"Moving {len(filed)} complaints along the workflow (about 0.1 s each) ...")
            spread = spread_states(filed, rng, now)
    if workflow:  # five 8Ds walked through the engine (kefu/capa/demo.py); none when 8Ds exist
        from kefu.capa import demo as capa_demo

        capa_demo.load(users, now=now)
    return Result(
        users=len(users), customers=len(new_customers), complaints=len(filed), workflow=spread, bulk=bulk
    )


@dataclass
class Lateness:
    """The open steps and case deadlines at a moment: how many, how many overdue and by how much."""

    open_steps: int
    late_steps: Counter  # working days late -> open steps and tasks (the work lists' rows)
    open_cases: int
    late_cases: Counter  # working days late -> open case deadlines

    def describe(self) -> str:
        def part(counter: Counter, total: int, what: str) -> str:
            late = sum(counter.values())
            spread = ", ".join(f"{days} d: {n}" for days, n in sorted(counter.items())) or "none"
            share = f"{100 * late / total:.1f} %" if total else "-"
            return f"{what}: {total} open, {late} overdue ({share}; working days late {spread})"

        return "; ".join(
            [part(self.late_steps, self.open_steps, "steps"), part(self.late_cases, self.open_cases, "cases")]
        )


def lateness(now: dt.datetime | None = None) -> Lateness:
    """How late the open work is at ``now``: one query for the open rows, working days by the calendar."""
    from kefu.flow import clocks
    from kefu.flow.models import Kind, Step

    now = now or timezone.now()
    calendar = WorkCalendar.cached()
    counts = {Kind.STEP: 0, Kind.CASE: 0}
    late = {Kind.STEP: Counter(), Kind.CASE: Counter()}
    for kind, due_at in Step.objects.filter(done_at__isnull=True).values_list("kind", "due_at").iterator():
        kind = Kind.CASE if kind == Kind.CASE else Kind.STEP  # the work: steps and tasks
        counts[kind] += 1
        if due_at < now:
            late[kind][clocks.late_workdays(due_at, now, calendar)] += 1
    return Lateness(counts[Kind.STEP], late[Kind.STEP], counts[Kind.CASE], late[Kind.CASE])
