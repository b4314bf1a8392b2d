"""Hostile input: every form, query string and webhook answers 2xx/4xx, never 5xx,
and a refused request changes nothing.

The regressions first (each one a 500 an outside tester found), then a property-based
sweep over every POST endpoint and every GET page of the app (walked from its URL map),
signed in as the role the page is for, with a valid CSRF token, and over both Twilio
webhooks with valid signatures.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from peerwork.db import Base
from peerwork.extensions import db
from peerwork.models import (
    Alert,
    EscalationContact,
    Invite,
    Message,
    Offer,
    Resource,
    SkillCard,
    TrainingQuestion,
)
from tests import factories
from tests.helpers import curriculum_program, program_modules, start_conversation
from tests.sms_helpers import BASE, new_sid, post_signed, sign

# -- the regressions -------------------------------------------------------------


def _rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_nul_byte_in_the_login_email_is_refused_clearly(client):
    response = client.post_form("/login", {"email": "a\x00@example.com", "password": "x" * 12})
    assert response.status_code == 400
    assert b"control characters" in response.data


def test_a_nul_byte_in_a_text_is_refused_with_empty_twiml(client, make):
    program = make.program()
    params = {
        "MessageSid": new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": "+17165550100",
        "To": program.sms_number,
        "Body": "hello\x00there",
    }
    response = post_signed(client, "/sms/inbound", params)
    assert response.status_code == 400
    assert response.mimetype == "text/xml" and b"<Message>" not in response.data
    assert _rows(Message) == 0


def test_a_text_with_other_control_characters_is_still_received(client, make):
    """A phone may send a form feed or an escape: a real texter is never refused for it."""
    program = make.program()
    params = {
        "MessageSid": new_sid(),
        "From": "+17165550100",
        "To": program.sms_number,
        "Body": "page\x0cbreak \x1b",
    }
    assert post_signed(client, "/sms/inbound", params).status_code == 200
    assert _rows(Message) >= 1


@pytest.mark.parametrize("sid", ["SM" + "a" * 63, "SM<script>", "S", "SM" + "\u00e9" * 32])
def test_a_message_sid_that_is_not_twilios_is_refused(client, make, sid):
    program = make.program()
    params = {"MessageSid": sid, "From": "+17165550100", "To": program.sms_number, "Body": "hi"}
    response = post_signed(client, "/sms/inbound", params)
    assert response.status_code == 400
    assert _rows(Message) == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("actor=99999999999", b"out of range"),
        ("program=-99999999999", b"out of range"),
        ("until=9999-12-31", b"between 1900 and 9998"),
        ("since=0001-01-01", b"between 1900 and 9998"),
    ],
)
def test_audit_filters_out_of_range_are_refused(client, make, query, message):
    org = make.org()
    admin = make.admin(org)
    make.program(org)
    client.login(admin)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 400
    assert message in response.data


def test_audit_filters_in_range_still_work(client, make):
    org = make.org()
    admin = make.admin(org)
    make.program(org)
    client.login(admin)
    response = client.get("/admin/audit?actor=5&until=2026-12-31&since=nonsense&page=999999999999")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "field", ["name", "keywords", "description"], ids=["name", "keywords", "description"]
)
def test_a_nul_in_a_topic_field_changes_nothing(client, make, field):
    org = make.org()
    admin = make.admin(org)
    program = make.program(org)
    client.login(admin)
    before = _snapshot()
    data = {"name": "Money", "keywords": "debt", "description": "", field: "bad\x00value"}
    response = client.post_form(f"/admin/programs/{program.id}/topics", data)
    assert response.status_code == 400
    assert _snapshot() == before


def test_a_texts_form_with_a_field_missing_is_not_a_server_error(client, make):
    from peerwork.sms import texts as sms_texts

    org = make.org()
    admin = make.admin(org)
    program = make.program(org)
    client.login(admin)
    data = {key: "" for key in list(sms_texts.EDITABLE)[1:]}
    response = client.post_form(f"/admin/programs/{program.id}/texts", data)
    assert response.status_code < 500


def test_a_value_the_database_refuses_is_a_400_not_a_500(app, client, caplog):
    """The last line of defence, if a bad value ever gets past the guard."""
    from sqlalchemy.exc import DataError

    probe = app.view_functions.get("fuzz_probe")
    if probe is None:

        def fuzz_probe():
            raise DataError("INSERT ...", {"body": "+17165550123"}, ValueError("NUL"))

        app.view_functions["fuzz_probe"] = fuzz_probe
        app.url_map.add(app.url_rule_class("/_fuzz_probe", endpoint="fuzz_probe", methods=["GET"]))
    response = client.get("/_fuzz_probe")
    assert response.status_code == 400
    assert b"cannot be stored" in response.data
    assert "7165550123" not in caplog.text


# -- the sweep --------------------------------------------------------------------

# Per endpoint (about 70 of them): a few hundred requests per run, a few seconds. Set
# PEERWORK_FUZZ_EXAMPLES=100 for a long local run.
EXAMPLES = int(os.environ.get("PEERWORK_FUZZ_EXAMPLES", "5"))

HOSTILE = [
    "\x00",
    "a\x00b",
    "\x1b[2J",
    "\x07\x08",
    "9" * 5000,
    str(2**31),
    str(2**63),
    "-" + str(2**64),
    "\u00b2",
    "\u0663\u0663",
    "9999-12-31",
    "0001-01-01",
    "x" * 20000,
    "\U0001f4ac" * 200,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "",
    " ",
    "\r\n",
    "1",
    "0",
    "-1",
    "on",
    "true",
    "+17165550100",
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers().map(str),
)
QUERY_NAMES = ["actor", "program", "since", "until", "page", "action", "days", "insert", "next"]


def _snapshot() -> dict[str, list]:
    """Every row of every table (small test data): what a refused request must leave alone."""
    db.session.expire_all()
    return {
        table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
        for table in Base.metadata.sorted_tables
    }


def _field_names(html: str) -> list[str]:
    names = set(re.findall(r'name="([^"]+)"', html)) - {"csrf_token"}
    return sorted(names)


class World:
    """One organization with a program in use: what the pages' URLs point at."""

    def __init__(self, make, session, now) -> None:
        self.program = curriculum_program(make, session, now)
        self.org_id = self.program.organization_id
        from peerwork.models import Organization

        org = session.get(Organization, self.org_id)
        self.admin = make.admin(org)
        self.supervisor = make.supervisor(org)
        self.peer = make.peer(self.program)
        self.conversation = start_conversation(session, make, self.program, self.peer, now)
        session.commit()
        modules = program_modules(session, self.program)

        def first(model, *where):
            found = session.scalar(select(model.id).where(*where).order_by(model.id))
            return found or 1

        self.ids = {
            "program_id": self.program.id,
            "topic_id": self.program.topics[0].id,
            "module_id": modules[0].id,
            "conversation_id": self.conversation.id,
            "peer_id": self.peer.id,
            "contact_id": first(EscalationContact),
            "resource_id": first(Resource),
            "card_id": first(SkillCard),
            "invite_id": first(Invite),
            "question_id": first(TrainingQuestion),
            "offer_id": first(Offer),
            "alert_id": first(Alert),
            "token": "not-a-token",
        }

    def role_for(self, path: str):
        if path.startswith(("/admin", "/care/programs")):
            return self.admin
        if path.startswith("/peer/supervise"):
            return self.supervisor
        if path.startswith(("/peer", "/care")):
            return self.peer.user
        return None


def _url(rule, world: World, choice: int = 0) -> str | None:
    from werkzeug.routing import AnyConverter

    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, AnyConverter):
            items = sorted(converter.items)
            values[name] = items[choice % len(items)]
        elif name in world.ids:
            values[name] = world.ids[name]
        else:
            return None
    try:
        return rule.build(values, append_unknown=False)[1]
    except (KeyError, ValueError):
        return None


def _choices(rule) -> int:
    """How many URLs to try for a rule: one per value of an <any(...)> part, else one."""
    from werkzeug.routing import AnyConverter

    anys = [c for c in rule._converters.values() if isinstance(c, AnyConverter)]
    return max((len(c.items) for c in anys), default=1)


class Tally:
    requests = 0
    server_errors: list[str] = []


@pytest.fixture
def world(make, session, now):
    return World(make, session, now)


def _clients(app, world):
    from tests.conftest import Client

    app.test_client_class = Client
    out = {}
    for user in (world.admin, world.supervisor, world.peer.user):
        client = app.test_client()
        client.login(user, factories.PASSWORD)
        out[user.id] = client
    return out


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _check(response, before, label: str) -> None:
    Tally.requests += 1
    if response.status_code >= 500:
        Tally.server_errors.append(f"{label}: {response.status_code}")
    assert response.status_code < 500, label
    if 400 <= response.status_code < 500:
        assert _snapshot() == before, f"{label} answered {response.status_code} but changed rows"


def test_every_form_and_page_survives_hostile_input(app, world):
    clients = _clients(app, world)
    anonymous = app.test_client()
    rules = sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if not r.rule.startswith(("/static", "/sms/", "/_fuzz"))
        ),
        key=lambda r: (r.rule in ("/login", "/logout"), r.rule),  # sign-in last
    )
    Tally.requests, Tally.server_errors = 0, []
    for rule in rules:
        for choice in range(_choices(rule)):
            url = _url(rule, world, choice)
            if url is None:
                continue
            user = world.role_for(url)
            client = clients[user.id] if user else anonymous
            if "GET" in rule.methods:
                page = client.get(url)
                assert page.status_code < 500, url
                fields = (
                    _field_names(page.get_data(as_text=True)) if page.status_code == 200 else []
                )
            else:
                fields = []
            if "POST" in rule.methods:
                _fuzz_post(client, url, fields or ["body", "reason", "name", "text"])
            if "GET" in rule.methods and choice == 0:
                _fuzz_query(client, url)
    print(f"\nfuzzed {Tally.requests} requests; 5xx: {len(Tally.server_errors)}")
    assert not Tally.server_errors


def _fuzz_post(client, url: str, fields: list[str]) -> None:
    @SETTINGS
    @given(form=st.fixed_dictionaries({}, optional={name: VALUES for name in fields}))
    def check(form):
        before = _snapshot()
        data = {**form, "csrf_token": client.csrf_token()}
        response = client.post(url, data=data)
        _check(response, before, f"POST {url} {sorted(form)}")

    check()


def _fuzz_query(client, url: str) -> None:
    @SETTINGS
    @given(query=st.fixed_dictionaries({}, optional={name: VALUES for name in QUERY_NAMES}))
    def check(query):
        before = _snapshot()
        response = client.get(url + "?" + urlencode(query))
        _check(response, before, f"GET {url}?{sorted(query)}")

    check()


SIDS = st.one_of(
    st.builds(lambda: new_sid()),
    st.sampled_from(["SM" + "0" * 80, "SM\x00" + "0" * 31, "", "SMx", "\u00b2" * 10]),
    st.text(max_size=70),
)


def test_both_webhooks_survive_hostile_input(client, world):
    number = world.program.sms_number
    Tally.requests, Tally.server_errors = 0, []

    @SETTINGS
    @given(
        sid=SIDS,
        body=VALUES,
        sender=st.one_of(st.just("+17165550100"), VALUES),
        to=st.one_of(st.just(number), VALUES),
    )
    def inbound(sid, body, sender, to):
        before = _snapshot()
        params = {"MessageSid": sid, "From": sender, "To": to, "Body": body}
        _check(post_signed(client, "/sms/inbound", params), before, "inbound")

    @SETTINGS
    @given(sid=SIDS, status=VALUES, error_code=VALUES)
    def status(sid, status, error_code):
        before = _snapshot()
        params = {"MessageSid": sid, "MessageStatus": status, "ErrorCode": error_code}
        _check(post_signed(client, "/sms/status", params), before, "status")

    for _ in range(4):
        inbound()
        status()
    print(f"\nfuzzed {Tally.requests} webhooks; 5xx: {len(Tally.server_errors)}")
    assert not Tally.server_errors


def test_an_unsigned_webhook_is_still_refused_with_403(client, world):
    params = {"MessageSid": new_sid(), "From": "+17165550100", "To": world.program.sms_number}
    response = client.post(
        "/sms/inbound",
        data=urlencode({**params, "Body": "hi"}),
        headers={"X-Twilio-Signature": sign("/sms/inbound", {**params, "Body": "other"})},
        content_type="application/x-www-form-urlencoded",
        base_url=BASE,
    )
    assert response.status_code == 403


def test_moving_a_retired_topic_changes_nothing(client, make):
    """Found by the sweep: retire a topic, then press "up" on a stale page (was a 500)."""
    org = make.org()
    admin = make.admin(org)
    program = make.program(org)
    topic = program.topics[1]
    client.login(admin)
    base = f"/admin/programs/{program.id}/topics/{topic.id}"
    assert client.post_form(f"{base}/retire").status_code == 302
    before = _snapshot()
    assert client.post_form(f"{base}/up").status_code < 500
    assert _snapshot() == before
