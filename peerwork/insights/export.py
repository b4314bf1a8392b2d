"""The dashboard as tables: the one list of numbers the page, its tables and the CSV all show.

The page draws charts beside these tables and the CSV writes them row by row,
so what can be downloaded is exactly what can be read, suppressed the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from peerwork.insights.cells import Breakdown, Figure
from peerwork.insights.dashboard import (
    BLOCKS,
    DAY_LABELS,
    SCORE_LABELS,
    SLOTS,
    Dashboard,
    Figures,
    Share,
    Timing,
    slot_label,
)


@dataclass
class Table:
    """One table: `key` names it in the CSV and anchors it on the page."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]


def _fig(figure: Figure) -> str:
    return figure.shown


def _timing(timing: Timing, which: str) -> str:
    value = getattr(timing, which)
    return "not enough data" if value is None else f"{value:g} min"


def _share(share: Share) -> str:
    if share.percent is None:
        return share.shown
    return share.shown + (" (weeks with few requests left out)" if share.partial else "")


# The key figures: a label, and how one period's figure is shown.
_HEADLINE: list[tuple[str, Callable[[Figures], str]]] = [
    ("Requests to talk", lambda f: _fig(f.requests)),
    ("Conversations", lambda f: _fig(f.conversations)),
    ("Matched with a peer", lambda f: _share(f.share_matched)),
    ("Time to match, median", lambda f: _timing(f.to_match, "median")),
    ("Time to match, 90th percentile", lambda f: _timing(f.to_match, "p90")),
    ("First reply from a person, median", lambda f: _timing(f.to_reply, "median")),
    ("First reply from a person, 90th percentile", lambda f: _timing(f.to_reply, "p90")),
    ("Waited past the long-wait alert", lambda f: _share(f.share_long_wait)),
    ("Arrived while closed", lambda f: _share(f.share_after_hours)),
    ("Asked to reconnect with their peer", lambda f: _fig(f.reconnect.by_key()["yes"])),
    ("Crisis alerts", lambda f: _fig(f.crisis_alerts)),
    ("Crisis alert acknowledged, median", lambda f: _timing(f.to_ack, "median")),
    ("Crisis alert acknowledged, 90th percentile", lambda f: _timing(f.to_ack, "p90")),
    ("Escalated to a backup contact", lambda f: _fig(f.escalations)),
    ("Peers who held a conversation", lambda f: _fig(f.active_peers)),
]


def headline(now: Figures, before: Figures) -> list[tuple[str, str, str]]:
    """(label, this period, previous period) for the key figures."""
    return [(label, shown(now), shown(before)) for label, shown in _HEADLINE]


def _beside(now: Breakdown, before: Breakdown) -> list[list[str]]:
    """A breakdown's rows: each category, this period's figure, the previous period's."""
    figures_now, figures_before = now.by_key(), before.by_key()
    return [
        [now.labels[key], _fig(figures_now[key]), _fig(figures_before[key])] for key in now.keys
    ]


def tables(dashboard: Dashboard) -> list[Table]:
    """Every number of the dashboard, as it is shown."""
    now, before = dashboard.current, dashboard.previous
    weeks = dashboard.period.week_starts()
    result = [
        Table(
            "summary",
            "Summary",
            ["Figure", "This period", "Previous period"],
            [list(row) for row in headline(now, before)],
        ),
    ]
    result.append(
        Table(
            "topics",
            "Requests by topic",
            ["Topic", "This period", "Previous period"],
            _beside(now.by_topic, before.by_topic),
        )
    )
    labels = [now.by_topic.labels[key] for key in now.by_topic.keys]
    result.append(
        Table(
            "weekly",
            "Requests per week by topic",
            ["Week of", *labels, "All requests"],
            [
                [
                    f"{week:%Y-%m-%d}",
                    *(_fig(line[key]) for key in now.by_topic.keys),
                    _fig(week_total),
                ]
                for week, line, week_total in zip(
                    weeks, now.by_topic.weeks, now.by_topic.week_totals, strict=True
                )
            ],
        )
    )
    slots = now.by_slot.by_key()
    result.append(
        Table(
            "hours",
            "Requests by hour of the week",
            ["Hours", *DAY_LABELS],
            [
                [f"{block:02d}:00", *(_fig(slots[(day, block)]) for day in range(7))]
                for block in BLOCKS
            ],
        )
    )
    cover = dashboard.coverage
    result.append(
        Table(
            "coverage",
            "Volunteers on, against requests",
            [
                "Hours",
                "Requests this period",
                "Certified volunteers available",
                "Needs more volunteers",
            ],
            [
                [
                    slot_label(slot),
                    _fig(cover.demand[slot]),
                    _fig(cover.peers[slot]),
                    "yes" if slot in cover.thin else "",
                ]
                for slot in SLOTS
            ],
        )
    )
    result.append(
        Table(
            "topic_coverage",
            "Volunteers by topic",
            ["Topic", "Requests this period", "Certified volunteers offering it"],
            [[name, _fig(asked), _fig(offering)] for name, asked, offering in cover.by_topic],
        )
    )
    result.append(
        Table(
            "outcomes",
            "Wrap-up outcomes",
            ["Outcome", "This period", "Previous period"],
            _beside(now.outcomes, before.outcomes),
        )
    )
    result.append(
        Table(
            "checkins",
            "Check-in answers",
            ["Answer", "This period", "Previous period"],
            _beside(now.scores, before.scores),
        )
    )
    result.append(
        Table(
            "checkin_trend",
            "Check-in answers per week",
            ["Week of", *SCORE_LABELS.values(), "Average"],
            [
                [
                    f"{week:%Y-%m-%d}",
                    *(_fig(line[key]) for key in now.scores.keys),
                    "" if (avg := weekly_average(line)) is None else f"{avg:.1f}",
                ]
                for week, line in zip(weeks, now.scores.weeks, strict=True)
            ],
        )
    )
    result.append(
        Table(
            "safety",
            "Crisis alerts per week",
            ["Week of", "Crisis alerts", "Escalated to a backup"],
            [
                [f"{week:%Y-%m-%d}", _fig(c), _fig(b)]
                for week, c, b in zip(weeks, now.crisis, now.backup, strict=True)
            ],
        )
    )
    result.append(
        Table(
            "funnel",
            "Volunteers",
            ["Stage", "Volunteers"],
            [[label, _fig(f)] for label, f in dashboard.funnel],
        )
    )
    result.append(
        Table(
            "per_peer",
            "Conversations per peer this period",
            ["Conversations", "Peers"],
            [[label, _fig(f)] for label, f in now.per_peer.items()],
        )
    )
    return result


def weekly_average(line: dict[int, Figure]) -> float | None:
    """A week's average answer, only when none of its cells is hidden."""
    if any(f.partial for f in line.values()):
        return None
    n = sum(f.value for f in line.values())
    return sum(score * f.value for score, f in line.items()) / n if n else None


def to_csv(dashboard: Dashboard, program_name: str) -> str:
    """The tables as one CSV: a header naming the period, then each table under its key."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["program", program_name])
    writer.writerow(["period", dashboard.period.label()])
    writer.writerow(
        [
            "minimum cell",
            dashboard.k,
            "hidden: fewer than the minimum, or hidden so a small count cannot be worked out",
        ]
    )
    for table in tables(dashboard):
        writer.writerow([])
        writer.writerow([table.key, table.title])
        writer.writerow(table.columns)
        writer.writerows(table.rows)
    return out.getvalue()
