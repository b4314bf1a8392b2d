"""Ranking, as pure functions: plain data in, ordered data out.

Peers for one request, best first:
1. continuity: the texter's previous peer, when they asked for them;
1b. language: peers who speak the texter's language (a program may also
   require it: `eligibility`, `Program.language_fallback == "wait"`);
2. crisis priority: for a crisis request, peers with no conversation open
   come first (they can answer at once), before topic fit;
3. topic fit: peers who listed the topic before those who take any topic;
4. current load: fewer open conversations first;
5. fairness: fewer matches in the last seven days, then the peer matched
   least recently (never matched first);
6. the profile id, so equal peers keep a stable order.

Requests waiting for a peer: crisis first, then the one waiting longest.

`eligibility.candidate_select` orders its SQL the same way so that a page
of rows already holds the best candidates; this module stays the rule, and
`tests/test_matching_sql_order.py` checks on random peers that the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WEEK = timedelta(days=7)
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """An eligible peer with what ranking needs to know about them."""

    peer_profile_id: int
    active_conversations: int = 0
    capacity: int = 2
    last_matched_at: datetime | None = None
    matches_this_week: int = 0
    topic_fit: bool = True  # lists the topic (False: only takes any topic)
    wants_sms: bool = False  # opted in to SMS alerts on their own phone
    language_fit: bool = True  # speaks the texter's language


@dataclass(frozen=True)
class WaitingRequest:
    """A request in the queue, as the queue order sees it."""

    request_id: int
    is_crisis: bool
    waiting_since: datetime


def rank_key(
    candidate: Candidate, *, preferred_peer_id: int | None = None, is_crisis: bool = False
) -> tuple:
    """The sort key of one candidate (smaller is better)."""
    return (
        0
        if preferred_peer_id is not None and candidate.peer_profile_id == preferred_peer_id
        else 1,
        0 if candidate.language_fit else 1,
        1 if is_crisis and candidate.active_conversations > 0 else 0,
        0 if candidate.topic_fit else 1,
        candidate.active_conversations,
        candidate.matches_this_week,
        candidate.last_matched_at or _NEVER,
        candidate.peer_profile_id,
    )


def rank(
    candidates: Iterable[Candidate],
    *,
    preferred_peer_id: int | None = None,
    is_crisis: bool = False,
) -> list[Candidate]:
    """Candidates ordered best first."""
    return sorted(
        candidates,
        key=lambda c: rank_key(c, preferred_peer_id=preferred_peer_id, is_crisis=is_crisis),
    )


def wave_size(base: int, *, is_crisis: bool) -> int:
    """How many peers one wave asks: a crisis asks twice as many at once."""
    return min(100, base * 2) if is_crisis else base


def queue_order(requests: Iterable[WaitingRequest]) -> list[WaitingRequest]:
    """Waiting requests in the order they are served: crisis first, then oldest."""
    return sorted(requests, key=lambda r: (not r.is_crisis, r.waiting_since, r.request_id))
