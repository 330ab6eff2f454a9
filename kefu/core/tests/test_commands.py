"""The ``kefu`` console commands of kefu itself: token, serve."""

import io
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from kefu.core.auth import user_for_token
from kefu.core.models import ApiToken, AuditEvent

# The console script's entry point, run the way .venv/bin/kefu runs it.
KEFU = [
    sys.executable,
    "-c",
    "import sys; from kefu.cli import main; sys.exit(main(['kefu', *sys.argv[1:]]))",
]


@pytest.mark.django_db
def test_token_prints_a_working_token_stored_hashed(org):
    out = io.StringIO()
    call_command("token", "quality", "--name", "erp", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("kf_")
    token = ApiToken.objects.get(user=org["quality"])
    assert token.name == "erp" and token.key_hash == ApiToken.hash(key) and key not in token.key_hash
    assert user_for_token(key) == org["quality"]
    assert AuditEvent.objects.filter(action="token_created", object_id="quality").exists()


@pytest.mark.django_db
def test_token_for_unknown_user_is_a_clear_error(org):
    with pytest.raises(CommandError, match="unknown user 'nobody'"):
        call_command("token", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_for_inactive_user_is_refused(org):
    org["rd"].is_active = False
    org["rd"].save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("token", "rd", stdout=io.StringIO())


def test_kefu_console_command_lists_kefus_own_commands():
    out = subprocess.run([*KEFU, "help"], capture_output=True, text=True, check=True, timeout=60).stdout
    for command in ("token", "demo", "serve", "migrate", "qcluster"):
        assert f"    {command}\n" in out, command


@pytest.mark.slow
def test_serve_stops_both_children_on_sigterm(tmp_path):
    """`kefu serve` runs gunicorn and the worker as children and stops both on SIGTERM."""
    env = {**_clean_env(), "KEFU_VAR_DIR": str(tmp_path / "var")}
    env.pop("KEFU_DATABASE_URL", None)  # a throw-away SQLite file, whatever the suite runs on
    subprocess.run([*KEFU, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    proc = subprocess.Popen(
        [*KEFU, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        started = _read_until(proc, "started worker", timeout=30)
        assert "started web" in started
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = proc.stdout.read()
    assert "did not stop in time" not in rest


def _clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}


def _read_until(proc, marker: str, timeout: float) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} not printed:\n{''.join(seen)}")
