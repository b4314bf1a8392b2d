"""The dashboard as tables: the one list of numbers the page, its tables and the CSV all show.

The page draws charts beside these tables and the CSV writes them row by row,
so what can be downloaded is exactly what can be read, suppressed the same way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from peerwork.insights.cells import Figure
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


def headline(now: Figures, before: Figures) -> list[tuple[str, str, str]]:
    """(label, this period, previous period) for the key figures."""
    return [
        ("Requests to talk", _fig(now.requests), _fig(before.requests)),
        ("Conversations", _fig(now.conversations), _fig(before.conversations)),
        ("Matched with a peer", _share(now.share_matched), _share(before.share_matched)),
        (
            "Time to match, median",
            _timing(now.to_match, "median"),
            _timing(before.to_match, "median"),
        ),
        (
            "Time to match, 90th percentile",
            _timing(now.to_match, "p90"),
            _timing(before.to_match, "p90"),
        ),
        (
            "First reply from a person, median",
            _timing(now.to_reply, "median"),
            _timing(before.to_reply, "median"),
        ),
        (
            "First reply from a person, 90th percentile",
            _timing(now.to_reply, "p90"),
            _timing(before.to_reply, "p90"),
        ),
        (
            "Waited past the long-wait alert",
            _share(now.share_long_wait),
            _share(before.share_long_wait),
        ),
        ("Arrived while closed", _share(now.share_after_hours), _share(before.share_after_hours)),
        (
            "Asked to reconnect with their peer",
            _fig(now.reconnect.by_key()["yes"]),
            _fig(before.reconnect.by_key()["yes"]),
        ),
        ("Crisis alerts", _fig(now.crisis_alerts), _fig(before.crisis_alerts)),
        (
            "Crisis alert acknowledged, median",
            _timing(now.to_ack, "median"),
            _timing(before.to_ack, "median"),
        ),
        (
            "Crisis alert acknowledged, 90th percentile",
            _timing(now.to_ack, "p90"),
            _timing(before.to_ack, "p90"),
        ),
        ("Escalated to a backup contact", _fig(now.escalations), _fig(before.escalations)),
        ("Peers who held a conversation", _fig(now.active_peers), _fig(before.active_peers)),
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
    topics_now, topics_before = now.by_topic.by_key(), before.by_topic.by_key()
    result.append(
        Table(
            "topics",
            "Requests by topic",
            ["Topic", "This period", "Previous period"],
            [
                [now.by_topic.labels[key], _fig(topics_now[key]), _fig(topics_before[key])]
                for key in now.by_topic.keys
            ],
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
    outcomes_now, outcomes_before = now.outcomes.by_key(), before.outcomes.by_key()
    result.append(
        Table(
            "outcomes",
            "Wrap-up outcomes",
            ["Outcome", "This period", "Previous period"],
            [
                [now.outcomes.labels[key], _fig(outcomes_now[key]), _fig(outcomes_before[key])]
                for key in now.outcomes.keys
            ],
        )
    )
    scores_now, scores_before = now.scores.by_key(), before.scores.by_key()
    result.append(
        Table(
            "checkins",
            "Check-in answers",
            ["Answer", "This period", "Previous period"],
            [
                [SCORE_LABELS[key], _fig(scores_now[key]), _fig(scores_before[key])]
                for key in now.scores.keys
            ],
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
