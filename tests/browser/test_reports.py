"""An HR admin reads the Reports dashboard of a busy program, on a desktop and on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from peerwork.training.curriculum import install_default_curriculum
from tests import factories
from tests.browser.test_admin_setup_flow import sign_in
from tests.insights_history import generate

pytestmark = pytest.mark.committed

TOPICS = ("Work stress", "Anxiety", "Grief and loss", "Caregiving", "Money worries")
AVAILABILITY = {
    "mon": [["08:00", "16:00"]],
    "tue": [["12:00", "20:00"]],
    "wed": [["16:00", "22:00"]],
    "thu": [["08:00", "12:00"]],
}


@pytest.fixture
def busy_program(make, session, now):
    org = make.org("Acme Logistics")
    admin = make.admin(org, name="Hana Okafor")
    program = make.program(org, topics=TOPICS, name="Acme Peer Line")
    install_default_curriculum(session, program_id=program.id, now=now)
    peers = [make.peer(program, availability=AVAILABILITY) for _ in range(9)]
    generate(
        session,
        program_id=program.id,
        topic_ids=[t.id for t in program.topics],
        peer_ids=[p.id for p in peers],
        until=now - timedelta(days=2),
        weeks=26,
        requests=5000,
        texters=2000,
    )
    session.commit()
    return program, admin


def test_admin_reads_the_dashboard_and_downloads_it(
    page, phone_page, live_server, busy_program, shot, no_external_requests
):
    program, admin = busy_program
    base = live_server.url
    url = f"{base}/admin/programs/{program.id}/reports"
    for viewer, name in ((page, "desktop"), (phone_page, "phone")):
        sign_in(viewer, base, admin.email)
        viewer.goto(url)
        expect(viewer.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
        expect(viewer.get_by_role("img", name=re.compile("Requests per week"))).to_be_visible()
        shot(viewer, f"reports-{name}")
    # At phone width, the charts one by one (the whole page is very tall).
    for key in ("weekly", "hours", "coverage", "checkin_trend"):
        section = phone_page.locator(f"section:has(#{key}-h)")
        section.screenshot(
            path=str(shot(phone_page, "reports-phone").parent / f"reports-phone-{key}.png")
        )
    # The numbers behind a chart open as a table.
    page.get_by_text("The numbers: requests by topic").click()
    expect(page.get_by_role("rowheader", name="Work stress")).to_be_visible()
    # A custom period shorter than a week is refused with words, not an error page.
    page.get_by_label("Choose dates").check()
    page.get_by_label("First day").fill("2026-11-02")
    page.get_by_label("Last day").fill("2026-11-04")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("at least a week")
    shot(page, "reports-short-period")
    page.get_by_label("Last 4 weeks").check()
    page.get_by_role("button", name="Show").click()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download these figures")).click()
    assert download.value.suggested_filename.endswith("-4w.csv")


def test_a_peer_reads_their_own_figures(page, phone_page, live_server, make, session, now, shot):
    org = make.org("Acme Logistics")
    program = make.program(org, topics=TOPICS, name="Acme Peer Line")
    install_default_curriculum(session, program_id=program.id, now=now)
    peer = make.peer(program, alias="Robin", availability=AVAILABILITY)
    generate(
        session,
        program_id=program.id,
        topic_ids=[t.id for t in program.topics],
        peer_ids=[peer.id],
        until=now - timedelta(days=2),
        weeks=14,
        requests=300,
        texters=200,
    )
    email = peer.user.email
    session.commit()
    base = live_server.url
    for viewer, name in ((page, "desktop"), (phone_page, "phone")):
        viewer.goto(base + "/login")
        viewer.get_by_label("Email").fill(email)
        viewer.get_by_label("Password").fill(factories.PASSWORD)
        viewer.get_by_role("button", name="Sign in").click()
        viewer.wait_for_url(re.compile(r".*/peer/?$"))
        viewer.get_by_role("link", name="Your figures").click()
        expect(viewer.get_by_role("heading", name="Your figures")).to_be_visible()
        expect(viewer.get_by_text("Conversations you held")).to_be_visible()
        shot(viewer, f"peer-figures-{name}")
