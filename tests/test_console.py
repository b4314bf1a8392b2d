"""`peerwork run` as a person at a terminal lives it: one banner, quiet while idle, and a
Ctrl-C (or SIGTERM) that stops web, worker, scheduler and the embedded Redis quietly."""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from peerwork import console
from tests.processes import descendants

STOP_WITHIN = 2.0  # seconds, from the signal to `peerwork run` having exited


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _redis_servers(pids: set[int]) -> set[int]:
    """Those of `pids` that are a live redis-server (it rewrites its command line; not its name)."""
    found = set()
    for pid in pids:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("redis-server") and _alive(pid):
            found.add(pid)
    return found


class Run:
    """`peerwork run` in a fresh instance folder, a real subprocess in a session of its own."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.instance = tmp_path / "instance"
        self.port = _free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PEERWORK_TEST_", "REDIS_URL", "DATABASE_URL"))
        }
        env["PEERWORK_INSTANCE"] = str(self.instance)
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-P",
                "-m",
                "peerwork",
                "run",
                "--port",
                str(self.port),
                "--no-demo",
                *args,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_serving(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.communicate()[0]
            try:
                if requests.get(self.base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        else:
            self.kill()
            pytest.fail(f"peerwork run did not serve within {timeout} s")
        # Up: the worker and scheduler have been started; give them time to settle in.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(self.processes()) < 4:
            time.sleep(0.2)

    def processes(self) -> set[int]:
        return {pid for pid in descendants(self.process.pid) if _alive(pid)}

    def stop(self, how: str) -> float:
        """Send the stop signal `how`; return the seconds until `peerwork run` exited."""
        started = time.monotonic()
        if how == "group":  # a terminal's Ctrl-C: SIGINT to the whole foreground group
            os.killpg(self.process.pid, signal.SIGINT)
        elif how == "parent":
            self.process.send_signal(signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.output, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("peerwork run did not stop within 30 s:\n" + self.output[-3000:])
        return time.monotonic() - started

    def kill(self) -> None:
        for pid in self.processes() | {self.process.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.output, _ = self.process.communicate()


@pytest.fixture
def running(tmp_path):
    runs: list[Run] = []

    def start(*args: str) -> Run:
        run = Run(tmp_path / str(len(runs)), *args)
        runs.append(run)
        run.wait_until_serving()
        return run

    yield start
    for run in runs:
        if run.process.poll() is None:
            run.kill()


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.parametrize("how", ["group", "parent", "sigterm"])
def test_a_stop_signal_stops_everything_quietly_within_two_seconds(running, how):
    run = running()
    started = run.processes()
    redis_servers = _redis_servers(started)
    assert redis_servers, "the embedded Redis should be serving this run"
    assert len(started) >= 4, started  # Redis, worker (+ its scheduler), scheduler (+ delayed)

    # Requests keep arriving as the signal lands: it may interrupt the server while it
    # accepts one, where an ordinary exception would be swallowed.
    stop_asking = threading.Event()

    def keep_asking() -> None:
        while not stop_asking.is_set():
            try:
                requests.get(run.base + "/healthz", timeout=1)
            except requests.RequestException:
                time.sleep(0.01)

    askers = [threading.Thread(target=keep_asking) for _ in range(3)]
    for asker in askers:
        asker.start()
    time.sleep(0.5)
    try:
        took = run.stop(how)
    finally:
        stop_asking.set()
        for asker in askers:
            asker.join()

    assert run.process.returncode == 0, run.output
    assert took < STOP_WITHIN, f"stopping took {took:.2f} s"
    assert "Traceback" not in run.output, run.output
    assert "Logging error" not in run.output, run.output
    assert "peerwork stopped." in run.output
    time.sleep(0.3)
    assert not [pid for pid in started if _alive(pid)], run.output
    assert not _redis_servers(redis_servers)


@pytest.mark.slow
@pytest.mark.real_clock
def test_idle_output_is_the_banner_then_nothing_and_verbose_shows_the_work(running):
    quiet = running()
    verbose = running("--verbose")
    time.sleep(5)  # idle: the periodic upkeep runs (every job at start), nobody texts
    requests.get(quiet.base + "/login", timeout=5)
    requests.get(verbose.base + "/login", timeout=5)
    quiet.stop("group")
    verbose.stop("group")

    banner_end = quiet.output.index("Press Ctrl-C to stop everything")
    banner = quiet.output[:banner_end]
    assert f"http://127.0.0.1:{quiet.port}/" in banner
    assert "/dev/phone/" in banner
    after = [line for line in quiet.output[banner_end:].splitlines()[1:] if line.strip()]
    assert after == ["peerwork stopped."], quiet.output

    # Verbose: the jobs, the requests, and still one banner; plain text in a pipe.
    assert "peerwork.jobs.outbox_sweep" in verbose.output
    assert "GET /login" in verbose.output
    assert verbose.output.count("Press Ctrl-C to stop everything") == 1
    for output in (quiet.output, verbose.output):
        assert "\x1b[" not in output


@pytest.mark.slow
@pytest.mark.real_clock
def test_a_port_in_use_is_said_plainly(running, tmp_path):
    first = running()
    second = Run(tmp_path / "second", "--port", str(first.port))
    output, _ = second.process.communicate(timeout=90)
    assert second.process.returncode != 0
    assert f"Port {first.port} is in use" in output
    assert "Traceback" not in output


def test_brief_records_are_one_line_and_failures_keep_their_exception():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.ConsoleFormatter(brief=True, colour=False))
    logger = logging.getLogger("tests.console.brief")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error(
            "Worker w1: job 42: exception raised while executing (%s)\n%s",
            "peerwork.jobs.send_message",
            'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: boom\n',
        )
        try:
            raise RuntimeError("database is away")
        except RuntimeError:
            logger.exception("sweep failed")
        logger.warning("\x1b[33mcoloured\x1b[0m words")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].endswith(
        "error: Worker w1: job 42: exception raised while executing "
        "(peerwork.jobs.send_message) (ValueError: boom)"
    )
    assert lines[1].endswith("error: sweep failed (RuntimeError: database is away)")
    assert lines[2].endswith("warning: coloured words")


def test_verbose_records_keep_the_traceback_and_a_terminal_keeps_its_colours():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.ConsoleFormatter(brief=False, colour=True))
    logger = logging.getLogger("tests.console.verbose")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError("database is away")
        except RuntimeError:
            logger.exception("sweep failed")
        logger.info("\x1b[32mok\x1b[0m")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text
    assert "\x1b[32mok\x1b[0m" in text
