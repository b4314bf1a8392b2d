"""The axe audit every browser test relies on really fails on a bad page."""

from __future__ import annotations

from tests.browser.conftest import AxeAudit


def test_the_audit_reports_low_contrast_and_passes_a_clean_page(chromium):
    context = chromium.new_context()
    try:
        page = context.new_page()
        bad = AxeAudit()
        page.set_content(
            '<html lang="en"><title>t</title><body><main>'
            '<p style="color:#999;background:#fff">faded words</p></main></body></html>'
        )
        bad.check(page)
        assert any("color-contrast" in f for f in bad.failures)

        good = AxeAudit()
        page.set_content(
            '<html lang="en"><title>t</title><body><main><h1>Fine</h1>'
            '<p style="color:#1d2a2b;background:#fff">clear words</p></main></body></html>'
        )
        good.check(page)
        good.verdict()
    finally:
        context.close()
