"""`make bench`, second part: the lists of the other record types at 100,000 records each.

    .venv/bin/python bench/records.py --db sqlite|pg [--n 100000] [--reads 200] [--only capa,audits]

Discovers every ``kefu/<app>/benchdata.py`` (the interface: ``LISTS = [(name, path, is_api), ...]``
and ``generate(n, *, seed=7) -> dict``), makes a fresh database (var/bench/records-bench.sqlite3,
or the PostgreSQL database ``--pg-db``, default ``kefu_bench_records``), migrates, loads ``n``
records of each module, starts gunicorn as bench/run.py does (kefu/gunicorn.conf.py, as
`make run`) and times each LIST over HTTP (a logged-in session for pages, a bearer token for the
API): p50 / p95 / p99 of ``--reads`` sequential GETs. The JSON goes to bench/runs/records/, the
table to docs/performance.md between its own markers (``bench/records.py`` rewrites only those).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402  (after the path is set)

RUNS = ROOT / "bench" / "runs" / "records"
START, END = "<!-- bench-records:start -->", "<!-- bench-records:end -->"
# The target of every record list: the complaint list's (docs/performance.md, "list, first page").
TARGET_P95_MS = 50
SEED = 7


def log(msg: str) -> None:
    run.log(msg)


def discover(only: set[str] | None = None) -> list[str]:
    """The apps that provide ``kefu/<app>/benchdata.py``, in name order."""
    apps = sorted(p.parent.name for p in (ROOT / "kefu").glob("*/benchdata.py"))
    return [a for a in apps if not only or a in only]


def database_url(db: str, sqlite_path: Path, pg_db: str) -> str:
    return f"{run.PG_ADMIN_URL}/{pg_db}" if db == "pg" else f"sqlite:///{sqlite_path}"


def fresh_database(db: str, sqlite_path: Path, pg_db: str) -> None:
    if db == "pg":
        import psycopg

        with psycopg.connect(f"{run.PG_ADMIN_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{pg_db}"')
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)


def analyze(db: str) -> float:
    """Planner statistics after the load, as a database that has run a while has them."""
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return round(time.perf_counter() - t, 2)


def facts(r) -> dict:
    """The first answer's size: rows on the page, the (capped) count the API gave."""
    if "json" not in r.headers.get("content-type", ""):
        return {"bytes": len(r.content)}
    body = r.json()
    rows = next((v for v in body.values() if isinstance(v, list)), []) if isinstance(body, dict) else body
    out = {"rows_returned": len(rows)}
    if isinstance(body, dict):
        out |= {k: body[k] for k in ("count", "count_exact") if k in body}
    return out


async def measure(base: str, access: dict, lists: list[tuple[str, str, str, bool]], a) -> dict:
    from bench import load, rawhttp

    api_h = {"Authorization": f"Bearer {access['token']}"}
    out = {}
    async with rawhttp.Client(base, cookies={access["cookie_name"]: access["session"]}) as client:
        for app, name, path, is_api in lists:
            log(f"read {app}.{name} {path}")
            res = await load.read_scenario(
                client,
                [path],
                n=a.reads,
                concurrency=1,
                headers=api_h if is_api else None,
                check=facts,
                budget_s=a.read_budget_s,
            )
            log(f"  p50={res['p50_ms']} p95={res['p95_ms']} p99={res['p99_ms']} ms {res.get('error', '')}")
            out[name] = {"app": app, "api": is_api, **res}
    return out


def measure_run(a) -> dict:
    """One run: fresh database, load, serve, measure. Returns the record."""
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sqlite_path = work / "records-bench.sqlite3"
    env = run.base_env(database_url(a.db, sqlite_path, a.pg_db))
    if a.var_dir:
        env["KEFU_VAR_DIR"] = a.var_dir
    os.environ.update(env)
    started = dt.datetime.now(dt.UTC)
    record: dict = {
        "db": a.db,
        "date": started.isoformat(timespec="seconds"),
        "machine": run.machine(),
        "command": "bench/records.py " + " ".join(a.argv),
        "commit": run.git_commit(),
        "postgresql": run.pg_version() if a.db == "pg" else None,
        "n": a.n,
        "modules": {},
        "lists": {},
    }
    apps = discover(a.only)
    record["apps"] = apps
    fresh_database(a.db, sqlite_path, a.pg_db)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    lists = []
    for app in apps:
        module = importlib.import_module(f"kefu.{app}.benchdata")
        log(f"generate {a.n:,} {app} on {a.db}")
        t = time.perf_counter()
        facts_ = module.generate(a.n, seed=SEED)
        took = round(time.perf_counter() - t, 2)
        log(f"  {took} s: {facts_}")
        record["modules"][app] = {
            "seconds": took,
            "facts": facts_,
            "lists": [n for n, _p, _i in module.LISTS],
        }
        lists += [(app, name, path, is_api) for name, path, is_api in module.LISTS]
    record["analyze_s"] = analyze(a.db)
    access = run.prepare_access()
    record["db_size_mb"] = round(run.db_size_bytes(a.db, sqlite_path) / 2**20, 1)
    connections.close_all()
    server = run.Server(env, work / f"gunicorn-records-{a.db}.log")
    server.start()
    log(f"gunicorn up on {server.base}")
    try:
        record["lists"] = asyncio.run(measure(server.base, access, lists, a))
        record["workers_mb"] = server.memory()
    finally:
        server.stop()
        connections.close_all()
    record["seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds())
    return record


# --- the table ---------------------------------------------------------------------------------------


def fmt_ms(v) -> str:
    return "-" if v is None else f"{v:,.1f}"


def table(records: list[dict]) -> str:
    """One row per list: p50 / p95 / p99 on each database, the target and the verdict."""
    dbs = [r["db"] for r in records]
    label = {"sqlite": "SQLite", "pg": "PostgreSQL"}
    head = (
        "| list | path | target p95 | "
        + " | ".join(f"{label[d]} p50 / p95 / p99 ms | {label[d]}" for d in dbs)
        + " |"
    )
    lines = [head, "|" + "---|" * (3 + 2 * len(dbs))]
    names: list[tuple[str, str]] = []
    for r in records:
        for name, res in r["lists"].items():
            if name not in [n for n, _ in names]:
                names.append((name, res.get("path", "")))
    for name, path in names:
        cells = []
        for r in records:
            res = r["lists"].get(name)
            if res is None:
                cells += ["not measured", ""]
                continue
            if res.get("error") or res.get("p95_ms") is None:
                cells += [f"error: {str(res.get('error', 'no answer'))[:60]}", "**miss**"]
                continue
            p95 = res["p95_ms"]
            verdict = "pass" if p95 < TARGET_P95_MS else f"**miss** by {p95 - TARGET_P95_MS:,.1f} ms"
            cells += [f"{fmt_ms(res['p50_ms'])} / {fmt_ms(p95)} / {fmt_ms(res['p99_ms'])}", verdict]
        lines.append(f"| {name} | `{path}` | < {TARGET_P95_MS} ms | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(records: list[dict]) -> str:
    m = records[0]["machine"]
    parts = [
        START,
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, SQLite {m['sqlite']}"
        + "".join(f", PostgreSQL {r['postgresql']}" for r in records if r.get("postgresql"))
        + ". gunicorn (2 workers), the client (bench/rawhttp.py, sequential GETs) and the database share the CPUs.",
        "",
    ]
    for r in records:
        loads = ", ".join(f"{app} {r['n']:,} in {mod['seconds']:,.1f} s" for app, mod in r["modules"].items())
        parts.append(
            f"- {({'sqlite': 'SQLite', 'pg': 'PostgreSQL'})[r['db']]}: `{r['command']}` ({r['date']}, "
            f"{r['seconds']} s, commit {r.get('commit', '?')}); loaded {loads or 'nothing'}; ANALYZE "
            f"{r.get('analyze_s')} s; database {r.get('db_size_mb')} MB."
        )
    parts += ["", table(records), "", END]
    return "\n".join(parts)


def latest(runs: Path, db: str, exclude: dict) -> dict | None:
    for p in sorted(runs.glob(f"*-{db}.json"), reverse=True):
        try:
            rec = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if rec.get("date") != exclude.get("date") and rec.get("lists"):
            return rec
    return None


def write_docs(path: Path, record: dict, runs: Path) -> None:
    """Rewrite the records table of ``path`` (between its markers; appended when missing) from this
    run and the latest run on the other database."""
    other = latest(runs, "pg" if record["db"] == "sqlite" else "sqlite", record)
    records = sorted([record] + ([other] if other else []), key=lambda r: r["db"] != "sqlite")
    block = render(records)
    text = path.read_text() if path.exists() else "# Performance\n"
    if START not in text:
        text = text.rstrip("\n") + "\n\n" + START + "\n" + END + "\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    path.write_text(head + block + tail)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--n", type=int, default=100_000, help="records of each module")
    ap.add_argument("--reads", type=int, default=200, help="timed GETs per list")
    ap.add_argument("--read-budget-s", type=float, default=120)
    ap.add_argument("--only", default="", help="comma list of apps (default: every benchdata module)")
    ap.add_argument("--pg-db", default=os.environ.get("KEFU_BENCH_RECORDS_DB", "kefu_bench_records"))
    ap.add_argument("--out", help="JSON file (default bench/runs/records/<time>-<db>.json)")
    ap.add_argument(
        "--docs", default=str(ROOT / "docs" / "performance.md"), help="'' to leave the docs alone"
    )
    ap.add_argument("--workdir", default=str(run.VAR), help="SQLite file and logs (default var/bench)")
    ap.add_argument("--var-dir", default="", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.argv = list(argv)
    a.only = {s for s in a.only.split(",") if s}
    return a


def main(argv=None) -> int:
    a = parse_args(sys.argv[1:] if argv is None else argv)
    record = measure_run(a)
    out = (
        Path(a.out)
        if a.out
        else RUNS / f"{record['date'].replace(':', '').replace('-', '')[:15]}-{a.db}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, default=str))
    log(f"wrote {out}")
    if a.docs:
        write_docs(Path(a.docs), record, RUNS)
        log(f"records table written to {a.docs}")
    failed = [n for n, r in record["lists"].items() if r.get("error") or r.get("p95_ms") is None]
    return 1 if failed or not record["apps"] else 0


if __name__ == "__main__":
    sys.exit(main())
