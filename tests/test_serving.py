"""Serving `wsgi:app` straight away (gunicorn, `flask --app wsgi run`) on a fresh checkout."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from peerwork import create_app
from peerwork.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]

# A fresh development instance, served as gunicorn would: import wsgi, answer a signed webhook.
FIRST_WEBHOOK = """
from urllib.parse import urlencode
from twilio.request_validator import RequestValidator
import wsgi
from peerwork.db import Base
from peerwork.extensions import db

app = wsgi.app
with app.app_context():
    Base.metadata.create_all(db.engine)
params = {"MessageSid": "SM" + "1" * 32, "From": "+17165550100", "To": "+17165550199",
          "Body": "hello", "AccountSid": "AC" + "0" * 32}
url = "https://peerwork.test/sms/inbound"
signature = RequestValidator("dev-token").compute_signature(url, params)
response = app.test_client().post(
    "/sms/inbound", data=urlencode(params), base_url="https://peerwork.test",
    headers={"X-Twilio-Signature": signature},
    content_type="application/x-www-form-urlencoded")
print("STATUS", response.status_code)
"""


def test_wsgi_app_on_a_fresh_instance_answers_its_first_webhook(tmp_path, redis_url):
    instance = tmp_path / "instance"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PEERWORK_", "TWILIO_"))
        and key not in {"SECRET_KEY", "DATABASE_URL"}
    }
    env.update(
        PEERWORK_INSTANCE=str(instance),
        DATABASE_URL=f"sqlite:///{tmp_path}/fresh.sqlite3",
        REDIS_URL=redis_url,
        TWILIO_AUTH_TOKEN="dev-token",
        PUBLIC_BASE_URL="https://peerwork.test",
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", FIRST_WEBHOOK],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    status = int(result.stdout.split("STATUS")[-1])
    assert status < 500
    data_key = (instance / "data_key").read_text()
    assert len(base64.urlsafe_b64decode(data_key)) == 32
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0


def test_an_app_without_secrets_refuses_to_start_and_says_which(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "PEERWORK_DATA_KEY", "PEERWORK_ENV"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY and DATA_KEY missing.*peerwork run"):
        create_app(instance_path=str(tmp_path / "empty"))
