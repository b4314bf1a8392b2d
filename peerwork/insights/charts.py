"""Charts as inline SVG, drawn on the server: no script, no asset from anywhere else.

Each chart is small (a 360-unit wide view box, so it reads at phone width as
drawn) and carries a title for screen readers; the page puts the same numbers
in a table next to it. Hidden cells are drawn as a hatched "hidden" mark,
never as a bar of some size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from peerwork.insights.cells import Breakdown, Figure
from peerwork.insights.dashboard import BLOCKS, DAY_LABELS, SCORE_LABELS
from peerwork.insights.export import weekly_average

WIDTH = 360
INK = "#1f2933"
MUTED = "#52606d"
PALETTE = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a21caf")
HATCH = (
    '<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e4e7eb"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#9aa5b1" stroke-width="3"/></pattern></defs>'
)


def _svg(chart_id: str, height: int, title: str, body: str) -> Markup:
    # Every text placed in a chart goes through escape() in _text or here.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        + HATCH.format(id=f"{chart_id}-h")
        + body
        + "</svg>"
    )


def _text(
    x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", fill: str = INK
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}">{escape(text)}</text>'
    )


def bars(chart_id: str, title: str, rows: Sequence[tuple[str, Figure]]) -> Markup:
    """Horizontal bars, label above each bar, value at its end."""
    top = max((f.value for _, f in rows), default=0) or 1
    row_height = 34
    parts = []
    for i, (label, figure) in enumerate(rows):
        y = i * row_height
        parts.append(_text(0, y + 12, label))
        if figure.hidden:
            parts.append(
                f'<rect x="0" y="{y + 16}" width="40" height="12" fill="url(#{chart_id}-h)"/>'
            )
            parts.append(_text(46, y + 27, "hidden", size=11, fill=MUTED))
            continue
        width = max(1.0, (WIDTH - 90) * figure.value / top) if figure.value else 0
        parts.append(
            f'<rect x="0" y="{y + 16}" width="{width:.1f}" height="12" fill="{PALETTE[0]}"/>'
        )
        parts.append(_text(width + 6, y + 27, figure.shown, size=11))
    return _svg(chart_id, max(row_height * len(rows), 20), title, "".join(parts))


def weekly(chart_id: str, title: str, part: Breakdown, weeks: Sequence[date]) -> Markup:
    """Stacked columns, one per week: the visible cells by category, then the hidden rest."""
    plot, left = 160, 30
    top = max((t.value for t in part.week_totals), default=0) or 1
    slot = (WIDTH - left) / max(1, len(weeks))
    width = max(2.0, slot * 0.7)
    parts = [
        _text(0, 12, f"{top:,}", size=10, fill=MUTED),
        _text(0, plot + 10, "0", size=10, fill=MUTED),
    ]
    parts.append(
        f'<line x1="{left}" y1="{plot + 10}" x2="{WIDTH}" y2="{plot + 10}" stroke="{MUTED}"/>'
    )
    step = max(1, len(weeks) // 6)
    for i, (week, week_total) in enumerate(zip(part.weeks, part.week_totals, strict=True)):
        x = left + i * slot
        y = plot + 10
        shown = 0
        for colour, key in enumerate(part.keys):
            figure = week[key]
            if figure.value:
                h = plot * figure.value / top
                y -= h
                shown += figure.value
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[colour % len(PALETTE)]}"/>'
                )
        rest = week_total.value - shown if not week_total.partial else 0
        if rest > 0 or week_total.partial:
            h = plot * rest / top if rest > 0 else 4
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="url(#{chart_id}-h)"/>'
            )
        if i % step == 0:
            parts.append(_text(x, plot + 26, f"{weeks[i]:%-d %b}", size=10, fill=MUTED))
    legend_y = plot + 44
    x = 0.0
    for colour, key in enumerate(part.keys):
        label = part.labels[key]
        if x + 14 + 6.5 * len(label) > WIDTH:
            legend_y += 16
            x = 0.0
        parts.append(
            f'<rect x="{x:.1f}" y="{legend_y - 9}" width="10" height="10" fill="{PALETTE[colour % len(PALETTE)]}"/>'
        )
        parts.append(_text(x + 14, legend_y, label, size=10))
        x += 24 + 6.5 * len(label)
    return _svg(chart_id, int(legend_y + 8), title, "".join(parts))


def heatmap(
    chart_id: str,
    title: str,
    values: dict[tuple[int, int], Figure],
    days: Sequence[str],
    blocks: Sequence[int],
    *,
    marks: set[tuple[int, int]] = frozenset(),
) -> Markup:
    """Days across, blocks of hours down; darker is more. Hidden cells hatched, marked cells ringed."""
    left, top_pad = 44, 18
    cell_w = (WIDTH - left) / len(days)
    cell_h = 26
    top = max((f.value for f in values.values()), default=0) or 1
    parts = [
        _text(left + cell_w * (d + 0.5), 12, name, size=11, anchor="middle")
        for d, name in enumerate(days)
    ]
    for row, block in enumerate(blocks):
        y = top_pad + row * cell_h
        parts.append(_text(0, y + 17, f"{block:02d}:00", size=11))
        for day in range(len(days)):
            figure = values[(day, block)]
            x = left + day * cell_w
            if figure.hidden:
                fill = f"url(#{chart_id}-h)"
            else:
                # From near-white to the theme blue; text flips to white on dark cells.
                strength = figure.value / top
                fill = f"rgb({int(239 - 210 * strength)},{int(246 - 168 * strength)},{int(255 - 39 * strength)})"
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y + 1}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" fill="{fill}"/>'
            )
            if (day, block) in marks:
                parts.append(
                    f'<rect x="{x + 2:.1f}" y="{y + 2}" width="{cell_w - 4:.1f}" height="{cell_h - 4}" '
                    f'fill="none" stroke="#b91c1c" stroke-width="2.5"/>'
                )
            if not figure.hidden:
                dark = figure.value / top > 0.55
                parts.append(
                    _text(
                        x + cell_w / 2,
                        y + 17,
                        f"{figure.value:,}" + ("+" if figure.partial else ""),
                        size=10,
                        anchor="middle",
                        fill="#ffffff" if dark else INK,
                    )
                )
    return _svg(chart_id, top_pad + cell_h * len(blocks) + 4, title, "".join(parts))


def trend(
    chart_id: str,
    title: str,
    points: Sequence[tuple[date, float | None]],
    *,
    low: float,
    high: float,
    unit: str = "",
) -> Markup:
    """A line over the weeks; weeks without enough answers leave a gap."""
    height, plot, left = 190, 140, 30
    slot = (WIDTH - left) / max(1, len(points))
    parts = [
        _text(0, 14, f"{high:g}{unit}", size=10, fill=MUTED),
        _text(0, plot + 14, f"{low:g}{unit}", size=10, fill=MUTED),
        f'<line x1="{left}" y1="{plot + 10}" x2="{WIDTH}" y2="{plot + 10}" stroke="{MUTED}"/>',
    ]
    path: list[str] = []
    step = max(1, len(points) // 6)
    for i, (week, value) in enumerate(points):
        x = left + slot * (i + 0.5)
        if value is None:
            path.append("")
        else:
            y = 10 + plot * (1 - (value - low) / ((high - low) or 1))
            path.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[2]}"/>')
        if i % step == 0:
            parts.append(
                _text(x, plot + 30, f"{week:%-d %b}", size=10, anchor="middle", fill=MUTED)
            )
    for run in " ".join(p or "|" for p in path).split("|"):
        if run.strip().count(",") > 1:
            parts.append(
                f'<polyline points="{run.strip()}" fill="none" stroke="{PALETTE[2]}" stroke-width="2"/>'
            )
    return _svg(chart_id, height, title, "".join(parts))


def dashboard_charts(dashboard) -> dict[str, Markup]:
    """Every chart of the dashboard, by the key of the table that holds its numbers."""
    from_here = dashboard.current
    weeks = dashboard.period.week_starts()
    topics = from_here.by_topic.by_key()
    outcomes = from_here.outcomes.by_key()
    scores = from_here.scores.by_key()
    cover = dashboard.coverage
    return {
        "topics": bars(
            "c-topics",
            "Requests by topic this period",
            [(from_here.by_topic.labels[k], topics[k]) for k in from_here.by_topic.keys],
        ),
        "weekly": weekly("c-weekly", "Requests per week, by topic", from_here.by_topic, weeks),
        "hours": heatmap(
            "c-hours",
            "Requests by day and time of day",
            from_here.by_slot.by_key(),
            DAY_LABELS,
            BLOCKS,
        ),
        "coverage": heatmap(
            "c-coverage",
            "Certified volunteers available by day and time; ringed: more requests than volunteers can take",
            cover.peers,
            DAY_LABELS,
            BLOCKS,
            marks=set(cover.thin),
        ),
        "outcomes": bars(
            "c-outcomes",
            "Wrap-up outcomes this period",
            [(from_here.outcomes.labels[k], outcomes[k]) for k in from_here.outcomes.keys],
        ),
        "checkins": bars(
            "c-checkins",
            "Check-in answers this period",
            [(SCORE_LABELS[k], scores[k]) for k in SCORE_LABELS],
        ),
        "checkin_trend": trend(
            "c-trend",
            "Average check-in answer per week (1 rough to 5 good)",
            [
                (week, weekly_average(line))
                for week, line in zip(weeks, from_here.scores.weeks, strict=True)
            ],
            low=1,
            high=5,
        ),
        "funnel": bars("c-funnel", "Volunteers from invitation to conversation", dashboard.funnel),
        "per_peer": bars(
            "c-per-peer",
            "Peers by number of conversations this period",
            list(from_here.per_peer.items()),
        ),
    }
