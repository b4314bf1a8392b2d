"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from flask import Flask
from flask_babel import get_locale, gettext

from peerwork import clock
from peerwork.phones import pretty


def localtime(value: datetime | None, tz: str = "UTC", fmt: str = "%a %d %b, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return gettext("never")
    seconds = int(((now or clock.now()) - value).total_seconds())
    if seconds < 60:
        return gettext("just now")
    if seconds < 3600:
        return gettext("%(n)d min ago", n=seconds // 60)
    if seconds < 86400:
        return gettext("%(n)d h ago", n=seconds // 3600)
    return gettext("%(n)d d ago", n=seconds // 86400)


def language_name(code: str | None) -> str:
    """A language code's name in the page's own language ("Spanish", or "español")."""
    if not code:
        return ""
    return Locale.parse(code).get_language_name(str(get_locale()))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["pretty_phone"] = pretty
    app.jinja_env.globals["app_env"] = app.config["ENV"]
    app.jinja_env.globals["dev_phone_enabled"] = app.config["DEV_PHONE_ENABLED"]
