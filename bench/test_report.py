"""bench/report.py: how the table shows a peer figure of which only a lower bound is known."""

from bench import report


def test_a_peer_list_that_never_finished_within_its_budget_is_a_lower_bound():
    peer = {
        "config": {"read_budget_s": 120},
        "reads": {
            "api_list": {"budget_exhausted": True, "n": 0, "p50_ms": None, "p95_ms": None},
            "api_list_status": {"budget_exhausted": True, "n": 2, "p50_ms": 53148.5, "p95_ms": 53917.5},
        },
    }
    f = report.peer_figures(peer)
    assert report.fmt(f["api_list"], "p95") == "> 120,000 ms (none finished)"
    assert report.ratio(28.0, f["api_list"], "p95", "list_api") == "> 4,285.7x (pass, >= 3x)"
    # Two requests finished: their median stands for the peer, as before.
    assert report.fmt(f["api_list_status"], "p95") == "53,148.5 ms"
    assert report.ratio(45.0, f["api_list_status"], "p95", "filtered_api") == "1,181.1x"


def test_the_machine_line_names_the_sqlite_sync_mode_when_the_run_recorded_it():
    machine = {"nproc": 2, "cpu": "x", "memory_gib": 4, "python": "3.11", "sqlite": "3.40.1"}
    run = {
        "db": "sqlite",
        "command": "bench/run.py",
        "date": "d",
        "seconds": 1,
        "kefu": {"10": {}},
        "peer": None,
    }
    text = report.render([{**run, "machine": {**machine, "sqlite_synchronous": "FULL"}}])
    assert "SQLite 3.40.1 (synchronous=FULL)." in text
    assert "SQLite 3.40.1." in report.render([{**run, "machine": machine}])  # runs from before issue 11
