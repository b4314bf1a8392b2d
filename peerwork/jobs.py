"""What every RQ job shares: an app context, a clean session, quiet returns.

Job functions live beside their domain (`peerwork/sms/jobs.py`, ...), take
ids, reload rows and return quietly if the work is done or the row is gone.
Each is wrapped with `@job` so it runs the same under `peerwork worker` and
under a plain `rq worker` (which has no app: one is built on first use).
"""

from __future__ import annotations

import functools
import logging

from flask import current_app, has_app_context

from peerwork.extensions import db

log = logging.getLogger(__name__)

_app = None


def _get_app():
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from peerwork import create_app
        from peerwork.config import serving_instance_path

        _app = create_app(instance_path=serving_instance_path())
    return _app


def job(func):
    """Run `func` inside an app context with its own session, removed after."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        app = _get_app()
        with app.app_context():
            try:
                result = func(*args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    return wrapper


def use_app(app) -> None:
    """Make `app` the one jobs run in (the worker command calls this)."""
    global _app
    _app = app
