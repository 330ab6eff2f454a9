"""`make bench`: load a data set, serve kefu as `make run` does, measure it over HTTP beside django-helpdesk.

    .venv/bin/python bench/run.py --db sqlite|pg [--complaints 1000000] [--peer-size 200000] [--no-peer]

For each size (the peer's size, then --complaints) a child process makes a
fresh database (var/bench/kefu-bench.sqlite3 or the PostgreSQL database
``kefu_bench`` on 127.0.0.1:5432), migrates, generates the data set
(bench/generate.py), starts gunicorn with kefu/gunicorn.conf.py on a free
port and runs the scenarios of issue 5. Then the peer (django-helpdesk, its
own venv under var/bench/peer) runs at the peer size on the same database
kind. The JSON goes to bench/runs/, the table to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VAR = ROOT / "var" / "bench"
RUNS = ROOT / "bench" / "runs"
PY = ROOT / ".venv" / "bin" / "python"
# The peer's harness sits beside the checkout (../shared/bench/peer); KEFU_BENCH_PEER points elsewhere.
PEER_SRC = Path(os.environ.get("KEFU_BENCH_PEER") or ROOT.parent / "shared" / "bench" / "peer")
PEER_DIR = VAR / "peer"
PG_ADMIN_URL = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_DB = "kefu_bench"
HOST = "127.0.0.1"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def database_url(db: str, sqlite_path: Path) -> str:
    return f"{PG_ADMIN_URL}/{PG_DB}" if db == "pg" else f"sqlite:///{sqlite_path}"


def base_env(db_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        KEFU_DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="kefu.settings",
        KEFU_EMAIL_URL="dummy://",
        KEFU_ALLOWED_HOSTS="127.0.0.1,localhost",
        KEFU_DEBUG="0",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
    )
    return env


# ---------------------------------------------------------------------------
# child: one data-set size on one database
# ---------------------------------------------------------------------------
def fresh_database(db: str, sqlite_path: Path) -> None:
    if db == "pg":
        import psycopg

        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)


def db_size_bytes(db: str, sqlite_path: Path) -> int:
    if db == "pg":
        from django.db import connection

        with connection.cursor() as c:
            c.execute("SELECT pg_database_size(current_database())")
            return c.fetchone()[0]
    return sum(
        Path(f"{sqlite_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{sqlite_path}{s}").exists()
    )


class Server:
    """gunicorn -c kefu/gunicorn.conf.py on a free port, as `make run` starts it."""

    def __init__(self, env: dict, logfile: Path):
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.env = env
        self.logfile = logfile
        self.proc: subprocess.Popen | None = None
        self.anon_peak: dict[str, float] = {}

    def start(self) -> None:
        import httpx

        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "kefu" / "gunicorn.conf.py"),
            "-b",
            f"{HOST}:{self.port}",
        ]
        out = open(self.logfile, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited rc={self.proc.returncode}; see {self.logfile}")
            with contextlib.suppress(httpx.HTTPError):  # not listening yet
                if httpx.get(self.base + "/login/", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn not ready after 60 s; see {self.logfile}")

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def memory(self) -> dict:
        """Per worker, MB: peak RSS (VmHWM), RSS now, and of it the private part (RssAnon) and the
        mapped database file (RssFile: SQLite's mmap_size, shared page cache, not the worker's own)."""
        out = {}
        for pid in self.workers():
            try:
                text = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            status = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            if "VmHWM" not in status:  # a worker exiting (a zombie has no memory lines)
                continue
            mem = {
                k: round(int(status[k].split()[0]) / 1024, 1)
                for k in ("VmHWM", "VmRSS", "RssAnon", "RssFile")
            }
            mem["RssAnon_peak"] = max(self.anon_peak.get(str(pid), 0), mem["RssAnon"])
            out[str(pid)] = mem
        return out

    def sample(self, stop) -> None:
        """Background: the peak private RSS of each worker (the kernel keeps only the peak of the total)."""
        while not stop.wait(0.5):
            for pid, m in self.memory().items():
                self.anon_peak[pid] = max(self.anon_peak.get(pid, 0), m["RssAnon"])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def prepare_access() -> dict:
    """The bench user (admin of the GM office), its API token and a logged-in session cookie."""
    from django.conf import settings
    from django.test import Client

    from kefu.core.auth import issue_token
    from kefu.core.choices import DepartmentCode, Role
    from kefu.core.org import create_user

    user = create_user(
        "bench",
        password="bench-Pass-123!",
        memberships=[(DepartmentCode.GM_OFFICE, Role.ADMIN)],
        is_superuser=True,
        is_staff=True,
    )
    client = Client()
    client.force_login(user)
    return {
        "token": issue_token(user, name="bench"),
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "cookie_name": settings.SESSION_COOKIE_NAME,
    }


def pick_targets(now: dt.datetime) -> dict:
    """What the scenarios ask for: a busy customer, detail numbers, the statistics month."""
    from django.db.models import Count

    from kefu.complaints.models import Complaint

    top = Complaint.objects.values("customer__code").annotate(n=Count("id")).order_by("-n").first()
    rnd = random.Random(7)
    max_id = Complaint.objects.order_by("-id").values_list("id", flat=True).first()
    ids = rnd.sample(range(1, max_id + 1), min(200, max_id))
    numbers = list(Complaint.objects.filter(id__in=ids).values_list("number", flat=True))
    first_of_month = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date().replace(day=1)
    last_month = first_of_month - dt.timedelta(days=1)
    received_to = now.date()
    received_from = received_to - dt.timedelta(days=365)
    # The calendar quarter a year before this one: its complaints are closed (the open ones are recent).
    local = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    q_start = dt.date(local.year - 1, 3 * ((local.month - 1) // 3) + 1, 1)
    q_end = (q_start + dt.timedelta(days=92)).replace(day=1) - dt.timedelta(days=1)
    return {
        "quarter_from": q_start.isoformat(),
        "quarter_to": q_end.isoformat(),
        "customer": top["customer__code"],
        "customer_complaints": top["n"],
        "numbers": numbers,
        "stats_period": last_month.year * 100 + last_month.month,
        "received_from": received_from.isoformat(),
        "received_to": received_to.isoformat(),
    }


# The broad lists of issue 12, measured again on a database without planner statistics.
BROAD = ("open_page", "open_api", "closed_page", "closed_api", "quarter_page", "quarter_api")


async def http_scenarios(
    base: str, access: dict, targets: dict, a, *, reads_only=(), suffix: str = ""
) -> dict:
    import httpx

    from bench import load, rawhttp, vocab

    api_h = {"Authorization": f"Bearer {access['token']}"}
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    out: dict = {}

    def facts(r) -> dict:
        if "json" not in r.headers.get("content-type", ""):
            return {"bytes": len(r.content)}
        body = r.json()
        rows = (
            next((v for k, v in body.items() if isinstance(v, list)), []) if isinstance(body, dict) else body
        )
        return {
            k: body[k] for k in ("count", "total", "num_pages") if isinstance(body, dict) and k in body
        } | {"rows_returned": len(rows)}

    t = targets
    filt = f"status=closed&customer={t['customer']}&received_from={t['received_from']}&received_to={t['received_to']}"
    quarter = f"status=closed&received_from={t['quarter_from']}&received_to={t['quarter_to']}"
    reads = [
        ("list_page", ["/complaints/"], False),
        ("list_api", ["/api/v1/complaints"], True),
        ("filtered_page", [f"/complaints/?{filt}"], False),
        ("filtered_api", [f"/api/v1/complaints?{filt}"], True),
        ("open_page", ["/complaints/?status=open"], False),
        ("open_api", ["/api/v1/complaints?status=open"], True),
        ("closed_page", ["/complaints/?status=closed"], False),
        ("closed_api", ["/api/v1/complaints?status=closed"], True),
        ("quarter_page", [f"/complaints/?{quarter}"], False),
        ("quarter_api", [f"/api/v1/complaints?{quarter}"], True),
        ("search_word_api", [f"/api/v1/complaints?q={vocab.SEARCH_WORD}"], True),
        ("search_phrase_api", [f"/api/v1/complaints?q={vocab.SEARCH_PHRASE}"], True),
        ("search_word_page", [f"/complaints/?q={vocab.SEARCH_WORD}"], False),
        ("search_phrase_page", [f"/complaints/?q={vocab.SEARCH_PHRASE}"], False),
        ("detail_page", [f"/complaints/{n}/" for n in t["numbers"]], False),
        ("detail_api", [f"/api/v1/complaints/{n}" for n in t["numbers"]], True),
    ]
    cookies = {access["cookie_name"]: access["session"]}
    async with rawhttp.Client(base, cookies=cookies) as client:
        for name, paths, is_api in reads:
            if (a.only and name not in a.only) or (reads_only and name not in reads_only):
                continue
            log(f"read {name}")
            res = await load.read_scenario(
                client,
                paths,
                n=a.reads,
                concurrency=a.read_concurrency,
                headers=api_h if is_api else None,
                check=facts,
                budget_s=a.read_budget_s,
            )
            log(f"  p50={res['p50_ms']} p95={res['p95_ms']} p99={res['p99_ms']} ms {res.get('error', '')}")
            out[name + suffix] = res
        if reads_only:
            return out
        rnd = random.Random(11)
        codes = [f"C{k:05d}" for k in range(1, a.customers + 1)]
        defects = [d for d, _ in vocab.DEFECTS]

        def payload(i: int) -> dict:
            part, defect = rnd.choice(vocab.PARTS), rnd.choice(defects)
            return {
                "customer": rnd.choice(codes),
                "channel": "email",
                "category": "quality",
                "severity": "general",
                "title": f"{part}{defect}",
                "description": f"{rnd.choice(vocab.FINDINGS)}{part}{defect}，{rnd.choice(vocab.ASKS)}。",
            }

        async def intake(key: str, label: str, on, seconds: float) -> None:
            log(f"{label}: {a.intake_clients} clients for {seconds} s")
            res = await load.intake(
                on, "/api/v1/complaints", payload, clients=a.intake_clients, seconds=seconds, headers=api_h
            )
            log(f"  {res['created_per_s']}/s p95={res['p95_ms']} ms codes={res['status_codes']}")
            out[key] = res

        if a.only and "intake" not in a.only:
            return out
        if a.intake_seconds > 0:
            await intake("intake", "intake", client, a.intake_seconds)
        if a.intake_httpx_seconds > 0:
            # The peer's harness posts with httpx; the same client here gives the like-for-like ratio.
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as hclient:
                await intake("intake_httpx", "intake (httpx)", hclient, a.intake_httpx_seconds)
    return out


def drop_statistics(db: str) -> None:
    """Forget the planner statistics of the complaint tables (and keep autovacuum from making new ones)."""
    from django.db import connection

    with connection.cursor() as cur:
        if db == "pg":
            cur.execute("ALTER TABLE complaints_complaint SET (autovacuum_enabled = false)")
            cur.execute(
                "DELETE FROM pg_statistic WHERE starelid IN "
                "('complaints_complaint'::regclass, 'customers_customer'::regclass, 'flow_step'::regclass)"
            )
            cur.execute("DELETE FROM pg_statistic_ext_data")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")
            for (table,) in cur.fetchall():
                cur.execute(f"DELETE FROM {table}")
    connection.close()


def check_numbers(numbers: list[str]) -> dict:
    """After the intake: numbers unique, and every touched month gap-free up to its counter."""
    from django.db.models import Count, Max

    from kefu.complaints.models import Complaint
    from kefu.core.models import NumberSequence

    periods = sorted({int(n.split("-")[0]) for n in numbers})
    months = {}
    ok = len(set(numbers)) == len(numbers)
    for p in periods:
        agg = Complaint.objects.filter(period=p).aggregate(
            n=Count("id"), top=Max("serial"), distinct=Count("serial", distinct=True)
        )
        last = NumberSequence.objects.filter(key=f"complaint:{p}").values_list("last", flat=True).first()
        gap_free = agg["n"] == agg["top"] == agg["distinct"] == last
        ok &= gap_free
        months[str(p)] = {**agg, "sequence_last": last, "gap_free": gap_free}
    return {"returned": len(numbers), "unique": len(set(numbers)) == len(numbers), "months": months, "ok": ok}


def run_sweep(now: dt.datetime) -> dict:
    import io

    from django.core.management import call_command, get_commands

    if "sweep" not in get_commands():
        return {"available": False, "note": "not available: no `kefu sweep` command yet"}
    out = {"available": True}
    for label in ("first", "second"):
        buf = io.StringIO()
        t = time.perf_counter()
        call_command("sweep", "--now", now.isoformat(), stdout=buf, stderr=buf)
        out[label] = {"seconds": round(time.perf_counter() - t, 3), "output": buf.getvalue().strip()[-500:]}
        log(f"sweep {label}: {out[label]['seconds']} s {out[label]['output'][-120:]}")
    return out


def run_stats(period: int) -> dict:
    from bench.stats_query import month_stats

    times, result = [], None
    for _ in range(3):
        t = time.perf_counter()
        result = month_stats(period)
        times.append(time.perf_counter() - t)
    return {
        "period": period,
        "seconds": [round(x, 3) for x in times],
        "max_s": round(max(times), 3),
        "total": result["total"],
        "on_time_rate": result["on_time_rate"],
        "customers": len(result["by_customer"]),
    }


def child(a) -> int:
    work = Path(a.workdir)
    sqlite_path = work / "kefu-bench.sqlite3"
    url = database_url(a.db, sqlite_path)
    env = base_env(url)
    os.environ.update(env)
    result: dict = {"db": a.db, "complaints": a.complaints}
    fresh_database(a.db, sqlite_path)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    result["migrate_s"] = round(time.perf_counter() - t, 2)
    from bench.generate import generate

    log(f"generate {a.complaints} complaints on {a.db}")
    result["load"] = generate(a.complaints, a.customers, seed=a.seed, workers=1, progress=log)
    log(f"load: {result['load']['total_s']} s")
    now = dt.datetime.now(dt.UTC)
    access = prepare_access()
    targets = pick_targets(now)
    result["targets"] = {k: v for k, v in targets.items() if k != "numbers"}
    result["db_size_mb"] = round(db_size_bytes(a.db, sqlite_path) / 2**20, 1)
    connections.close_all()

    server = Server(env, work / f"gunicorn-{a.db}-{a.complaints}.log")
    server.start()
    log(f"gunicorn up on {server.base}, workers {server.workers()}")
    import threading

    stop_sampling = threading.Event()
    threading.Thread(target=server.sample, args=(stop_sampling,), daemon=True).start()
    try:
        result["http"] = asyncio.run(http_scenarios(server.base, access, targets, a))
        runs = [result["http"][k] for k in ("intake", "intake_httpx") if k in result["http"]]
        if runs:
            check = check_numbers([n for r in runs for n in r.pop("numbers")])
            for r in runs:
                r["check"] = check
            log(f"numbers: {check['ok']}")
        if not a.only or "sweep" in a.only:
            result["sweep"] = run_sweep(now + dt.timedelta(hours=1))
        if not a.only or "stats" in a.only:
            result["stats"] = run_stats(targets["stats_period"])
            log(f"stats: {result['stats']['max_s']} s")
        connections.close_all()
        result["workers_mb"] = server.memory()
        result["db_size_after_mb"] = round(db_size_bytes(a.db, sqlite_path) / 2**20, 1)
        if not a.only or any(name in a.only for name in BROAD):
            # A database that grew by use and was never ANALYZEd, as a real install's: the broad
            # lists again with the planner statistics gone (a restart: workers read them once).
            server.stop()
            drop_statistics(a.db)
            server.start()
            log("statistics dropped; the broad lists again")
            result["http"] |= asyncio.run(
                http_scenarios(server.base, access, targets, a, reads_only=BROAD, suffix="_nostats")
            )
    finally:
        stop_sampling.set()
        server.stop()
        connections.close_all()
    Path(a.child_out).write_text(json.dumps(result, default=str))
    return 0


# ---------------------------------------------------------------------------
# parent: sizes, the peer, the record
# ---------------------------------------------------------------------------
def run_peer(db: str, size: int) -> dict:
    """django-helpdesk at ``size`` (its own venv, copied from ../shared since that is read-only in CI)."""
    if not PEER_SRC.exists():
        return {"error": f"peer not found at {PEER_SRC}"}
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    for src in PEER_SRC.rglob("*"):
        rel = src.relative_to(PEER_SRC)
        if rel.parts[0] in (".venv", "runs") or "__pycache__" in rel.parts:
            continue
        dst = PEER_DIR / rel
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime:
            shutil.copy2(src, dst)
    if not (PEER_DIR / ".venv" / "bin" / "python").exists():
        log("peer: setup.sh (builds its venv from PyPI)")
        subprocess.run(["sh", str(PEER_DIR / "setup.sh")], check=True)
    out = VAR / f"peer-{db}-{size}.json"
    cmd = ["python3", str(PEER_DIR / "bench_helpdesk.py"), "--bulk", str(size), "--out", str(out)]
    if db == "pg":
        cmd.append("--pg")
    log(f"peer: {' '.join(cmd)}")
    proc = subprocess.run(cmd, cwd=PEER_DIR, stdout=subprocess.PIPE, text=True)
    lines = [x for x in proc.stdout.strip().splitlines() if x.startswith("{")]
    if not lines:
        return {"error": f"peer exited {proc.returncode} without a JSON line"}
    res = json.loads(lines[-1])
    res["exit_code"] = proc.returncode
    return res


def git_commit() -> str:
    """The checkout's commit, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        # The table this harness writes into docs/performance.md is not a change of the code measured.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":!docs/performance.md"], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def machine() -> dict:
    cpu = next(
        (
            x.split(":", 1)[1].strip()
            for x in Path("/proc/cpuinfo").read_text().splitlines()
            if x.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
    )
    import sqlite3

    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem / 2**20, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        # Every intake commit is synced to disk unless NORMAL was asked for (issue 11).
        "sqlite_synchronous": (os.environ.get("KEFU_SQLITE_SYNCHRONOUS") or "FULL").strip().upper(),
        "platform": platform.platform(),
    }


def pg_version() -> str:
    try:
        import psycopg

        with psycopg.connect(f"{PG_ADMIN_URL}/postgres") as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception as e:  # noqa: BLE001
        return f"unavailable ({e})"


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--complaints", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--peer-size", type=int, default=200_000, help="also measure kefu at this size (0: no)")
    ap.add_argument("--no-peer", action="store_true", help="skip django-helpdesk")
    ap.add_argument("--reads", type=int, default=200, help="timed GETs per read scenario")
    ap.add_argument("--read-concurrency", type=int, default=1, help="1 = sequential, like the peer's reads")
    ap.add_argument("--read-budget-s", type=float, default=120)
    ap.add_argument("--intake-seconds", type=float, default=60)
    ap.add_argument("--intake-clients", type=int, default=8)
    ap.add_argument(
        "--intake-httpx-seconds", type=float, default=30, help="intake again with httpx, as the peer (0: no)"
    )
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", default="", help="comma list of scenarios (debugging)")
    ap.add_argument("--out", help="JSON file (default bench/runs/<time>-<db>.json)")
    ap.add_argument(
        "--docs", default=str(ROOT / "docs" / "performance.md"), help="'' to leave the docs alone"
    )
    ap.add_argument(
        "--workdir", default=str(VAR), help="SQLite file, logs, child results (default var/bench)"
    )
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.only = {s for s in a.only.split(",") if s}
    return a


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.child_out:
        return child(a)
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    record = {
        "db": a.db,
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "command": "bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "commit": git_commit(),
        "postgresql": pg_version() if a.db == "pg" else None,
        "kefu": {},
        "peer": None,
    }
    env = base_env(database_url(a.db, work / "kefu-bench.sqlite3"))
    subprocess.run(
        [str(PY), str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    sizes = sorted({s for s in (a.peer_size, a.complaints) if s > 0})
    for size in sizes:
        child_out = work / f"child-{a.db}-{size}.json"
        child_out.unlink(missing_ok=True)
        cmd = [
            str(PY),
            str(Path(__file__).resolve()),
            "--db",
            a.db,
            "--complaints",
            str(size),
            "--customers",
            str(a.customers),
            "--reads",
            str(a.reads),
            "--read-concurrency",
            str(a.read_concurrency),
            "--read-budget-s",
            str(a.read_budget_s),
            "--intake-seconds",
            str(a.intake_seconds),
            "--intake-clients",
            str(a.intake_clients),
            "--intake-httpx-seconds",
            str(a.intake_httpx_seconds),
            "--seed",
            str(a.seed),
            "--only",
            ",".join(sorted(a.only)),
            "--workdir",
            str(work),
            "--child-out",
            str(child_out),
        ]
        log(f"kefu at {size:,} complaints on {a.db}")
        rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
        record["kefu"][str(size)] = (
            json.loads(child_out.read_text()) if child_out.exists() else {"error": f"child exited {rc}"}
        )
    if not a.no_peer and a.peer_size > 0:
        record["peer"] = run_peer(a.db, a.peer_size)
    record["seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds())
    out = Path(a.out) if a.out else RUNS / f"{started:%Y%m%d-%H%M%S}-{a.db}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, default=str))
    log(f"wrote {out}")
    if a.docs:
        from bench import report

        report.write_docs(Path(a.docs), record, RUNS)
        log(f"table written to {a.docs}")
    failed = [s for s, r in record["kefu"].items() if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
