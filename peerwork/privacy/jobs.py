"""Privacy upkeep jobs: the retention purge, run a few times a day by the scheduler."""

from __future__ import annotations

import logging

from peerwork import clock
from peerwork.extensions import db
from peerwork.jobs import job
from peerwork.privacy import retention
from peerwork.queue import MAINTENANCE

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 6 * 3600


@job
def purge_old_bodies() -> int:
    """Erase message bodies past each program's retention period (idempotent)."""
    erased = retention.purge(db.session, now=clock.now(), commit_each_batch=True)
    total = sum(erased.values())
    if total:
        log.info("retention purge erased %d message bodies in %d programs", total, len(erased))
    return total


PERIODIC = [(purge_old_bodies, PURGE_EVERY_SECONDS, MAINTENANCE)]
