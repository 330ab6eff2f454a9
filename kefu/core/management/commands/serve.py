"""``kefu serve``: the web server (gunicorn) and the background worker (django-q2) together.

Both run as child processes of this command: SIGINT/SIGTERM are passed on to
them, and when either one ends the other is stopped too, so a supervisor
(systemd, a container, ``make run``) only has to watch one process.

Each child runs in its own process group and gets exactly one SIGTERM from
here: Ctrl-C in a terminal signals the whole foreground group, and the
django-q cluster's own worker processes must be stopped by their sentinel,
not by the terminal, or the cluster hangs while it waits for them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand

GUNICORN_CONF = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"
# The worker finishes the tasks it has already taken before it stops.
STOP_GRACE_SECONDS = 30


class Command(BaseCommand):
    help = "Serve kefu with gunicorn and run the background worker (qcluster) beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KEFU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEFU_PORT", "8000")))
        parser.add_argument(
            "--no-worker", action="store_true", help="serve pages only, without the background worker"
        )

    def handle(self, *args, host, port, no_worker, **options):
        env = dict(
            os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "kefu.settings")
        )
        env["KEFU_HOST"], env["KEFU_PORT"] = host, str(port)
        commands = {
            "web": [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", f"{host}:{port}"],
        }
        if not no_worker:
            commands["worker"] = [sys.executable, "-m", "django", "qcluster"]
        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop():
            for proc in children.values():
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):  # exited meanwhile
                        proc.send_signal(signal.SIGTERM)

        def on_signal(signum, frame):
            nonlocal stopping
            if not stopping:
                stopping = True
                stop()

        exit_code = 0
        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, cmd in commands.items():
                if stopping:
                    break
                children[name] = subprocess.Popen(cmd, env=env, start_new_session=True)
                self.stderr.write(f"kefu serve: started {name} (pid {children[name].pid})")
            while not stopping:
                ended = [
                    (name, proc.returncode) for name, proc in children.items() if proc.poll() is not None
                ]
                if ended:
                    name, code = ended[0]
                    self.stderr.write(f"kefu serve: {name} exited with {code}; stopping the rest")
                    exit_code = code or 1
                    stopping = True
                    stop()
                    break
                time.sleep(0.5)
            self._wait_all(children)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if exit_code:
            sys.exit(exit_code)

    def _wait_all(self, children: dict[str, subprocess.Popen]) -> None:
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, proc in children.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"kefu serve: {name} did not stop in time; killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # its own children too
                proc.wait()
