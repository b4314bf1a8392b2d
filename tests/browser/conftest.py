"""Browser tests: Debian's Chromium driven by Playwright, against a live server.

Playwright never downloads a browser here: we launch /usr/bin/chromium (or
PEERWORK_CHROMIUM). Without Chromium these tests skip, except in CI (CI=true),
where a missing browser fails the run.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PEERWORK_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Chromium at {CHROMIUM} (apt-get install -y chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()
    playwright.stop()


class LiveServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


class AxeAudit:
    """axe-core on every page a browser test loads: no serious or critical violation.

    Each page is checked when it finishes loading (the "load" event), and
    `check(page)` checks the current state again after an interaction that
    changed it without a navigation. The verdict is given at teardown, so a
    test reports every offending page at once.
    """

    IMPACTS = ("serious", "critical")

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.checked: list[str] = []
        self.failures: list[str] = []

    def watch(self, page) -> None:
        page.on("load", self._on_load)

    def _on_load(self, page) -> None:
        try:
            self.check(page)
        except PlaywrightError as exc:
            # The page navigated away while axe ran (a redirect, a form that
            # submits itself); the next page's load is checked instead.
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise

    def check(self, page) -> None:
        results = self.axe.run(page)
        url = page.url
        self.checked.append(url)
        for violation in results.response["violations"]:
            if violation.get("impact") in self.IMPACTS:
                targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
                self.failures.append(
                    f"{url}: {violation['id']} ({violation['impact']}): "
                    f"{violation['help']} at {targets}"
                )

    def verdict(self) -> None:
        assert self.checked, "axe checked no page"
        assert self.failures == [], "axe-core violations:\n" + "\n".join(self.failures)


def _page(chromium, audit: AxeAudit, **options):
    context = chromium.new_context(**options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    audit.watch(page)
    return context, page


@pytest.fixture
def axe():
    """The axe audit shared by every page of one test; checked at teardown."""
    audit = AxeAudit()
    yield audit
    audit.verdict()


@pytest.fixture
def page(chromium, live_server, axe):
    context, page = _page(chromium, axe, viewport={"width": 1280, "height": 800})
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium, live_server, axe):
    context, page = _page(
        chromium,
        axe,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    context.close()


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def no_external_requests(page):
    """Fail if a page asks for anything that is not on the live server."""
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:")) else None
        ),
    )
    yield outside
    assert outside == []
