"""The last place to keep an inbound text: an encrypted file on this host's disk.

Used only when neither the database nor Redis can take a text (see
`peerwork.texter.outage`). One append-only file per web process,
`<instance>/spool/inbound-<host>-<pid>.spool`, one record per line: a Fernet
token from `DataVault.encrypt` (URL-safe base64, so never a newline inside,
and no phone number or body in clear on disk). Each line is flushed and
fsynced before the webhook answers, so an answered text survives a crash or a
power cut.

Claiming, so that no two processes ever ingest one file: an ingester renames
a file to `<name>.claimed-<host>-<pid>` (a rename is atomic: one process wins)
and only then reads it, under an exclusive lock. A writer appends under the
same lock and, once it holds it, checks that the path still names the file it
opened; if the file was claimed meanwhile it writes to a fresh one. So no line
is ever added to a file already read. A claim whose process has died (a crash
mid-ingest) is taken over by the next ingester on the same host; the records
already stored are recognised by MessageSid and stored once.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

SUFFIX = ".spool"
CLAIMED = ".claimed-"


def directory(instance_path: str | os.PathLike[str]) -> Path:
    return Path(instance_path) / "spool"


def _host() -> str:
    return socket.gethostname().replace("-", "_").replace("/", "_") or "host"


def _own_file(folder: Path) -> Path:
    return folder / f"inbound-{_host()}-{os.getpid()}{SUFFIX}"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append(folder: Path, token: bytes) -> None:
    """Add one encrypted record to this process's file, durably (raises OSError if it cannot)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = _own_file(folder)
    for _ in range(10):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                continue  # claimed between open and lock: write to a fresh file
            if current.st_ino != os.fstat(fd).st_ino:
                continue
            new_file = os.fstat(fd).st_size == 0
            os.write(fd, bytes(token) + b"\n")
            os.fsync(fd)
            if new_file:
                _fsync_dir(folder)  # the file's name is durable too
            return
        finally:
            os.close(fd)  # also releases the lock
    raise OSError(f"could not append to {path.name}: claimed again and again")


def claimed_name(path: Path, *, pid: int | None = None) -> Path:
    original = path.name.split(CLAIMED, 1)[0]
    return path.with_name(f"{original}{CLAIMED}{_host()}-{pid or os.getpid()}")


def _claim_is_stale(path: Path) -> bool:
    """A claim made by a process on this host that is gone, or by this very process.

    The caller runs one ingest at a time per process, so this process's own
    claim is left from an ingest that stopped (the database went away again).
    """
    host, _, pid_text = path.name.split(CLAIMED, 1)[1].rpartition("-")
    if host != _host() or not pid_text.isdigit():
        return False  # another host's (a shared disk): that host takes it over
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def claim_all(folder: Path) -> list[Path]:
    """Claim every file waiting here (and stale claims), oldest first; returns the claimed paths."""
    if not folder.is_dir():
        return []
    waiting = []
    for path in folder.iterdir():
        if path.name.endswith(SUFFIX) or (CLAIMED in path.name and _claim_is_stale(path)):
            try:
                waiting.append((path.stat().st_mtime, path))
            except FileNotFoundError:
                continue  # claimed by someone else just now
    claimed = []
    for _mtime, path in sorted(waiting):
        target = claimed_name(path)
        try:
            os.rename(path, target)
        except FileNotFoundError:
            continue  # another process won it
        claimed.append(target)
    return claimed


def read(path: Path) -> list[bytes]:
    """The records of a claimed file, after any write in progress has finished."""
    with open(path, "rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return [line.strip() for line in handle.read().splitlines() if line.strip()]


def release(path: Path) -> None:
    """Remove a claimed file once every record in it is stored."""
    path.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def pending(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())
