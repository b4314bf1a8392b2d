"""A freshly created HR admin goes from their first login to a launched program
through the quick start, on a desktop and on a 390 px phone. The test times the
admin's own work and counts pages, submissions and fields, and prints them
(measured, not asserted: the machine's speed is not the product's)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from peerwork.models import Program
from tests import factories

pytestmark = pytest.mark.committed


class Tally:
    """What the admin did: pages loaded, forms submitted, fields filled or picked."""

    def __init__(self, view) -> None:
        self.view = view
        self.pages = 0
        self.submissions = 0
        self.fields = 0
        view.on("load", lambda _: self._page())
        view.on(
            "request",
            lambda r: self._submit() if r.is_navigation_request() and r.method == "POST" else None,
        )

    def _page(self) -> None:
        self.pages += 1

    def _submit(self) -> None:
        self.submissions += 1

    def fill(self, locator, value: str) -> None:
        locator.fill(value)
        self.fields += 1


def _fits(view) -> None:
    width = view.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{view.url} is {width}px wide on a phone"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_quick_start_from_first_login_to_a_launched_program(
    size, request, live_server, make, session, shot
):
    view = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    base = live_server.url
    org = make.org(f"Acme Logistics ({size})")
    admin = make.admin(org, name="Hana Okafor")
    session.commit()
    errors: list[str] = []
    view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tally = Tally(view)
    started = time.monotonic()

    # -- first login: the empty dashboard offers the quick start first
    view.goto(base + "/login")
    tally.fill(view.get_by_label("Email"), admin.email)
    tally.fill(view.get_by_label("Password"), factories.PASSWORD)
    view.get_by_role("button", name="Sign in").click()
    expect(view.get_by_role("heading", name="No programs yet")).to_be_visible()
    shot(view, f"quickstart-dashboard-{size}")
    view.get_by_role("link", name=re.compile(r"^Quick start")).first.click()
    expect(view.get_by_role("heading", name="Quick start")).to_be_visible()
    if size == "phone":
        _fits(view)
    shot(view, f"quickstart-form-{size}")

    # -- the one form: only what the admin alone knows
    tally.fill(view.get_by_label("Program name"), "Acme Peer Line")
    # The timezone search (admin.js) picks the first match in the select.
    tally.fill(view.get_by_label("Search timezones"), "chicago")
    expect(view.get_by_label("Timezone", exact=True)).to_have_value("America/Chicago")
    tally.fill(view.get_by_label("SMS number employees will text"), "(585) 555-0100")
    expect(view.get_by_label("Name", exact=True)).to_have_value("Hana Okafor")  # pre-filled
    tally.fill(view.get_by_label("Mobile number for alerts"), "585 555 0123")
    tally.fill(
        view.get_by_label("Volunteers' email addresses"), "river@example.com\nsky@example.com"
    )
    view.get_by_role("button", name="Create the program").click()
    expect(view.get_by_role("heading", name="Acme Peer Line is set up")).to_be_visible()
    assert view.locator(".link-input").count() == 2
    expect(view.locator(".checklist li.todo")).to_have_count(1)
    expect(view.locator(".checklist li.todo")).to_contain_text("certified peer")
    if size == "phone":
        _fits(view)
    shot(view, f"quickstart-done-{size}")
    admin_seconds = time.monotonic() - started

    # -- the volunteers accept their invites and pass the training: their work, not
    # the admin's (the peer journey tests it); here one is certified directly.
    program = session.scalar(select(Program).where(Program.organization_id == org.id))
    make.peer(program, alias="River", topics=[program.topics[0]])
    session.commit()

    # -- back to launch it: the same checklist, and a confirmation first
    resumed = time.monotonic()
    view.get_by_role("link", name="Go to the program overview").click()
    expect(view.get_by_text("Everything needed is in place.")).to_be_visible()
    asked: list[str] = []
    view.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    view.get_by_role("button", name="Launch program").click()
    expect(view.locator(".status-line .badge")).to_have_text("Draft")
    assert asked and "Launch Acme Peer Line?" in asked[0]
    view.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    view.get_by_role("button", name="Launch program").click()
    expect(view.get_by_text("The program is live.")).to_be_visible()
    admin_seconds += time.monotonic() - resumed
    pages, submissions, fields = tally.pages, tally.submissions, tally.fields
    expect(view.locator(".status-line .badge")).to_have_text("Live")
    shot(view, f"quickstart-live-{size}")
    session.refresh(program)
    assert program.status == "live"
    session.commit()  # end the read, so the server's next write does not wait on it

    # -- every program tab is on screen at this width (they wrap, nothing is cut)
    tabs = view.locator(".setup-nav .steps a")
    width = view.viewport_size["width"]
    assert tabs.count() >= 11
    for i in range(tabs.count()):
        box = tabs.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, tabs.nth(
            i
        ).inner_text()
    if size == "phone":
        _fits(view)

    # -- Pause asks first too
    view.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    view.get_by_role("button", name="Pause").click()
    expect(view.get_by_text("The program is paused.")).to_be_visible()
    assert "Pause Acme Peer Line?" in asked[-1]
    assert errors == []

    print(
        f"\nquick start ({size}): first login to launched program: "
        f"{admin_seconds:.1f} s of the admin's own work (browser-driven), "
        f"{pages} pages, {submissions} submissions, {fields} fields"
    )
