"""One clock: nothing in peerwork reads the time of day except `peerwork.clock`.

Tests freeze the process at one moment (conftest's `travel`), and they can only
control what goes through the clock; a direct `datetime.now()` in a view or a
`time.time()` in the throttle made the suite depend on the calendar before.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peerwork import clock
from peerwork.models import Organization

PACKAGE = Path(__file__).resolve().parents[1] / "peerwork"
FORBIDDEN = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
}


def wall_clock_reads(source: str) -> list[tuple[int, str]]:
    """Calls such as datetime.now() or time.time() in `source`, with their line numbers."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, func.attr) in FORBIDDEN:
                found.append((node.lineno, f"{name}.{func.attr}"))
        elif isinstance(func, ast.Name) and func.id in {"utcnow", "time_ns"}:
            found.append((node.lineno, func.id))
    return found


def test_the_checker_finds_every_spelling_of_a_wall_clock_read():
    source = (
        "import datetime, time\n"
        "from datetime import date\n"
        "a = datetime.datetime.now()\n"
        "b = datetime.now(UTC)\n"
        "c = time.time()\n"
        "d = date.today()\n"
        "e = datetime.utcnow()\n"
        "f = time.monotonic()\n"
    )
    assert [line for line, _ in wall_clock_reads(source)] == [3, 4, 5, 6, 7]


def test_only_the_clock_module_reads_the_time_of_day():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "clock.py":
            continue
        for line, call in wall_clock_reads(path.read_text()):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} {call}")
    assert offenders == [], "use peerwork.clock.now() instead:\n" + "\n".join(offenders)


def test_the_app_clock_and_the_now_fixture_are_the_same_frozen_moment(now, travel):
    assert clock.now() == now
    travel.shift(timedelta(minutes=5))
    assert clock.now() == now + timedelta(minutes=5)


def test_a_replaced_source_drives_the_clock_and_is_restored():
    moment = datetime(2031, 2, 3, 4, 5, tzinfo=UTC)
    before = clock.now()
    with clock.using(lambda: moment):
        assert clock.now() == moment
        assert clock.timestamp() == moment.timestamp()
    assert clock.now() == before


def test_a_naive_source_is_refused():
    with clock.using(lambda: datetime(2031, 2, 3)), pytest.raises(ValueError):
        clock.now()


def test_model_defaults_read_the_app_clock(session, travel):
    travel.move_to(datetime(2029, 7, 4, 12, 0, tzinfo=UTC))
    organization = Organization(name="Clockwork", slug="clockwork")
    session.add(organization)
    session.flush()
    assert organization.created_at == datetime(2029, 7, 4, 12, 0, tzinfo=UTC)
