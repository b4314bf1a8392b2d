"""Extension objects and lazily built services (no I/O until first use)."""

from __future__ import annotations

import redis
from flask import Flask, current_app, request
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from peerwork.db import Database
from peerwork.embedded_redis import EmbeddedRedis, socket_path_for, url_for_socket
from peerwork.languages import LANGUAGES
from peerwork.privacy.crypto import DataVault
from peerwork.queue import Dispatcher

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# The web pages' languages: the compiled catalogs in peerwork/translations (English is the source).
PAGE_LOCALES = tuple(LANGUAGES)


def select_locale() -> str:
    """The signed-in user's chosen page language, else the browser's best, else English."""
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in PAGE_LOCALES:
        return chosen
    return request.accept_languages.best_match(PAGE_LOCALES) or PAGE_LOCALES[0]


def init_services(app: Flask) -> None:
    app.extensions["peerwork"] = {}


def _services(app: Flask | None = None) -> dict:
    return (app or current_app).extensions["peerwork"]


def redis_url(app: Flask | None = None) -> str:
    """REDIS_URL, or the unix socket of the embedded server in the instance folder."""
    app = app or current_app
    return app.config["REDIS_URL"] or url_for_socket(socket_path_for(app.instance_path))


def get_redis(app: Flask | None = None) -> redis.Redis:
    """The Redis connection; starts the embedded server on first use if needed."""
    app = app or current_app
    services = _services(app)
    if "redis" not in services:
        if not app.config["REDIS_URL"] and not app.config.get("TESTING"):
            server = EmbeddedRedis(app.instance_path)
            server.start()
            services["embedded_redis"] = server
        services["redis"] = redis.Redis.from_url(
            redis_url(app), socket_timeout=5, socket_connect_timeout=1, health_check_interval=30
        )
    return services["redis"]


def get_dispatcher(app: Flask | None = None) -> Dispatcher:
    app = app or current_app
    services = _services(app)
    if "dispatcher" not in services:
        services["dispatcher"] = Dispatcher(get_redis(app), app.config["RQ_QUEUE_PREFIX"])
    return services["dispatcher"]


def get_vault(app: Flask | None = None) -> DataVault:
    app = app or current_app
    services = _services(app)
    if "vault" not in services:
        services["vault"] = DataVault(app.config["DATA_KEY"])
    return services["vault"]


def set_service(name: str, value, app: Flask | None = None) -> None:
    """Replace a service (tests inject fakes at this seam)."""
    _services(app)[name] = value
