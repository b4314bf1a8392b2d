"""Who may open which admin page: every admin URL, as every kind of visitor.

The list of URLs comes from the app's url_map (all `admin.` and `training.`
endpoints), so a new admin page is in the matrix the moment it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from werkzeug.routing.converters import AnyConverter

from peerwork.auth import invites
from peerwork.extensions import get_vault
from peerwork.models import EscalationContact, Resource, TrainingModule
from peerwork.training.curriculum import install_default_curriculum

# A value each `<any(...)>` segment takes in the matrix: harmless where there is a choice.
PREFERRED_CHOICE = {"action": "pause", "move": "up"}
# Requests that would undo the rest of the matrix run after all the others.
DESTRUCTIVE = ("remove", "deactivate", "revoke", "delete", "retire")


@dataclass
class Endpoint:
    name: str
    method: str
    url: str
    scoped: bool  # loads an object of organization A by id


@dataclass
class World:
    org_a: object
    org_b: object
    program: object
    ids: dict


@pytest.fixture
def world(make, session, now, app):
    org_a, org_b = make.org("Acme"), make.org("Globex")
    program = make.program(org_a, status="live")
    make.program(org_a, status="draft", name="Second line")  # more than one: no redirect
    make.program(org_b, status="live")
    make.program(org_b, status="draft")
    install_default_curriculum(session, program_id=program.id, now=now)
    module = session.query(TrainingModule).filter_by(program_id=program.id).first()
    vault = get_vault()
    contact = EscalationContact(
        program_id=program.id,
        name="Dana Lee",
        phone_encrypted=vault.encrypt("+15855550123"),
        phone_hash=vault.lookup_hash("+15855550123"),
        phone_last4="0123",
    )
    resource = Resource(program_id=program.id, name="Compeer", description="Friends")
    session.add_all([contact, resource])
    peer = make.peer(program)
    invite = invites.issue(
        session,
        secret_key=app.config["SECRET_KEY"],
        organization_id=org_a.id,
        email="new@example.com",
        role="peer",
        now=now,
        max_age_seconds=3600,
        program_id=program.id,
    ).invite
    session.flush()
    ids = {
        "program_id": program.id,
        "topic_id": program.topics[0].id,
        "contact_id": contact.id,
        "resource_id": resource.id,
        "invite_id": invite.id,
        "peer_id": peer.id,
        "module_id": module.id,
        "question_id": module.questions[0].id,
    }
    return World(org_a, org_b, program, ids)


def admin_endpoints(app, ids: dict) -> list[Endpoint]:
    """Every admin and training URL, filled with objects of organization A."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("admin.", "training.")):
            continue
        values = {}
        for arg in rule.arguments:
            converter = rule._converters.get(arg)
            if isinstance(converter, AnyConverter):
                choices = sorted(converter.items)
                values[arg] = (
                    PREFERRED_CHOICE.get(arg)
                    if PREFERRED_CHOICE.get(arg) in choices
                    else choices[0]
                )
            else:
                assert arg in ids, f"{rule.endpoint}: no test object for <{arg}>; add one to world"
                values[arg] = ids[arg]
        method = "GET" if "GET" in rule.methods else "POST"
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        found.append(Endpoint(rule.endpoint, method, url, scoped=bool(rule.arguments)))
    # GETs first, then changes, with the ones that remove things last.
    return sorted(
        found,
        key=lambda e: (e.method != "GET", any(word in e.url for word in DESTRUCTIVE), e.url),
    )


def _request(client, endpoint: Endpoint):
    if endpoint.method == "GET":
        return client.get(endpoint.url)
    return client.post_form(endpoint.url, {})


def _visitor(make, world, who: str):
    if who == "anonymous":
        return None
    if who == "peer":
        return make.peer(world.program).user
    if who == "supervisor":
        return make.supervisor(world.org_a)
    if who == "admin_a":
        return make.admin(world.org_a)
    return make.admin(world.org_b)


def _expected(who: str, endpoint: Endpoint) -> set[int]:
    if who == "anonymous":
        return {302}
    if who in ("peer", "supervisor"):
        return {403}
    if who == "admin_b" and endpoint.scoped:
        return {404}
    if endpoint.method == "GET":
        return {200}
    # A form posted empty: re-rendered with its errors (200/400) or done and redirected (302).
    return {200, 302, 400}


@pytest.mark.parametrize("who", ["anonymous", "peer", "supervisor", "admin_a", "admin_b"])
def test_every_admin_url_answers_each_visitor_as_it_should(app, client, make, world, who):
    endpoints = admin_endpoints(app, world.ids)
    visitor = _visitor(make, world, who)
    if visitor is not None:
        client.login(visitor)
    wrong = []
    for endpoint in endpoints:
        response = _request(client, endpoint)
        expected = _expected(who, endpoint)
        if response.status_code not in expected:
            wrong.append(
                f"{endpoint.method} {endpoint.url}: {response.status_code}, want {expected}"
            )
        elif who == "anonymous":
            assert "/login" in response.headers["Location"], endpoint.url
    assert not wrong, "\n".join(wrong)


def test_matrix_covers_every_admin_endpoint_in_the_url_map(app, world):
    in_map = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("admin.", "training."))
    }
    covered = {e.name for e in admin_endpoints(app, world.ids)}
    assert covered == in_map
    # The program setup pages are all there, not only the dashboard.
    assert {"admin.settings", "admin.topics", "admin.contacts_page", "admin.audit_log"} <= covered


def test_another_orgs_admin_sees_none_of_our_names(client, make, world):
    client.login(make.admin(world.org_b))
    listing = client.get("/admin/").get_data(as_text=True)
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert world.program.name not in listing
    assert "Dana Lee" not in audit and world.program.name not in audit
