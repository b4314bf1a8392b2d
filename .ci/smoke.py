"""Smoke test of the README's run command: `peerwork run` in a fresh instance
serves the login page, the demo admin signs in, a text to the dev phone gets
the welcome reply through the worker, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the worker and scheduler run in process groups of
    their own, and Redis in its own session, so the group alone would miss them)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        children = subprocess.run(
            ["pgrep", "-P", str(todo.pop())], capture_output=True, text=True
        ).stdout.split()
        found += [int(child) for child in children]
        todo += [int(child) for child in children]
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def main() -> int:
    instance = tempfile.mkdtemp(prefix="peerwork-smoke-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PEERWORK_TEST_", "REDIS_URL", "DATABASE_URL"))
    }
    env["PEERWORK_INSTANCE"] = instance
    run = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "peerwork"), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            raise SystemExit("peerwork run did not serve within 90 s")
        web = requests.Session()
        login = web.get(base + "/login", timeout=5)
        assert login.status_code == 200 and "Sign in" in login.text
        signed_in = web.post(
            base + "/login",
            data={
                "csrf_token": csrf(login.text),
                "email": "admin@acme.example",
                "password": "listen with care 2026",
            },
            timeout=10,
        )
        assert signed_in.url.endswith("/admin/"), signed_in.url
        assert "Acme Peer Line" in signed_in.text
        print("smoke: login page served, demo admin signed in")

        phone = requests.Session()
        page = phone.get(base + "/dev/phone/", timeout=5)
        phone.post(
            base + "/dev/phone/send", data={"csrf_token": csrf(page.text), "body": "hi"}, timeout=10
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            thread = phone.get(base + "/dev/phone/", timeout=5).text
            if "reached Acme Peer Line" in thread and "Reply with a number" in thread:
                break
            time.sleep(0.5)
        else:
            shown = re.sub(r"<[^>]+>", " ", thread)
            raise SystemExit(
                "the dev phone got no welcome and menu:\n" + " ".join(shown.split())[-1500:]
            )
        print("smoke: dev phone text answered with the welcome and the topic menu")
    finally:
        started = descendants(run.pid)
        run.send_signal(signal.SIGINT)
        try:
            out, _ = run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            out, _ = run.communicate()
            print(out[-3000:])
            raise SystemExit("peerwork run did not stop on Ctrl-C") from None
    time.sleep(1)
    # Everything `peerwork run` started shares its process group.
    leftovers = subprocess.run(
        ["pgrep", "-g", str(run.pid)], capture_output=True, text=True
    ).stdout.split()
    leftovers += subprocess.run(
        ["pgrep", "-f", instance], capture_output=True, text=True
    ).stdout.split()
    leftovers += [str(pid) for pid in started if alive(pid)]
    if leftovers:
        subprocess.run(["pkill", "-9", "-g", str(run.pid)])
        raise SystemExit(f"processes outlived `peerwork run`: {leftovers}")
    print("smoke: Ctrl-C stopped web, worker, scheduler and the embedded Redis")
    return 0


if __name__ == "__main__":
    sys.exit(main())
