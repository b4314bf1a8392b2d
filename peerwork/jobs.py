"""Job entry points, and what every RQ job shares: an app context, a clean session.

A job takes ids, reloads rows and returns quietly if the work is done or the
row is gone. Each is wrapped with `@job` so it runs the same under `peerwork
worker` and under a plain `rq worker` (which has no app: one is built on
first use).

The SMS jobs are here, above the channel and the texter, because a send
reports what happened (e.g. "the texter opted out at the carrier") and the
job acts on it; the channel never calls up into the dialog.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context

from peerwork import clock
from peerwork.app import create_app
from peerwork.config import serving_instance_path
from peerwork.extensions import db, get_dispatcher, get_redis, get_vault
from peerwork.models import Message
from peerwork.queue import MAINTENANCE, MESSAGES, URGENT
from peerwork.sms import sender
from peerwork.sms.outbox import SEND_RETRY, sweep_outbox
from peerwork.sms.throttle import Throttle
from peerwork.sms.transport import get_transport
from peerwork.texter.inbound import process_pending, sweep_inbound
from peerwork.texter.optout import opt_out

log = logging.getLogger(__name__)

_app = None


def _get_app():
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
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


# -- SMS: sending and receiving ------------------------------------------------------


@job
def send_message(message_id: int, slot: int | None = None) -> str:
    """Send one queued outbound message (idempotent; see peerwork.sms.sender).

    `slot` is the throttle second this job was scheduled for.
    """
    app = current_app
    dispatcher = get_dispatcher()
    now = clock.now()
    result = sender.send_message(
        db.session,
        message_id=message_id,
        now=now,
        transport=get_transport(),
        vault=get_vault(),
        dispatcher=dispatcher,
        status_callback=sender.status_callback_url(app.config),
        throttle=Throttle(get_redis(), app.config["RQ_QUEUE_PREFIX"]),
        slot=slot,
    )
    if result.opted_out_texter_id is not None:
        # The carrier refused: the texter opted out there, so they are opted out here.
        opt_out(
            db.session,
            texter_id=result.opted_out_texter_id,
            now=now,
            dispatcher=dispatcher,
        )
        db.session.commit()
    if result.outcome == "throttled":
        # Run once, in the second reserved for it: no re-runs ahead of other work.
        message = db.session.get(Message, message_id)
        dispatcher.enqueue(
            "jobs.send_message",
            message_id,
            result.slot,
            queue=URGENT if message.is_crisis else MESSAGES,
            at=datetime.fromtimestamp(result.slot, UTC),
            job_id=f"send-message-{message_id}-slot-{result.slot}",
            retry=SEND_RETRY,
        )
    return result.outcome


@job
def process_inbound(message_id: int) -> int:
    """Run the texter dialog for one stored inbound message (safe to run twice)."""
    return process_pending(
        db.session, message_id=message_id, now=clock.now(), dispatcher=get_dispatcher()
    )


def _sweep_after() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_SWEEP_AFTER_SECONDS"])


@job
def outbox_sweep() -> int:
    """Periodic: resend outbound messages left queued or half-sent."""
    return sweep_outbox(
        db.session, now=clock.now(), after=_sweep_after(), dispatcher=get_dispatcher()
    )


@job
def inbound_sweep() -> int:
    """Periodic: process inbound messages whose job was lost."""
    # Inbound jobs are quick: a much shorter wait than the outbox's is enough.
    after = min(_sweep_after(), timedelta(seconds=20))
    return sweep_inbound(db.session, now=clock.now(), after=after, dispatcher=get_dispatcher())


PERIODIC = [
    (outbox_sweep, 30, MAINTENANCE),
    (inbound_sweep, 15, MAINTENANCE),
]
