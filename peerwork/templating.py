"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from peerwork import clock
from peerwork.phones import pretty


def localtime(value: datetime | None, tz: str = "UTC", fmt: str = "%a %d %b, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = int(((now or clock.now()) - value).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["pretty_phone"] = pretty
    app.jinja_env.globals["app_env"] = app.config["ENV"]
    app.jinja_env.globals["dev_phone_enabled"] = app.config["DEV_PHONE_ENABLED"]
