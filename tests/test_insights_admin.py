"""The Reports page's doors: periods asked for in the URL, the CSV download (audited), the
minimum cell size (audited, never below 5), and other organizations kept out."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from peerwork.models import AuditEvent, SupportRequest


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def admin(make, org, client, session):
    user = make.admin(org, name="Hana Admin")
    session.commit()
    client.login(user)
    return user


@pytest.fixture
def program(make, org, session, now):
    program = make.program(org)
    topic = program.topics[0]
    for i in range(8):
        texter = make.texter(program)
        created = now - timedelta(days=10, minutes=i)
        session.add(SupportRequest(program_id=program.id, texter_id=texter.id, topic_id=topic.id,
                                   state="cancelled", created_at=created, closed_at=created))  # fmt: skip
    session.commit()
    return program


def test_the_csv_export_is_the_page_s_numbers_and_is_audited(client, admin, program, session):
    url = f"/admin/programs/{program.id}/reports/export"
    assert client.post(url, data={"period": "4w"}).status_code == 400  # no CSRF token
    response = client.post_form(url, {"period": "4w"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="peerwork-report-' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert ["Requests to talk", "8", "0"] in rows
    assert ["Work stress", "8", "0"] in rows
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "reports.export_csv")
    ).all()
    assert len(events) == 1
    assert events[0].actor_user_id == admin.id and events[0].program_id == program.id
    assert events[0].details["weeks"] == 4


def test_a_custom_period_shorter_than_a_week_is_refused_kindly(client, admin, program):
    response = client.get(
        f"/admin/programs/{program.id}/reports?period=custom&start=2026-11-02&end=2026-11-05"
    )
    assert response.status_code == 400
    assert "at least a week" in response.get_data(as_text=True)
    response = client.get(
        f"/admin/programs/{program.id}/reports?period=custom&start=2026-10-01&end=2026-11-10"
    )
    assert response.status_code == 200
    assert "28 Sep 2026 to 15 Nov 2026 (7 weeks)" in response.get_data(as_text=True)


def test_the_minimum_cell_size_can_be_raised_but_never_below_five(client, admin, program, session):
    url = f"/admin/programs/{program.id}/reports/min-cell"
    response = client.post_form(url, {"min_cell": "3"})
    assert response.status_code == 200 and "from 5 to 100" in response.get_data(as_text=True)
    session.refresh(program)
    assert program.report_min_cell == 5
    assert client.post_form(url, {"min_cell": "10"}).status_code == 302
    session.refresh(program)
    assert program.report_min_cell == 10
    body = client.get(f"/admin/programs/{program.id}/reports?period=4w").get_data(as_text=True)
    assert ">8<" not in body  # 8 requests are now below the minimum
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "reports.min_cell"))
    assert event.details == {"from": 5, "to": 10}


def test_another_organization_s_reports_are_not_found(client, make, program, session):
    stranger = make.admin(make.org("Elsewhere"))
    session.commit()
    client.login(stranger)
    assert client.get(f"/admin/programs/{program.id}/reports").status_code == 404
    assert (
        client.post_form(
            f"/admin/programs/{program.id}/reports/export", {"period": "4w"}
        ).status_code
        == 404
    )
