"""The timezones an admin picks from: canonical IANA zones, grouped by region,
the common ones first, with labels a person recognises ("Eastern Time (New
York)", "Kolkata, India").

The list is the tz database's own `zone.tab` (one canonical zone per place,
shipped by the `tzdata` package we depend on), so retired aliases such as
US/Eastern or Asia/Calcutta never appear. A program that already uses an
alias keeps it (see `choices_for`).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

COMMON: tuple[tuple[str, str], ...] = (
    ("America/New_York", "Eastern Time (New York)"),
    ("America/Chicago", "Central Time (Chicago)"),
    ("America/Denver", "Mountain Time (Denver)"),
    ("America/Phoenix", "Arizona, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific Time (Los Angeles)"),
    ("America/Anchorage", "Alaska Time (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii Time (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic Time (Puerto Rico)"),
    ("America/Toronto", "Eastern Time, Canada (Toronto)"),
    ("America/Vancouver", "Pacific Time, Canada (Vancouver)"),
    ("America/Mexico_City", "Mexico City"),
    ("Europe/London", "United Kingdom (London)"),
    ("Europe/Berlin", "Central Europe (Berlin)"),
    ("Asia/Kolkata", "India (Kolkata)"),
    ("Asia/Manila", "Philippines (Manila)"),
    ("Australia/Sydney", "Australia Eastern (Sydney)"),
    ("UTC", "UTC (Coordinated Universal Time)"),
)

REGIONS: tuple[tuple[str, str], ...] = (
    ("America", "The Americas"),
    ("Europe", "Europe"),
    ("Asia", "Asia"),
    ("Africa", "Africa"),
    ("Australia", "Australia"),
    ("Pacific", "Pacific"),
    ("Atlantic", "Atlantic"),
    ("Indian", "Indian Ocean"),
    ("Antarctica", "Antarctica"),
    ("Arctic", "Arctic"),
)
COMMON_GROUP = "Most used"


def _table(name: str) -> list[list[str]]:
    text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def grouped() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """((group label, ((zone, label), ...)), ...): the common zones, then each region."""
    countries = {row[0]: row[1] for row in _table("iso3166.tab")}
    common = {zone for zone, _ in COMMON}
    by_region: dict[str, list[tuple[str, str]]] = {region: [] for region, _ in REGIONS}
    for row in _table("zone.tab"):
        code, zone = row[0], row[2]
        comment = row[3] if len(row) > 3 else ""
        region = zone.split("/", 1)[0]
        if zone in common or region not in by_region:
            continue
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        label = f"{city}, {countries.get(code, code)}" + (f" ({comment})" if comment else "")
        by_region[region].append((zone, label))
    groups = [(COMMON_GROUP, COMMON)]
    for region, title in REGIONS:
        groups.append((title, tuple(sorted(by_region[region], key=lambda pair: pair[1]))))
    return tuple(groups)


def zones() -> list[str]:
    """Every zone offered, in the order shown."""
    return [zone for _, options in grouped() for zone, _ in options]


def choices_for(current: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """Select choices with option groups; a program's current zone is kept even when it
    is an old alias, so saving other settings never changes it behind the admin's back."""
    result = {title: list(options) for title, options in grouped()}
    if current and current not in zones():
        result = {"Current": [(current, f"{current} (current)")], **result}
    return result


def label(zone: str) -> str:
    """A person's name for `zone` (the zone itself when it is not in the list)."""
    for _, options in grouped():
        for value, text in options:
            if value == zone:
                return text
    return zone
