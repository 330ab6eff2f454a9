"""Bulk generator of the bench data set: customers, complaints, their steps and history.

    .venv/bin/python bench/generate.py --complaints 1000000        # into KEFU_DATABASE_URL
    (bench/run.py calls ``generate()`` on a fresh database)

Rows are built in a worker process and written by this one with
``executemany`` (SQLite, journal and fsync off, foreign keys off, secondary
indexes dropped and rebuilt) or ``COPY`` (PostgreSQL, secondary indexes and
foreign-key triggers off during the load, rebuilt and ANALYZEd after). Rows
look like the workflow's own: numbers ``YYYYMM-NNNN`` gap-free per month in
Asia/Shanghai, ``NumberSequence`` at the last serial of each month, one
case-engine ``Step`` per step reached and one for the case deadline (closed with
the complaint), one ``AuditEvent`` per transition
(object_type "complaint", object_id = number). The data set is deterministic
for a given seed and "now".
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

from bench import vocab

SHANGHAI = 8 * 3600  # UTC+8 all year (no DST since 1991)
DAY = 86400
CHUNK = 5000  # complaints per generated chunk
BENCH_PASSWORD = "bench-Pass-123!"

# Step -> (status while open, audit action completing it, owner department, allowed days)
STEP_INFO = {
    "assign": ("registered", "assign", "gm_office", 1),
    "investigation": ("investigating", "submit_investigation", "quality", 3),
    "countermeasure": ("countermeasure", "submit_countermeasure", "production", 3),
    "rd_opinion": ("rd_review", "submit_rd_opinion", "rd", 3),
    "proposal": ("negotiation", "submit_proposal", "sales", 3),
    "synthesis": ("synthesis", "submit_synthesis", "gm_office", 1),
    "approval": ("approval", "approve", "gm_office", 2),
    "reply": ("reply", "record_reply", "sales", 2),
}
STATUS_STEP = {v[0]: k for k, v in STEP_INFO.items()}
OPEN_STATUS_WEIGHTS = [
    ("registered", 12),
    ("investigating", 28),
    ("countermeasure", 22),
    ("rd_review", 5),
    ("negotiation", 13),
    ("synthesis", 5),
    ("approval", 8),
    ("reply", 7),
]
CHANNEL_WEIGHTS = [
    ("phone", 25),
    ("email", 30),
    ("fax", 4),
    ("letter", 3),
    ("visit", 7),
    ("web", 15),
    ("survey", 3),
    ("on_site", 8),
    ("internal", 5),
]
SEVERITY_WEIGHTS = [("general", 75), ("major", 20), ("serious", 5)]
REQUESTS = ["return", "exchange", "allowance", "compensation", "explanation", "rework"]
RESPONSIBLE = [
    ("production", 60),
    ("quality", 10),
    ("warehouse", 10),
    ("rd", 5),
    ("sales", 10),
    ("gm_office", 5),
]
SUPPLIERS = ["苏州精密铸造厂", "宁波华丰电镀", "东莞恒达包装", "天津利源钢材", "无锡新光塑胶"]


def _cum(weighted):
    items, cum, total = [], [], 0
    for item, w in weighted:
        total += w
        items.append(item)
        cum.append(total)
    return items, cum


def _pick(rnd: random.Random, table) -> object:
    items, cum = table
    return items[bisect.bisect_right(cum, rnd.random() * cum[-1])]


# ---------------------------------------------------------------------------
# chunk generation (worker process: pure Python, no database)
# ---------------------------------------------------------------------------
class Ctx:
    """Everything a worker needs to build rows; picklable."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _fmt_factory(vendor: str):
    gm = time.gmtime
    strf = time.strftime
    if vendor == "postgresql":

        def ts(t: float) -> str:
            return strf("%Y-%m-%d %H:%M:%S+00", gm(t))

    else:

        def ts(t: float) -> str:
            return strf("%Y-%m-%d %H:%M:%S", gm(t))

    def day(t: float) -> str:  # local (Asia/Shanghai) date
        return strf("%Y-%m-%d", gm(t + SHANGHAI))

    return ts, day


def gen_chunk(args) -> tuple[list, list, list]:
    """Rows (complaints, steps, audit events) for complaint indexes [lo, hi)."""
    ctx, lo, hi, periods, serials, open_flags = args
    rnd = random.Random(ctx.seed * 1_000_003 + lo)
    ts, day = _fmt_factory(ctx.vendor)
    defects = _cum(vocab.DEFECTS)
    channels = _cum(CHANNEL_WEIGHTS)
    severities = _cum(SEVERITY_WEIGHTS)
    open_status = _cum(OPEN_STATUS_WEIGHTS)
    responsible = _cum(RESPONSIBLE)
    cust_ids, cust_cum, cust_region, cust_code = ctx.customers
    dept, users_by_dept, labels = ctx.dept_ids, ctx.users_by_dept, ctx.user_labels
    now, start, span, n = ctx.now, ctx.start, ctx.span, ctx.n
    phi = 0.6180339887498949
    rr, choice, randint = rnd.random, rnd.choice, rnd.randint
    complaints, steps, audits = [], [], []
    gm_users = users_by_dept["gm_office"]

    for i in range(lo, hi):
        k = i - lo
        cid = ctx.id0 + i
        reg = start + (i + ((i * phi) % 1.0)) * span / n
        received = reg - rr() * 2 * DAY
        period, serial = periods[k], serials[k]
        number = f"{period}-{serial:04d}"
        c = bisect.bisect_right(cust_cum, rr() * cust_cum[-1])
        customer_id, region = cust_ids[c], cust_region[c]
        channel = _pick(rnd, channels)
        severity = _pick(rnd, severities)
        category = "quality" if rr() < 0.8 else "non_quality"
        defect = _pick(rnd, defects)
        part = choice(vocab.PARTS)
        title = f"{part}{defect}"
        qty = randint(50, 20000)
        bad = max(1, int(qty * rr() * 0.2))
        desc = (
            f"{choice(vocab.FINDINGS)}{part}{defect}，{choice(vocab.DETAILS)}，"
            f"不良数量{bad}件，{choice(vocab.IMPACTS)}，{choice(vocab.ASKS)}。"
        )
        if rr() < 0.15:
            desc += f"另有部分产品存在{_pick(rnd, defects)}现象。"
        request = choice(REQUESTS)
        registered_by = choice(gm_users)

        # the path through the workflow
        is_open = open_flags[k]
        if is_open:
            status = _pick(rnd, open_status)
            if status == "registered" and reg < now - 2 * DAY:
                status = "investigating"
            needs_rd = status == "rd_review" or (
                rr() < 0.25 and status in ("negotiation", "synthesis", "approval", "reply")
            )
        else:
            status = "not_established" if rr() < 0.07 else "closed"
            needs_rd = status == "closed" and rr() < 0.3
        path = ["assign", "investigation"]
        if status != "not_established":
            path.append("countermeasure")
            if needs_rd:
                path.append("rd_opinion")
            path += ["proposal", "synthesis", "approval", "reply"]
        if is_open:
            path = path[: path.index(STATUS_STEP[status]) + 1]

        # times of the steps: done ones spread from registration; an open one started lately
        n_done = len(path) - 1 if is_open else len(path)
        if is_open:
            allowed = STEP_INFO[path[-1]][3]
            open_start = (
                reg if len(path) == 1 else max(reg + DAY * 0.2 * n_done, now - rr() * allowed * 1.1 * DAY)
            )
            budget = (open_start - reg) / max(n_done, 1)
        t = reg
        step_rows = []
        done_times = []
        for j, name in enumerate(path):
            _, _, dcode, days = STEP_INFO[name]
            role = "deputy_gm" if name == "approval" else "clerk"
            head = (cid, "complaint", number, customer_id, "step", name, dept[dcode], role)
            s_start = t
            due = s_start + days * DAY
            if j < n_done:
                done = s_start + (budget * (0.5 + rr()) if is_open else days * DAY * (0.2 + rr() * 1.05))
                if is_open:
                    done = min(done, open_start)
                by = choice(users_by_dept[dcode])
                step_rows.append((*head, by, ts(s_start), ts(due), "workdays", days, ts(done), by, 0, "{}"))
                done_times.append((done, name, by))
                t = done
            else:
                s_start = open_start
                due = s_start + days * DAY
                step_rows.append((*head, None, ts(s_start), ts(due), "workdays", days, None, None, 0, "{}"))
                step_due = due
        steps.extend(step_rows)

        investigated = n_done >= 2
        resp_code = _pick(rnd, responsible) if investigated and status != "not_established" else None
        supplier = choice(SUPPLIERS) if resp_code and rr() < 0.05 else ""
        proposed = "proposal" in path[:n_done]
        closed_at = t if not is_open else None
        case_days = 20 if region == "foreign" else 15
        steps.append(
            (cid, "complaint", number, customer_id, "case", "case", dept["gm_office"], "clerk", None, ts(reg),
             ts(reg + case_days * DAY), "days", case_days, ts(closed_at) if closed_at else None, None, 0, "{}")
        )  # fmt: skip
        validity = (
            "not_established" if status == "not_established" else ("valid" if investigated else "pending")
        )
        ack = reg + rr() * 4 * 3600
        complaints.append(
            (
                cid,
                number,
                period,
                serial,
                customer_id,
                region,
                channel,
                title,
                desc,
                category,
                severity,
                validity,
                ts(received),
                ts(reg),
                registered_by,
                f"SO{period // 100}{randint(100000, 999999)}",
                f"P-{randint(1000, 9999)}-{randint(10, 99)}",
                qty,
                False,
                bad,
                day(received - randint(3, 60) * DAY),
                request,
                rr() < 0.4,
                "",
                "",
                "",
                None,
                ts(ack),
                day(reg + (20 if region == "foreign" else 15) * DAY),
                status,
                ts(step_due) if is_open else None,
                ts(reg + (20 if region == "foreign" else 15) * DAY),
                ts(closed_at) if closed_at else None,
                dept[resp_code] if resp_code else None,
                supplier,
                needs_rd,
                request if proposed else "",
                f"{randint(0, 5000000) / 100:.2f}" if proposed else None,
                None,
            )
        )

        # history: register, acknowledge, one row per completed step
        repr_ = f"{number} {title}"[:200]
        reg_label = labels[registered_by]
        audits.append(
            (
                ts(reg),
                registered_by,
                reg_label,
                "complaint",
                number,
                repr_,
                "register",
                "",
                "registered",
                "",
                json.dumps({"customer": cust_code[c], "channel": channel, "attachments": 0}),
            )
        )
        audits.append(
            (ts(ack), registered_by, reg_label, "complaint", number, repr_, "acknowledge", "", "", "", "{}")
        )
        state = "registered"
        for j, (done, name, by) in enumerate(done_times):
            action = STEP_INFO[name][1]
            if j + 1 < len(path):
                to = STEP_INFO[path[j + 1]][0]
            else:
                to = status  # closed / not_established
            audits.append((ts(done), by, labels[by], "complaint", number, repr_, action, state, to, "", "{}"))
            state = to
    return complaints, steps, audits


# ---------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------
def _model_columns(model, produced: list[str], connection):
    """Columns of ``model`` to insert: ours first, then any other field with its default.

    A field added to the model later gets its default (or NULL); a new
    required field without a default stops the load with its name.
    """
    extra_cols, extra_vals = [], []
    for f in model._meta.concrete_fields:
        if f.column in produced or f.primary_key:
            continue
        if f.has_default():
            value = f.get_db_prep_save(f.get_default(), connection)
        elif f.null:
            value = None
        elif getattr(f, "db_default", None) is not None and not hasattr(f.db_default, "resolve_expression"):
            value = f.db_default
        else:
            raise RuntimeError(f"bench/generate.py: fill the new field {model.__name__}.{f.name}")
        if hasattr(value, "dumps"):  # psycopg Jsonb adapter
            value = json.dumps(value.obj)
        extra_cols.append(f.column)
        extra_vals.append(value)
    return produced + extra_cols, tuple(extra_vals)


class Loader:
    """Fast inserts for one vendor, with the database tuned for a load and restored after."""

    def __init__(self, connection, tables: list[str]):
        self.connection = connection
        self.vendor = connection.vendor
        self.tables = tables
        self.dropped: list[str] = []

    # -- SQLite ------------------------------------------------------------
    def __enter__(self):
        from kefu.search import index as search_index

        c = self.connection
        c.ensure_connection()
        raw = c.connection
        if self.vendor == "sqlite":
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("PRAGMA journal_mode=OFF")
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-1000000")
            raw.execute("PRAGMA temp_store=MEMORY")
            for table in self.tables:
                for name, sql in raw.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
                    (table,),
                ).fetchall():
                    if "UNIQUE" in sql.upper().split("INDEX")[0]:
                        continue  # unique indexes check the numbering as we load
                    raw.execute(f'DROP INDEX "{name}"')
                    self.dropped.append(sql)
        else:
            search_index.drop_for_bulk_load(c)
            with c.cursor() as cur:
                cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
                cur.execute("SET maintenance_work_mem = '512MB'")
                for table in self.tables:
                    cur.execute(
                        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                        "WHERE t.relname = %s AND NOT x.indisunique AND NOT x.indisprimary",
                        [table],
                    )
                    for name, sql in cur.fetchall():
                        cur.execute(f'DROP INDEX "{name}"')
                        self.dropped.append(sql)
        return self

    def insert(self, table: str, columns: list[str], rows, extra: tuple = ()) -> None:
        if not rows:
            return
        if extra:
            rows = [r + extra for r in rows]
        cols = ", ".join(f'"{c}"' for c in columns)
        raw = self.connection.connection
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(columns))
            raw.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
        else:
            with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as cp:
                for r in rows:
                    cp.write_row(r)

    def begin(self):
        if self.vendor == "sqlite":
            self.connection.connection.execute("BEGIN")

    def commit(self):
        self.connection.connection.commit()

    def __exit__(self, *exc):
        from kefu.search import index as search_index

        c = self.connection
        raw = c.connection
        timings = {}
        if self.vendor == "sqlite":
            if raw.in_transaction:
                raw.commit()
            t = time.perf_counter()
            for sql in self.dropped:
                raw.execute(sql)
            timings["indexes_s"] = time.perf_counter() - t
            t = time.perf_counter()
            raw.execute("ANALYZE")
            timings["analyze_s"] = time.perf_counter() - t
            raw.execute("PRAGMA journal_mode=WAL")
            from django.conf import settings  # back to what kefu runs with (issue 11)

            raw.execute(f"PRAGMA synchronous={settings.KEFU_SQLITE_SYNCHRONOUS}")
            raw.execute("PRAGMA foreign_keys=ON")
        else:
            with c.cursor() as cur:
                cur.execute("SET session_replication_role = DEFAULT")
            raw.commit()
            t = time.perf_counter()
            with c.cursor() as cur:
                for sql in self.dropped:
                    cur.execute(sql)
            search_index.restore_after_bulk_load(c)
            timings["indexes_s"] = time.perf_counter() - t
            t = time.perf_counter()
            with c.cursor() as cur:
                for table in self.tables:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table}), 1))"
                    )
                # VACUUM too: it sets the visibility map (index-only scans, counts) and
                # spares the measurements an autovacuum of 15 million fresh rows.
                cur.execute("VACUUM (ANALYZE)")
            timings["analyze_s"] = time.perf_counter() - t
        self.timings = {k: round(v, 2) for k, v in timings.items()}
        return False


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------
def _numbering(n: int, start: float, span: float):
    """(periods, serials) of complaint i = 0..n-1, in registration order, and the last serial per month."""
    phi = 0.6180339887498949
    periods, serials, last = [0] * n, [0] * n, {}
    prev, serial = None, 0
    for i in range(n):
        t = start + (i + ((i * phi) % 1.0)) * span / n
        lt = time.gmtime(t + SHANGHAI)
        p = lt.tm_year * 100 + lt.tm_mon
        serial = serial + 1 if p == prev else 1
        prev = p
        periods[i], serials[i] = p, serial
        last[p] = serial
    return periods, serials, last


def _setup_org(rnd: random.Random):
    """Departments, staff users (unusable passwords, cheap) and the bench user."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R
    from kefu.core.models import Membership
    from kefu.core.org import ensure_departments

    User = get_user_model()
    depts = ensure_departments()
    users_by_dept: dict[str, list[int]] = {}
    labels: dict[int, str] = {}
    unusable = make_password(None)
    for code in D.values:
        for k in range(4):
            username = f"gen_{code}_{k}"
            u, _ = User.objects.get_or_create(username=username, defaults={"password": unusable})
            Membership.objects.get_or_create(
                user=u, department=depts[code], defaults={"role": R.MANAGER if k == 0 else R.CLERK}
            )
            users_by_dept.setdefault(code, []).append(u.id)
            labels[u.id] = username
    return {code: d.id for code, d in depts.items()}, users_by_dept, labels


def _customers(n: int, rnd: random.Random, sales_users: list[int], vendor: str):
    ts, _ = _fmt_factory(vendor)
    now = time.time()
    rows, weights, regions, codes = [], [], [], []
    for i in range(1, n + 1):
        foreign = rnd.random() < 0.12
        city = rnd.choice(vocab.FOREIGN) if foreign else rnd.choice(vocab.CITIES)
        name = f"{city}{rnd.choice(vocab.COMPANY_PREFIX)}{rnd.choice(vocab.COMPANY_CORE)}{rnd.choice(vocab.COMPANY_SUFFIX)}"
        code = f"C{i:05d}"
        grade = rnd.choices("ABCD", weights=[10, 30, 45, 15])[0]
        region = "foreign" if foreign else "domestic"
        created = ts(now - rnd.random() * 6 * 365 * DAY)
        rows.append(
            (
                code,
                f"{name}{i}",
                "",
                "",
                "",
                region,
                city,
                rnd.choice(sales_users),
                grade,
                rnd.random() < 0.08,
                "",
                created,
                created,
            )
        )
        codes.append(code)
        regions.append(region)
        # a few customers file most complaints (Pareto)
        weights.append(1.0 / (1 + (rnd.random() * 50) ** 1.3) * (5 if grade == "A" else 1))
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    cols = [
        "code",
        "name",
        "address",
        "legal_representative",
        "products",
        "region",
        "area",
        "owner_id",
        "grade",
        "is_key",
        "notes",
        "created_at",
        "updated_at",
    ]
    return rows, cols, (codes, cum, regions)


COMPLAINT_COLS = [
    "id",
    "number",
    "period",
    "serial",
    "customer_id",
    "region",
    "channel",
    "title",
    "description",
    "category",
    "severity",
    "validity",
    "received_at",
    "registered_at",
    "registered_by_id",
    "order_no",
    "part_no",
    "quantity",
    "quantity_pending",
    "defect_quantity",
    "ship_date",
    "customer_request",
    "sample_received",
    "contact_name",
    "contact_phone",
    "contact_email",
    "submitter_ip",
    "acknowledged_at",
    "answer_by",
    "status",
    "due_at",
    "case_due_at",
    "closed_at",
    "responsible_department_id",
    "supplier",
    "needs_rd",
    "handling",
    "loss_amount",
    "parent_id",
]
STEP_COLS = [
    "record_id",
    "record_type",
    "record_key",
    "customer_id",
    "kind",
    "code",
    "department_id",
    "role",
    "assignee_id",
    "started_at",
    "due_at",
    "unit",
    "allowed",
    "done_at",
    "done_by_id",
    "extended",
    "data",
]
AUDIT_COLS = [
    "at",
    "actor_id",
    "actor_label",
    "object_type",
    "object_id",
    "object_repr",
    "action",
    "from_state",
    "to_state",
    "note",
    "data",
]


def generate(
    complaints: int = 1_000_000,
    customers: int = 10_000,
    open_complaints: int | None = None,
    years: float = 5.0,
    seed: int = 42,
    now: float | None = None,
    workers: int = 1,
    progress=None,
) -> dict:
    """Load the data set into the default database (which must hold no complaints yet)."""
    from django.db import connection, transaction

    from kefu.complaints.models import Complaint
    from kefu.core.models import AuditEvent, NumberSequence
    from kefu.customers.models import Customer
    from kefu.flow.models import Step

    log = progress or (lambda msg: None)
    if Complaint.objects.exists():
        raise RuntimeError("the database already holds complaints; the generator needs a fresh one")
    n = complaints
    open_n = n // 10 if open_complaints is None else open_complaints
    now = time.time() if now is None else now
    span = years * 365.25 * DAY
    start = now - span
    rnd = random.Random(seed)
    vendor = connection.vendor
    t_all = time.perf_counter()

    with transaction.atomic():
        dept_ids, users_by_dept, labels = _setup_org(rnd)
    cust_rows, cust_cols, (codes, cum, regions) = _customers(customers, rnd, users_by_dept["sales"], vendor)
    periods, serials, last = _numbering(n, start, span)
    window = min(n, int(open_n * 1.3))
    open_set = set(rnd.sample(range(n - window, n), open_n)) if open_n else set()
    open_flags = bytearray(1 if i in open_set else 0 for i in range(n))

    tables = [
        Customer._meta.db_table,
        Complaint._meta.db_table,
        Step._meta.db_table,
        AuditEvent._meta.db_table,
    ]
    counts = {"customers": customers, "complaints": n, "steps": 0, "audit_events": 0, "open": open_n}
    with Loader(connection, tables) as loader:
        cols, extra = _model_columns(Customer, cust_cols, connection)
        loader.begin()
        cust_id0 = (Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        loader.insert(
            Customer._meta.db_table,
            ["id", *cols],
            [(cust_id0 + k, *r) for k, r in enumerate(cust_rows)],
            extra,
        )
        loader.commit()
        ctx = Ctx(
            seed=seed,
            vendor=vendor,
            now=now,
            start=start,
            span=span,
            n=n,
            id0=(Complaint.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1,
            customers=(list(range(cust_id0, cust_id0 + customers)), cum, regions, codes),
            dept_ids=dept_ids,
            users_by_dept=users_by_dept,
            user_labels=labels,
        )
        c_cols, c_extra = _model_columns(Complaint, COMPLAINT_COLS, connection)
        s_cols, s_extra = _model_columns(Step, STEP_COLS, connection)
        a_cols, a_extra = _model_columns(AuditEvent, AUDIT_COLS, connection)
        jobs = (
            (
                ctx,
                lo,
                min(lo + CHUNK, n),
                periods[lo : lo + CHUNK],
                serials[lo : lo + CHUNK],
                open_flags[lo : lo + CHUNK],
            )
            for lo in range(0, n, CHUNK)
        )
        pool = mp.get_context("fork").Pool(workers) if workers > 0 and n > CHUNK else None
        results = pool.imap(gen_chunk, jobs) if pool else map(gen_chunk, jobs)
        done = 0
        t_load = time.perf_counter()
        try:
            for c_rows, s_rows, a_rows in results:
                loader.begin()
                loader.insert(Complaint._meta.db_table, c_cols, c_rows, c_extra)
                loader.insert(Step._meta.db_table, s_cols, s_rows, s_extra)
                loader.insert(AuditEvent._meta.db_table, a_cols, a_rows, a_extra)
                loader.commit()
                done += len(c_rows)
                counts["steps"] += len(s_rows)
                counts["audit_events"] += len(a_rows)
                if done % 100_000 < CHUNK or done == n:
                    rate = done / (time.perf_counter() - t_load)
                    log(f"generate: {done}/{n} complaints ({rate:,.0f}/s)")
        finally:
            if pool:
                pool.terminate()
        rows_s = time.perf_counter() - t_load
        with transaction.atomic():
            for p, serial in last.items():
                NumberSequence.objects.update_or_create(key=f"complaint:{p}", defaults={"last": serial})
        log("generate: rebuilding indexes, ANALYZE")
    total = time.perf_counter() - t_all
    return {
        "counts": counts,
        "rows_s": round(rows_s, 2),
        **loader.timings,
        "total_s": round(total, 2),
        "complaints_per_s": round(n / total, 1) if total else None,
        "months": len(last),
        "now": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--complaints", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--open", type=int, default=None, help="open complaints (default: a tenth)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=1, help="row-building processes (0: in this one)")
    a = ap.parse_args(argv)
    import django

    django.setup()
    out = generate(
        a.complaints,
        a.customers,
        a.open,
        seed=a.seed,
        workers=a.workers,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
