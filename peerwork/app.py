"""The application factory: config -> extensions -> blueprints -> handlers. No I/O.

The CLI commands are attached by `peerwork.cli` (the `peerwork` command's
group, and `cli.register(app)` in wsgi.py for `flask --app wsgi ...`): the
CLI starts workers, workers run jobs, and a job outside `peerwork worker`
builds an app with this factory, so the factory must not import the CLI.

May import: every package (it is the top, beside jobs.py; only cli.py,
jobs.py and the package root import it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_babel import refresh as refresh_locale
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from peerwork import auth, guards, templating
from peerwork.admin.routes import bp as admin_bp
from peerwork.auth.routes import bp as auth_bp
from peerwork.checkins.routes import bp as care_bp
from peerwork.config import load_config, require_secrets
from peerwork.extensions import babel, csrf, db, init_services, login_manager, select_locale
from peerwork.health import bp as health_bp
from peerwork.logging_filters import install_redaction
from peerwork.main import bp as main_bp
from peerwork.peers.routes import bp as peers_bp
from peerwork.texter.devphone import bp as devphone_bp
from peerwork.texter.routes import bp as sms_bp
from peerwork.training.routes import bp as training_bp


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: config -> extensions -> blueprints -> handlers. No I/O."""
    instance_path = instance_path or os.environ.get("PEERWORK_INSTANCE") or None
    app = Flask("peerwork", instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path, config))
    app.session_interface = WebSessionInterface()
    require_secrets(app.config, app.instance_path)
    if app.config["ENV"] == "production":
        app.debug = False
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    register_logging(app)
    register_url_converters(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    guards.init_app(app)
    register_security_headers(app)
    register_template_helpers(app)
    return app


class WebSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for browsers; none for the Twilio webhooks.

    Twilio sends no cookie and reads none: a webhook gets Flask's read-only
    empty session, which costs no cookie parsing, no signer and no Set-Cookie.
    """

    def open_session(self, app, request):
        if request.path.startswith(guards.WEBHOOK_PREFIX):
            return self.null_session_class()
        return super().open_session(app, request)


def register_logging(app: Flask) -> None:
    install_redaction(app.logger)
    install_redaction(logging.getLogger())


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that only matches ids a database column can hold (else 404, not 500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter


def register_extensions(app: Flask) -> None:
    init_services(app)
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    auth.init_login(login_manager)
    # Compiled catalogs (.mo) are committed next to their .po files, so a plain
    # `pip install -e .` serves Spanish with no build step (tests/test_i18n.py
    # fails when a .mo is older than its .po).
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.jinja_env.globals["page_locale"] = lambda: str(get_locale())
    # The chosen locale is cached on `g`, which outlives one request wherever an app
    # context is held across requests (a CLI command, the tests): choose afresh each time.
    app.before_request(refresh_locale)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(main_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(peers_bp, url_prefix="/peer")
    app.register_blueprint(training_bp, url_prefix="/admin/training")
    app.register_blueprint(care_bp, url_prefix="/care")
    app.register_blueprint(sms_bp, url_prefix="/sms")
    if app.config["DEV_PHONE_ENABLED"]:
        app.register_blueprint(devphone_bp, url_prefix="/dev/phone")


def register_errorhandlers(app: Flask) -> None:
    def render_error(code: int, title: str, text: str):
        return render_template("error.html", code=code, title=title, text=text), code

    @app.errorhandler(400)
    def bad_request(_e):
        return render_error(400, "That request could not be read", "Please go back and try again.")

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return render_error(
            400,
            "This form expired",
            "For your security, forms expire. Go back, reload the page and submit it again.",
        )

    @app.errorhandler(403)
    def forbidden(_e):
        return render_error(403, "Not allowed", "Your account does not have access to this page.")

    @app.errorhandler(404)
    def not_found(_e):
        return render_error(
            404, "Page not found", "There is nothing here. Check the address or go back."
        )

    @app.errorhandler(405)
    def not_allowed(_e):
        return render_error(405, "Not allowed", "That action is not available here.")

    @app.errorhandler(413)
    def too_large(_e):
        return render_error(413, "Too much data", "What you sent was too large. Please shorten it.")

    @app.errorhandler(429)
    def too_many(_e):
        return render_error(429, "Too many attempts", "Please wait a few minutes and try again.")

    @app.errorhandler(500)
    def server_error(_e):
        return render_error(
            500, "Something went wrong", "We have been told. Please try again shortly."
        )


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config["ENV"] == "production":
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint and not request.endpoint.endswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_template_helpers(app: Flask) -> None:
    templating.init_app(app)
