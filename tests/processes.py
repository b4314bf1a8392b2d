"""Real peerwork processes for the tests that start them: `python -m peerwork ...`
against this test's database, Redis and queues (and the local Twilio stand-in),
each in a session of its own, and killed together with its children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_DATA_KEY, TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent


def peerwork_env(app, tmp_path: Path, twilio=None, *, redis_url: str | None = None, **extra: str):
    """The environment of a peerwork child process started by a test.

    The test's database, Redis (or `redis_url`), queue prefix and keys; the
    Twilio stand-in when one is given. The caller's PEERWORK_TEST_* and TWILIO_*
    variables are left out, so nothing outside the test reaches the child.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEERWORK_TEST_", "TWILIO_"))}
    env.update(
        PEERWORK_ENV="development",
        PEERWORK_INSTANCE=str(tmp_path / "instance"),
        DATABASE_URL=app.config["DATABASE_URL"],
        REDIS_URL=redis_url or app.config["REDIS_URL"],
        SECRET_KEY=TEST_SECRET,
        PEERWORK_DATA_KEY=TEST_DATA_KEY,
        PEERWORK_QUEUE_PREFIX=app.config["RQ_QUEUE_PREFIX"],
        PUBLIC_BASE_URL=app.config["PUBLIC_BASE_URL"],
    )
    if twilio is not None:
        env.update(
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
            TWILIO_API_BASE_URL=twilio.base_url,
        )
    env.update(extra)
    return env


def start_peerwork(
    app, twilio, tmp_path: Path, *args: str, log: str | None = None, **env
) -> subprocess.Popen:
    """`python -m peerwork *args` in a session of its own.

    Its output goes to tmp_path/<log>.log (by default, the command's name);
    `env` goes to `peerwork_env` (`redis_url`, extra variables).
    """
    log_file = open(tmp_path / f"{log or args[0]}.log", "ab")  # noqa: SIM115 (closed in kill)
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "peerwork", *args],
        cwd=ROOT,
        env=peerwork_env(app, tmp_path, twilio, **env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log_file
    return process


def descendants(pid: int) -> list[int]:
    """Child processes of `pid`, recursively (RQ's work horse runs in its own session)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill(process: subprocess.Popen) -> None:
    """SIGKILL a process and all its children at once (a crash, an OOM kill, a lost host)."""
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)
    process.log.close()


def stop(process: subprocess.Popen) -> None:
    """SIGTERM and up to 15 s to finish, then kill whatever is left."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    kill(process)
