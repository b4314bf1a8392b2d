"""Ranking is a pure function: each factor, alone, decides who is asked first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from peerwork.matching.ranking import Candidate, WaitingRequest, queue_order, rank, wave_size

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def ids(candidates):
    return [c.peer_profile_id for c in candidates]


def test_topic_fit_puts_peers_who_listed_the_topic_before_any_topic_peers():
    anything = Candidate(1, topic_fit=False)
    listed = Candidate(2, topic_fit=True)
    assert ids(rank([anything, listed])) == [2, 1]


def test_lighter_load_goes_first():
    busy = Candidate(1, active_conversations=1)
    free = Candidate(2, active_conversations=0)
    assert ids(rank([busy, free])) == [2, 1]


def test_fairness_fewer_matches_this_week_goes_first():
    often = Candidate(1, matches_this_week=4)
    seldom = Candidate(2, matches_this_week=1)
    assert ids(rank([often, seldom])) == [2, 1]


def test_fairness_least_recently_matched_goes_first_and_never_matched_before_all():
    recent = Candidate(1, last_matched_at=T0 - timedelta(minutes=5))
    long_ago = Candidate(2, last_matched_at=T0 - timedelta(days=2))
    never = Candidate(3, last_matched_at=None)
    assert ids(rank([recent, long_ago, never])) == [3, 2, 1]


def test_continuity_offers_the_texters_previous_peer_first_when_asked_for():
    previous = Candidate(9, topic_fit=False, active_conversations=1, matches_this_week=5)
    other = Candidate(2)
    assert ids(rank([other, previous], preferred_peer_id=9)) == [9, 2]
    assert ids(rank([other, previous])) == [2, 9]


def test_crisis_puts_peers_who_can_answer_at_once_before_topic_fit():
    listed_but_busy = Candidate(1, topic_fit=True, active_conversations=1)
    free_any_topic = Candidate(2, topic_fit=False, active_conversations=0)
    assert ids(rank([listed_but_busy, free_any_topic])) == [1, 2]
    assert ids(rank([listed_but_busy, free_any_topic], is_crisis=True)) == [2, 1]


def test_crisis_widens_the_wave():
    assert wave_size(3, is_crisis=False) == 3
    assert wave_size(3, is_crisis=True) == 6
    assert wave_size(80, is_crisis=True) == 100


def test_queue_serves_crisis_first_then_the_longest_waiting():
    old = WaitingRequest(1, False, T0 - timedelta(minutes=30))
    new = WaitingRequest(2, False, T0 - timedelta(minutes=1))
    crisis = WaitingRequest(3, True, T0)
    assert [r.request_id for r in queue_order([new, crisis, old])] == [3, 1, 2]


def test_equal_peers_keep_a_stable_order():
    assert ids(rank([Candidate(5), Candidate(3), Candidate(4)])) == [3, 4, 5]


def test_a_peer_who_speaks_the_texters_language_comes_first_after_continuity():
    english_idle = Candidate(1, language_fit=False)
    spanish_busy = Candidate(2, active_conversations=1, language_fit=True)
    assert [c.peer_profile_id for c in rank([english_idle, spanish_busy])] == [2, 1]
    # The peer they asked for again still comes first.
    assert rank([english_idle, spanish_busy], preferred_peer_id=1)[0] == english_idle
    # A crisis: a peer who can read the texter before a free one who cannot.
    assert rank([english_idle, spanish_busy], is_crisis=True)[0] == spanish_busy
