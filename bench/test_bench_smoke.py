"""`make bench` in miniature: 2,000 complaints on SQLite, every scenario over HTTP, no peer.

Not a benchmark (the figures mean nothing at this size): it proves that the
generator, the server start, each scenario, the number check and the table
still work, so the harness cannot rot between real runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parent.parent
READS = [
    "list_page",
    "list_api",
    "filtered_page",
    "filtered_api",
    "search_word_api",
    "search_phrase_api",
    "search_word_page",
    "search_phrase_page",
    "detail_page",
    "detail_api",
]


def run_smoke(work: Path) -> dict:
    out = work / "run.json"
    env = {k: v for k, v in os.environ.items() if k not in ("KEFU_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["KEFU_VAR_DIR"] = str(work / "var")  # own secret, static files and media: no clash with a real run
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        "--db",
        "sqlite",
        "--complaints",
        "2000",
        "--customers",
        "200",
        "--peer-size",
        "0",
        "--no-peer",
        "--reads",
        "10",
        "--intake-seconds",
        "3",
        "--intake-httpx-seconds",
        "2",
        "--workdir",
        str(work),
        "--out",
        str(out),
        "--docs",
        "",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


# One test, so that pytest-xdist never runs the bench twice.
def test_make_bench_smoke_run(tmp_path):
    record = run_smoke(tmp_path)
    res = record["kefu"]["2000"]

    load = res["load"]["counts"]
    assert load["complaints"] == 2000 and load["customers"] == 200 and load["open"] == 200
    assert 8 * 2000 > load["steps"] > 4 * 2000  # closed cases 7-8 steps, open ones 1-5
    assert load["audit_events"] > load["steps"]

    http = res["http"]
    for scenario in READS:
        assert "error" not in http[scenario], (scenario, http[scenario].get("error"))
        assert http[scenario]["n"] == 10 and http[scenario]["p95_ms"] > 0, scenario
    assert http["search_word_api"]["rows_returned"] > 0
    assert http["search_phrase_api"]["rows_returned"] > 0

    for key in ("intake", "intake_httpx"):  # the light client, then httpx as the peer's harness
        intake = http[key]
        assert intake["created"] > 0 and intake["status_codes"].keys() == {"201"}, intake["sample_errors"]
        assert intake["check"]["ok"], intake["check"]

    sweep = res["sweep"]
    if sweep["available"]:
        assert sweep["first"]["seconds"] > 0 and sweep["second"]["seconds"] > 0
    else:
        assert "not available" in sweep["note"]
    assert res["stats"]["total"] > 0
    assert len(res["workers_mb"]) == 2

    doc = tmp_path / "performance.md"
    report.write_docs(doc, record, tmp_path)
    text = doc.read_text()
    assert report.START in text and "list, first page (API) p95" in text
