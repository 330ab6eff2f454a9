"""The table of docs/performance.md, written between markers from the latest run of each database."""

from __future__ import annotations

import json
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# (label, kefu key, kind, target, peer key): kind "p95" (ms, lower is better), "rate" (higher is better),
# "s" (seconds), "mb"; peer key names the peer's matching figure (ratio target 3x where the issue sets one).
ROWS = [
    ("list, first page (page) p95", "list_page", "p95", 50, "staff_list"),
    ("list, first page (API) p95", "list_api", "p95", 50, "api_list"),
    ("filtered: status+customer+dates (page) p95", "filtered_page", "p95", 100, "staff_filtered"),
    ("filtered: status+customer+dates (API) p95", "filtered_api", "p95", 100, "api_list_status"),
    ("broad: status=open, every open complaint (page) p95", "open_page", "p95", 100, None),
    ("broad: status=open (API) p95", "open_api", "p95", 100, None),
    ("broad: status=closed alone, 90 % of all (page) p95", "closed_page", "p95", 100, None),
    ("broad: status=closed alone (API) p95", "closed_api", "p95", 100, None),
    ("broad: status=closed + a quarter's receipts (page) p95", "quarter_page", "p95", 100, None),
    ("broad: status=closed + a quarter (API) p95", "quarter_api", "p95", 100, None),
    ("  the same, never ANALYZEd: status=open (page) p95", "open_page_nostats", "p95", 100, None),
    ("  never ANALYZEd: status=open (API) p95", "open_api_nostats", "p95", 100, None),
    ("  never ANALYZEd: status=closed alone (page) p95", "closed_page_nostats", "p95", 100, None),
    ("  never ANALYZEd: status=closed alone (API) p95", "closed_api_nostats", "p95", 100, None),
    ("  never ANALYZEd: status=closed + quarter (page) p95", "quarter_page_nostats", "p95", 100, None),
    ("  never ANALYZEd: status=closed + quarter (API) p95", "quarter_api_nostats", "p95", 100, None),
    ("search 2-char word 毛刺 (API) p95", "search_word_api", "p95", 200, "staff_search"),
    ("search 4-char phrase 包装破损 (API) p95", "search_phrase_api", "p95", 200, "staff_search"),
    ("search 2-char word (page) p95", "search_word_page", "p95", 200, "staff_search"),
    ("search 4-char phrase (page) p95", "search_phrase_page", "p95", 200, "staff_search"),
    ("detail with steps+history (page) p95", "detail_page", "p95", 50, None),
    ("detail with steps+history (API) p95", "detail_api", "p95", 50, None),
    ("intake POST, 8 clients: complaints/s", "intake", "rate", 500, None),
    ("intake p95", "intake_p95", "p95", None, None),
    ("intake, same client as the peer's (httpx): complaints/s", "intake_httpx", "rate", None, "create"),
    ("intake (httpx) p95", "intake_httpx_p95", "p95", None, "create_p95"),
    ("numbers unique and gap-free", "numbers", "bool", True, None),
    ("sweep over the open complaints", "sweep_first", "s", 2, None),
    ("sweep again (nothing new)", "sweep_second", "s", 2, None),
    ("a month's statistics", "stats", "s", 1, None),
    ("load time (customers, complaints, steps, history)", "load", "s", None, "bulk"),
    ("database size on disk", "db_mb", "mb", None, None),
    ("peak RSS per worker (max VmHWM)", "rss", "mb", 250, None),
    ("  of it private memory, peak (RssAnon)", "rss_anon", "mb", 250, None),
]
RATIO_TARGET = {"list_page": 3, "list_api": 3, "intake_httpx": 3}


def kefu_figures(res: dict) -> dict:
    http = res.get("http", {})
    f: dict = {}
    for key, r in http.items():
        if not key.startswith("intake"):
            f[key] = None if r.get("error") else r.get("p95_ms")
    for key in ("intake", "intake_httpx"):
        it = http.get(key)
        if it:
            f[key] = it.get("created_per_s")
            f[f"{key}_p95"] = it.get("p95_ms")
    checks = [http[k]["check"]["ok"] for k in ("intake", "intake_httpx") if "check" in http.get(k, {})]
    if checks:
        f["numbers"] = all(checks)
    sw = res.get("sweep") or {}
    f["sweep_first"] = sw.get("first", {}).get("seconds") if sw.get("available") else "n/a"
    f["sweep_second"] = sw.get("second", {}).get("seconds") if sw.get("available") else "n/a"
    f["stats"] = (res.get("stats") or {}).get("max_s")
    f["load"] = (res.get("load") or {}).get("total_s")
    f["db_mb"] = res.get("db_size_after_mb") or res.get("db_size_mb")
    workers = res.get("workers_mb") or {}
    f["rss"] = max((w["VmHWM"] for w in workers.values()), default=None)
    f["rss_anon"] = max(
        (w.get("RssAnon_peak", w.get("RssAnon")) or 0 for w in workers.values()), default=None
    )
    if not any("RssAnon" in w for w in workers.values()):
        f["rss_anon"] = None
    return f


def peer_figures(peer: dict | None) -> dict:
    if not peer or "reads" not in peer:
        return {}
    f = {k: r.get("p95_ms") for k, r in peer["reads"].items()}
    f["create"] = peer.get("create", {}).get("tickets_per_s")
    f["create_p95"] = peer.get("create", {}).get("p95_ms")
    f["bulk"] = peer.get("bulk", {}).get("seconds")
    budget_ms = peer.get("config", {}).get("read_budget_s", 0) * 1000
    for k in ("api_list", "api_list_status"):  # only a few requests fit in the budget: no real p95
        r = peer["reads"].get(k, {})
        if r.get("budget_exhausted"):
            f[k] = r.get("p50_ms") if r.get("n") else AtLeast(budget_ms) if budget_ms else None
    return f


class AtLeast(float):
    """A peer latency known only from below: not one request finished within the read budget."""


def fmt(v, kind: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if isinstance(v, AtLeast):
        return f"> {v:,.0f} ms (none finished)"
    if kind == "bool":
        return "yes" if v else "**no**"
    if kind == "p95":
        return f"{v:,.1f} ms"
    if kind == "rate":
        return f"{v:,.1f}/s"
    if kind == "s":
        return f"{v:,.2f} s"
    return f"{v:,.0f} MB"


def verdict(v, kind: str, target) -> str:
    if target is None:
        return ""
    if v is None or isinstance(v, str):
        return "not measured"
    if kind == "bool":
        return "pass" if v is target else "**miss**"
    if kind == "rate":
        return "pass" if v >= target else f"**miss** by {target - v:,.0f}/s ({(target - v) / target:.0%})"
    if v < target:
        return "pass"
    unit = {"p95": " ms", "s": " s", "mb": " MB"}[kind]
    return f"**miss** by {v - target:,.1f}{unit} ({(v - target) / target:.0%})"


def ratio(kefu_v, peer_v, kind: str, key: str) -> str:
    if kind == "s":  # load times: the data sets differ (kefu writes steps and history too)
        return "-"
    if not isinstance(kefu_v, int | float) or not isinstance(peer_v, int | float) or not kefu_v or not peer_v:
        return "-"
    r = kefu_v / peer_v if kind == "rate" else peer_v / kefu_v
    target = RATIO_TARGET.get(key)
    if isinstance(peer_v, AtLeast):
        return f"> {r:,.1f}x" + ("" if target is None or r < target else " (pass, >= 3x)")
    mark = "" if target is None else (" (pass, >= 3x)" if r >= target else f" (**miss**, < {target}x)")
    return f"{r:,.1f}x{mark}"


def table(record: dict) -> str:
    sizes = sorted(record["kefu"], key=int)
    big, small = sizes[-1], sizes[0]
    kb, ks = kefu_figures(record["kefu"][big]), kefu_figures(record["kefu"][small])
    peer = record.get("peer")
    pf = peer_figures(peer)
    peer_size = (peer or {}).get("config", {}).get("bulk")
    db = {"sqlite": "SQLite", "pg": "PostgreSQL"}[record["db"]]
    head = (
        f"| scenario | target | kefu {int(big):,} | at {int(big):,} | kefu {int(small):,} "
        f"| django-helpdesk {int(peer_size or 0):,} | peer / kefu at {int(small):,} |"
    )
    commit = f", commit {record['commit']}" if record.get("commit") else ""
    lines = [f"#### {db} (run {record['date']}, {record['seconds']} s{commit})", "", head, "|" + "---|" * 7]
    for label, key, kind, target, pkey in ROWS:
        tgt = (
            "-"
            if target is None
            else (("< " if kind != "rate" else ">= ") + fmt(target, kind) if kind != "bool" else "yes")
        )
        pv = pf.get(pkey) if pkey else None
        lines.append(
            f"| {label} | {tgt} | {fmt(kb.get(key), kind)} | {verdict(kb.get(key), kind, target)} "
            f"| {fmt(ks.get(key), kind) if small != big else '-'} | {fmt(pv, kind) if pkey else '-'} "
            f"| {ratio(ks.get(key), pv, kind, key) if pkey and small != big else '-'} |"
        )
    if peer and peer.get("error"):
        lines += ["", f"Peer: {peer['error']}"]
    load = record["kefu"][big].get("load") or {}
    counts = load.get("counts", {})
    lines += [
        "",
        f"Data set at {int(big):,}: {counts.get('customers', 0):,} customers, {counts.get('complaints', 0):,} complaints "
        f"({counts.get('open', 0):,} open), {counts.get('steps', 0):,} steps, {counts.get('audit_events', 0):,} history "
        f"rows; rows written in {load.get('rows_s')} s, indexes {load.get('indexes_s')} s, ANALYZE "
        f"{load.get('analyze_s')} s.",
    ]
    return "\n".join(lines)


def latest(runs: Path, db: str, exclude: dict) -> dict | None:
    for p in sorted(runs.glob(f"*-{db}.json"), reverse=True):
        try:
            rec = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if rec.get("date") != exclude.get("date") and rec.get("kefu"):
            return rec
    return None


def render(records: list[dict]) -> str:
    m = records[0]["machine"]
    parts = [
        START,
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"SQLite {m['sqlite']}"
        + (f" (synchronous={m['sqlite_synchronous']})" if m.get("sqlite_synchronous") else "")
        + "".join(f", PostgreSQL {r['postgresql']}" for r in records if r.get("postgresql"))
        + ". Client, gunicorn (2 workers) and the database share the CPUs. kefu is measured with"
        " bench/rawhttp.py (about 0.25 ms of client CPU a request), its intake also with httpx as the"
        " peer's harness uses (about 1.5 ms), for a like-for-like creation ratio.",
        "",
        "Commands: " + "; ".join(f"`{r['command']}` ({r['date']})" for r in records),
        "",
    ]
    for r in records:
        parts += [table(r), ""]
    parts.append(END)
    return "\n".join(parts)


def write_docs(path: Path, record: dict, runs: Path) -> None:
    other = latest(runs, "pg" if record["db"] == "sqlite" else "sqlite", record)
    records = sorted([record] + ([other] if other else []), key=lambda r: r["db"] != "sqlite")
    block = render(records)
    text = path.read_text() if path.exists() else "# Performance\n\n" + START + "\n" + END + "\n"
    if START not in text:
        text += "\n" + START + "\n" + END + "\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    path.write_text(head + block + tail)
