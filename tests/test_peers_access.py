"""Access control: a peer reaches only their own offers, conversations and
training; every peer URL tried with someone else's ids answers 404."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from peerwork.extensions import get_dispatcher
from peerwork.matching import offers
from peerwork.models import Alert, Offer, TrainingModule
from peerwork.training.curriculum import install_default_curriculum


@pytest.fixture(autouse=True)
def frozen(now):
    with time_machine.travel(now, tick=False):
        yield


@pytest.fixture
def world(session, make, now):
    """Two peers in one program (and a third in another organization), each with an
    offer and a conversation of their own."""
    program = make.program()
    elsewhere = make.program()
    for p in (program, elsewhere):
        install_default_curriculum(session, program_id=p.id, now=now)
    me = make.peer(program, alias="River", capacity=3)
    neighbour = make.peer(program, alias="Sky", capacity=3)
    stranger = make.peer(elsewhere, alias="Cloud", capacity=3)
    owned = {}
    for peer, prog in ((neighbour, program), (stranger, elsewhere)):
        texter = make.texter(prog)
        offers.open_request(
            session,
            program_id=prog.id,
            texter_id=texter.id,
            topic_id=prog.topics[0].id,
            now=now,
            dispatcher=get_dispatcher(),
        )
        offer = session.scalar(
            select(Offer).where(Offer.peer_profile_id == peer.id, Offer.state == "open")
        )
        conversation = offers.accept_offer(
            session,
            offer_id=offer.id,
            peer_profile_id=peer.id,
            now=now,
            dispatcher=get_dispatcher(),
        )
        # A second, still-open offer for the same peer.
        offers.open_request(
            session,
            program_id=prog.id,
            texter_id=make.texter(prog).id,
            topic_id=prog.topics[0].id,
            now=now,
            dispatcher=get_dispatcher(),
        )
        open_offer = session.scalar(
            select(Offer).where(Offer.peer_profile_id == peer.id, Offer.state == "open")
        )
        owned[peer.alias] = {
            "offer_id": open_offer.id,
            "conversation_id": conversation.id,
            "module_id": session.scalar(
                select(TrainingModule.id).where(TrainingModule.program_id == prog.id)
            ),
        }
    alert = Alert(program_id=elsewhere.id, kind="crisis", state="open", created_at=now)
    session.add(alert)
    session.flush()
    owned["Cloud"]["alert_id"] = alert.id
    owned["Sky"]["alert_id"] = alert.id
    return {"me": me, "owned": owned, "program": program}


def peer_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("peers.") and r.arguments),
        key=lambda r: r.rule,
    )


def test_the_matrix_knows_every_id_a_peer_url_takes(app):
    arguments = set().union(*(r.arguments for r in peer_rules(app)))
    # request_id: the supervisors' queue (403 for a peer: tests/test_supervision_queue.py).
    assert arguments == {"offer_id", "conversation_id", "module_id", "alert_id", "request_id"}
    assert len(peer_rules(app)) >= 10


@pytest.mark.parametrize("whose", ["Sky", "Cloud"])
def test_every_peer_url_with_another_peers_ids_is_404(app, client, session, make, world, whose):
    me = world["me"]
    client.login(me.user)
    ids = world["owned"][whose]
    if whose == "Sky":
        # Same program: the module is legitimately mine too; use another program's.
        ids = dict(ids, module_id=world["owned"]["Cloud"]["module_id"])
    tried = []
    supervisor_only = [r for r in peer_rules(app) if r.rule.startswith("/peer/supervise/")]
    for rule in peer_rules(app):
        if rule in supervisor_only:
            # A peer is not let in at all (403): tests/test_peers_supervision.py.
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(ids[name]))
        if "GET" in rule.methods:
            assert client.get(url).status_code == 404, url
        if "POST" in rule.methods:
            assert (
                client.post_form(
                    url,
                    {
                        "body": "hi",
                        "reason": "x",
                        "outcome": "skills",
                        "checkin_choice": "none",
                        "topic_id": "0",
                    },
                ).status_code
                == 404
            ), url
        tried.append(rule.endpoint)
    assert supervisor_only and len(tried) == len(peer_rules(app)) - len(supervisor_only)


def test_a_supervisor_cannot_acknowledge_another_organizations_alert(client, make, world, session):
    supervisor = make.supervisor(
        session.get(type(world["program"].organization), world["program"].organization_id)
    )
    client.login(supervisor)
    alert_id = world["owned"]["Cloud"]["alert_id"]
    assert client.post_form(f"/peer/supervise/alerts/{alert_id}/acknowledge").status_code == 404
    assert session.get(Alert, alert_id).state == "open"


def test_the_same_urls_work_for_their_owner(client, world, session):
    """The matrix above is not 404 for everyone: the owner gets through."""
    from peerwork.models import PeerProfile, User

    sky = session.scalar(select(PeerProfile).where(PeerProfile.alias == "Sky"))
    client.login(session.get(User, sky.user_id))
    ids = world["owned"]["Sky"]
    assert client.get(f"/peer/conversations/{ids['conversation_id']}").status_code == 200
    assert client.get(f"/peer/conversations/{ids['conversation_id']}/poll.json").status_code == 200
    assert client.get(f"/peer/training/{ids['module_id']}").status_code == 200
    assert client.post_form(f"/peer/offers/{ids['offer_id']}/decline").status_code == 302


@pytest.mark.parametrize("url", ["/peer/", "/peer/training", "/peer/poll.json", "/peer/onboarding"])
def test_admins_and_supervisors_without_a_peer_profile_are_kept_out(client, make, url):
    client.login(make.admin())
    assert client.get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/peer/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
