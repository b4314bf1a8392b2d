"""Signing in through the real login page lands each role on its own dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.committed


@pytest.mark.parametrize(
    ("role", "landing_path"),
    [("admin", "/admin/"), ("peer", "/peer/"), ("supervisor", "/peer/supervise")],
)
def test_login_lands_on_role_dashboard(page, live_server, make, session, role, landing_path, shot):
    org = make.org("Acme Logistics")
    program = make.program(org)
    if role == "peer":
        user = make.peer(program).user
    else:
        user = make.user(org, role)
    session.commit()

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")

    assert page.url.startswith(live_server.url + landing_path), page.url
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    shot(page, f"login-landing-{role}")


def test_wrong_password_is_refused_in_the_page(page, live_server, make, session):
    user = make.admin()
    session.commit()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    assert (
        page.get_by_role("alert").inner_text()
        == "That email and password do not match an active account."
    )
    assert page.url.endswith("/login")
