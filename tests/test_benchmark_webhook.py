"""benchmarks/webhook.py is run by hand; here only that it imports and reads its options."""

from __future__ import annotations

import pytest

from benchmarks import webhook


def test_the_webhook_benchmark_reads_its_options():
    args = webhook.parse(["--quick", "--only", "closed,first", "--sizes", "1000,100000"])
    assert args.only == ["closed", "first"]
    assert args.sizes == [1000, 100000]
    assert args.seconds < webhook.parse([]).seconds  # --quick shortens the rounds
    assert webhook.parse([]).drain_workers == [1, 2]


def test_the_webhook_benchmark_refuses_an_unknown_part():
    with pytest.raises(SystemExit):
        webhook.parse(["--only", "closed,everything"])


def test_the_bare_baseline_checks_signatures(monkeypatch, database_url):
    monkeypatch.setenv("BENCH_DATABASE_URL", database_url)
    client = webhook.bare_app().test_client()
    assert client.post(webhook.PATH, data={"MessageSid": "SM1"}).status_code == 403
