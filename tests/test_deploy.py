"""The deployment files: gunicorn started exactly as the README says answers its probes."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _readme_command(program: str) -> list[str]:
    """The command line the README's production section gives for `program`."""
    production = README.split("## Production", 1)[1]
    for line in production.splitlines():
        if line.startswith(program + " "):
            return shlex.split(line.split("#", 1)[0])
    raise AssertionError(f"no `{program}` line in the README's production section")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_readme_serves_with_the_deploy_config():
    assert _readme_command("gunicorn") == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]


def test_procfile_runs_web_worker_and_scheduler():
    lines = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert lines["web"].strip() == "gunicorn -c deploy/gunicorn.conf.py wsgi:app"
    assert lines["worker"].strip() == "peerwork worker"
    assert lines["scheduler"].strip() == "peerwork scheduler"


@pytest.mark.parametrize("unit", ["web", "worker", "scheduler"])
def test_systemd_units_restart_and_run_the_right_command(unit):
    text = (ROOT / "deploy" / "systemd" / f"peerwork-{unit}.service").read_text()
    assert re.search(r"^Restart=always$", text, re.M)
    assert re.search(r"^EnvironmentFile=", text, re.M)
    expected = (
        "gunicorn -c deploy/gunicorn.conf.py wsgi:app" if unit == "web" else f"peerwork {unit}"
    )
    assert re.search(rf"^ExecStart=\S*{re.escape(expected)}$", text, re.M)


def test_access_log_leaves_out_query_strings():
    config: dict = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), config)  # noqa: S102
    assert "%(U)s" in config["access_log_format"]
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(a)s"):
        assert leaky not in config["access_log_format"]


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.committed
def test_gunicorn_with_the_deploy_config_answers_health_probes(tmp_path, redis_url):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PEERWORK_", "TWILIO_"))
        and key not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY"}
    }
    env.update(
        PEERWORK_ENV="development",
        PEERWORK_INSTANCE=str(tmp_path / "instance"),
        PEERWORK_QUEUE_PREFIX="deploytest",
        DATABASE_URL=f"sqlite:///{tmp_path}/deploy.sqlite3",
        REDIS_URL=redis_url,
        PEERWORK_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        PEERWORK_THREADS="2",
    )
    bin_dir = Path(sys.executable).parent
    upgrade = subprocess.run(  # noqa: S603
        [str(bin_dir / "peerwork"), "db", "upgrade"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]
    command = _readme_command("gunicorn")
    server = subprocess.Popen(  # noqa: S603
        [str(bin_dir / command[0]), *command[1:]],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(base + "/healthz")
                break
            except OSError:  # refused, reset or timed out while gunicorn boots (URLError too)
                assert server.poll() is None, server.stdout.read()[-3000:]
                assert time.monotonic() < deadline, "gunicorn did not start in 60 s"
                time.sleep(0.2)
        assert (status, body) == (200, {"status": "ok"})
        status, report = _get(base + "/readyz?token=secret-in-query")
        assert status == 200, report
        assert report["checks"]["database"]["ok"] and report["checks"]["redis"]["ok"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert server.returncode == 0, output[-3000:]
    assert "GET /readyz HTTP/1.1" in output  # the access log is on ...
    assert "secret-in-query" not in output  # ... without query strings
