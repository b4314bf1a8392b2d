"""A fresh HR admin sets up a program in Chromium, sees the checklist block the
launch, satisfies it and launches; every setup page is captured on a desktop
and on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from peerwork.models import Program, Topic
from tests import factories

pytestmark = pytest.mark.committed

SETUP_PAGES = [
    ("overview", ""),
    ("settings", "/settings"),
    ("hours", "/hours"),
    ("texts", "/texts"),
    ("topics", "/topics"),
    ("contacts", "/contacts"),
    ("resources", "/resources"),
    ("volunteers", "/volunteers"),
    ("twilio", "/twilio"),
    ("reports", "/reports"),
]


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/admin/$"))


def test_admin_sets_up_and_launches_a_program(page, phone_page, live_server, make, session, shot):
    base = live_server.url
    org = make.org("Acme Logistics")
    admin = make.admin(org, name="Hana Okafor")
    session.commit()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, base, admin.email)
    expect(page.get_by_role("heading", name="No programs yet")).to_be_visible()
    shot(page, "admin-dashboard-empty")

    # -- create the program from nothing
    page.get_by_role("link", name="Create your first program").click()
    page.get_by_label("Program name").fill("Acme Peer Line")
    shot(page, "admin-new-program")
    page.get_by_role("button", name="Create program").click()
    page.wait_for_url(re.compile(r".*/settings$"))
    program_id = int(re.search(r"/programs/(\d+)/", page.url).group(1))
    program_url = f"{base}/admin/programs/{program_id}"

    # -- settings: a bad number is refused inline, then a good one is saved
    page.get_by_label("SMS number").fill("555-01")
    page.get_by_role("button", name="Save settings").click()
    assert page.locator("#sms_number-error").inner_text().startswith("That is not a valid phone")
    shot(page, "admin-settings-error")
    page.get_by_label("SMS number").fill("(585) 555-0100")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    assert page.get_by_label("SMS number").input_value() == "+15855550100"

    # -- hours: an end before a start is refused inline
    page.goto(program_url + "/hours")
    page.get_by_label("Tuesday closes").fill("08:00")
    page.get_by_role("button", name="Save hours").click()
    assert (
        "closing time must be after the opening time"
        in page.locator(".hours-row .error").inner_text()
    )
    page.get_by_label("Tuesday closes").fill("17:00")
    page.get_by_label("Saturday", exact=True).check()
    page.get_by_role("button", name="Save hours").click()
    expect(page.get_by_text("Hours saved.")).to_be_visible()
    # -- the live segment counter on the texts page
    page.goto(program_url + "/texts")
    crisis = page.locator("#crisis")
    crisis.fill("You matter. Call or text 988. " + "We are here for you. " * 8)
    assert "2 SMS segments (limit 1)" in page.locator("#crisis-count").inner_text()
    assert "over" in page.locator("#crisis-count").get_attribute("class")
    page.locator('[data-reset-text="crisis"]').click()
    assert "1 SMS segment (limit 1)" in page.locator("#crisis-count").inner_text()

    # -- topics
    page.goto(program_url + "/topics")
    for name, keywords in (("Work stress", "stress, burnout"), ("Grief and loss", "grief")):
        page.get_by_label("Topic name").fill(name)
        page.get_by_label("Keywords texters might use").fill(keywords)
        page.get_by_role("button", name="Add topic").click()
        expect(page.get_by_text(f"Topic “{name}” added.")).to_be_visible()
    page.get_by_label("Topic name").fill("work stress")
    page.get_by_role("button", name="Add topic").click()
    assert "There is already a topic called" in page.locator("#name-error").inner_text()

    # -- the checklist blocks the launch
    page.goto(program_url)
    assert page.locator(".checklist li.todo").count() >= 2
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Launch program").click()
    assert "Not launched yet" in page.locator(".flash-error").inner_text()
    shot(page, "admin-launch-blocked")

    # -- an escalation contact
    page.goto(program_url + "/contacts")
    page.get_by_label("Name", exact=True).fill("Dana Lee")
    page.get_by_label("Mobile number for alerts").fill("585 555 0123")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text("Mobile ending ••••0123")).to_be_visible()
    assert "555 0123" not in page.content()

    # -- volunteers: an invite link to copy
    page.goto(program_url + "/volunteers")
    page.get_by_label("Email addresses").fill("river@example.com\nsky@example.com")
    page.get_by_role("button", name="Create invite links").click()
    assert page.locator(".link-input").count() == 2
    shot(page, "admin-invite-links")

    # -- training: the checklist's Fix link opens the editor, where it is published
    page.goto(program_url)
    page.get_by_role("link", name="Fix: Training published").click()
    page.wait_for_url(re.compile(rf".*/admin/training/program/{program_id}$"))
    expect(page.get_by_text("Not published")).to_be_visible()
    page.get_by_role("button", name="Publish training").click()
    expect(page.get_by_text("Training published.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Published on \d{2} \w+ \d{4}\."))).to_be_visible()
    assert page.get_by_role("button", name="Publish training").count() == 0
    shot(page, "admin-training-published")

    # A volunteer certifies by passing the training (the peer journey tests that);
    # here one is set up directly.
    program = session.get(Program, program_id)
    work = session.scalar(
        select(Topic).where(Topic.program_id == program_id, Topic.name == "Work stress")
    )
    make.peer(program, alias="River", topics=[work])
    session.commit()

    page.goto(program_url)
    assert page.locator(".checklist li.todo").count() == 0
    expect(page.get_by_text("No certified peer covers “Grief and loss” yet")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())  # "Launch Acme Peer Line? ..."
    page.get_by_role("button", name="Launch program").click()
    expect(page.get_by_text("The program is live.")).to_be_visible()
    assert page.locator(".status-line .badge").inner_text() == "Live"

    # -- every setup page, on a desktop and on a phone
    sign_in(phone_page, base, admin.email)
    for view in (page, phone_page):
        size = "desktop" if view is page else "phone"
        for name, path in SETUP_PAGES:
            view.goto(program_url + path)
            expect(view.locator("h1").first).to_be_visible()
            if size == "phone":
                # Nothing wider than the screen: no sideways scrolling.
                width = view.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, f"{name} is {width}px wide on a phone"
            shot(view, f"admin-{name}-{size}")
        view.goto(f"{base}/admin/training/program/{program_id}")
        expect(view.get_by_role("heading", name="Publish training")).to_be_visible()
        if size == "phone":
            assert view.evaluate("document.documentElement.scrollWidth") <= 390
        shot(view, f"admin-training-{size}")
        view.goto(base + "/admin/audit")
        shot(view, f"admin-audit-{size}")
        view.goto(base + "/admin/")
        shot(view, f"admin-dashboard-{size}")
    assert errors == []
