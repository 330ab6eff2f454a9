"""`bench/records.py` in miniature: 200 records of every ``kefu/<app>/benchdata.py`` on SQLite, each
list read over HTTP, the table written between its own markers (not the complaint table's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import records, report

ROOT = Path(__file__).resolve().parent.parent


def test_records_bench_smoke_run(tmp_path):
    out = tmp_path / "run.json"
    env = {k: v for k, v in os.environ.items() if k not in ("KEFU_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    cmd = [
        sys.executable, str(ROOT / "bench" / "records.py"), "--db", "sqlite", "--n", "200", "--reads", "5",
        "--workdir", str(tmp_path), "--var-dir", str(tmp_path / "var"), "--out", str(out), "--docs", "",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads(out.read_text())

    apps = records.discover()
    assert "capa" in apps and record["apps"] == apps  # every module found, none left out
    for app in apps:
        assert record["modules"][app]["seconds"] >= 0
        for name in record["modules"][app]["lists"]:
            res = record["lists"][name]
            assert "error" not in res, (name, res.get("error"))
            assert res["n"] == 5 and res["p95_ms"] > 0, name
    capa = record["modules"]["capa"]["facts"]["counts"]
    assert capa["capas"] == 200 and capa["open"] == 20 and capa["steps"] >= 5 * 180
    assert record["lists"]["capa_api"]["rows_returned"] == 50 and record["lists"]["capa_api"]["count"] == 200
    assert record["lists"]["capa_open_api"]["count"] == 20

    # the table goes between its own markers and leaves the complaint table alone
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\n{report.START}\ncomplaints\n{report.END}\n\nnotes\n")
    records.write_docs(doc, record, tmp_path)
    records.write_docs(doc, record, tmp_path)  # twice: replaced, not appended
    text = doc.read_text()
    assert text.count(records.START) == 1 and f"{report.START}\ncomplaints\n{report.END}" in text
    assert "| capa_api | `/api/v1/capa` | < 50 ms |" in text and "notes" in text
