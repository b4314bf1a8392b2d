"""The admin and peer pages keep their endpoint names, URLs and methods when their
views move between modules (issue #14): a snapshot taken before the split."""

from __future__ import annotations

import json
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("page_routes.json")


def _routes(app) -> list[list]:
    return sorted(
        [rule.endpoint, rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})]
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in {"admin", "peers"}
    )


def test_admin_and_peer_pages_keep_their_endpoints_and_urls(app):
    assert _routes(app) == json.loads(SNAPSHOT.read_text())
