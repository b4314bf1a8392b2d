"""Weekly hours: one parser for a program's hours (admin) and a peer's availability.

Midnight is decided once: a closing time of 00:00 (what a time input can say)
or 24:00 is stored as "24:00"; 24:00 is never an opening time.
"""

from __future__ import annotations

import pytest

from peerwork import hours
from peerwork.peers import profile as profiles


@pytest.mark.parametrize("end", ["00:00", "24:00"])
def test_a_day_may_close_at_midnight_either_way(end):
    assert hours.parse_week({"fri": (True, "18:00", end)}) == {"fri": [["18:00", "24:00"]]}


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("24:00", "24:00", "format"),
        ("9:00", "17:00", "format"),
        ("09:00", "24:30", "format"),
        ("09:00", "", "format"),
        ("17:00", "09:00", "order"),
        ("09:00", "09:00", "order"),
    ],
)
def test_bad_days_are_named_with_their_problem(start, end, problem):
    with pytest.raises(hours.HoursError) as caught:
        hours.parse_week({"mon": (True, "09:00", "17:00"), "tue": (True, start, end)})
    assert (caught.value.day, caught.value.problem) == ("tue", problem)


def test_closed_days_and_blanks_around_times_are_ignored():
    week = hours.parse_week({"mon": (False, "x", "y"), "wed": (True, " 09:00 ", "17:30 ")})
    assert week == {"wed": [["09:00", "17:30"]]}


def test_the_form_shows_midnight_as_a_time_input_can():
    assert hours.form_end("24:00") == "00:00" and hours.form_end("17:00") == "17:00"


def test_day_names_are_shared():
    assert hours.DAY_NAMES["sun"] == "Sunday"
    assert (
        hours.describe(type("P", (), {"hours": {"sun": [["09:00", "17:00"]]}})()) == "Sun 9am-5pm"
    )


def test_a_peer_and_an_admin_parse_alike():
    rows = [profiles.DayHours("fri", True, "18:00", "24:00")]
    assert profiles.parse_availability(rows) == hours.parse_week({"fri": (True, "18:00", "24:00")})


def test_hours_and_openings_are_worded_in_the_texters_language():
    from datetime import UTC, datetime

    program = type(
        "P",
        (),
        {
            "hours": {
                "mon": [["09:00", "17:00"]],
                "tue": [["09:00", "17:00"]],
                "sat": [["10:30", "24:00"]],
            },
            "timezone": "UTC",
            "closed_dates": ["2026-12-01", "2026-12-05", "2026-12-07", "2026-12-08"],
        },
    )()
    assert hours.describe(program) == "Mon-Tue 9am-5pm; Sat 10:30am-midnight"
    assert hours.describe(program, "es") == "lun-mar 9:00-17:00; sab 10:30-24:00"
    monday_evening = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    # Tue 1 Dec, Sat 5, Mon 7 and Tue 8 are closed: the next opening is Sat 12 Dec.
    assert hours.describe_opening(program, monday_evening) == "Sat Dec 12 at 10:30am"
    assert hours.describe_opening(program, monday_evening, "es") == "el sab 12 dic a las 10:30"
    # Every word stays in the GSM-7 alphabet (no á in "sab").
    assert all(ch.isascii() or ch in "ñ" for ch in hours.describe(program, "es"))
