"""Accounts: sign in, rate limits, invites, password rules, CSRF, error pages, production settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from peerwork import clock, create_app
from peerwork.auth import invites
from peerwork.auth.passwords import WeakPassword, check_strength, hash_password, verify_password
from peerwork.config import ConfigError
from peerwork.models import Invite, Membership, PeerProfile, User
from tests import factories
from tests.conftest import TEST_DATA_KEY, TEST_SECRET


def _issue(
    session,
    app,
    org,
    *,
    now=None,
    role="peer",
    program=None,
    max_age=3600,
    email="new.peer@example.com",
):
    now = now or clock.now()
    issued = invites.issue(
        session,
        secret_key=app.config["SECRET_KEY"],
        organization_id=org.id,
        email=email,
        role=role,
        now=now,
        max_age_seconds=max_age,
        program_id=program.id if program else None,
    )
    session.commit()
    return issued


# -- sign in -------------------------------------------------------------------


def test_admin_signs_in_and_lands_on_admin_dashboard(client, make):
    admin = make.admin()
    response = client.login(admin)
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").headers["Location"].endswith("/admin/")


@pytest.mark.parametrize("password", ["wrong password entirely", ""])
def test_wrong_password_gets_clear_message_and_no_session(client, make, password):
    admin = make.admin()
    response = client.post_form("/login", {"email": admin.email, "password": password})
    assert response.status_code in (400, 401)
    if password:
        assert b"That email and password do not match an active account." in response.data
    assert client.get("/admin/").status_code == 302


def test_unknown_email_gets_the_same_message(client):
    response = client.post_form(
        "/login", {"email": "nobody@example.com", "password": "whatever it is here"}
    )
    assert response.status_code == 401
    assert b"That email and password do not match an active account." in response.data


def test_deactivated_account_cannot_sign_in(client, make, session):
    admin = make.admin()
    admin.active = False
    session.commit()
    response = client.post_form("/login", {"email": admin.email, "password": factories.PASSWORD})
    assert response.status_code == 401


def test_rotating_session_token_signs_out_every_session(client, make, session):
    admin = make.admin()
    client.login(admin)
    assert client.get("/admin/").status_code == 200
    admin.session_token = "rotated"
    session.commit()
    assert client.get("/admin/").status_code == 302


def test_login_is_rate_limited_across_processes(app, client, make):
    """Failures counted in Redis: a second app (another process) sees them too."""
    admin = make.admin()
    limit = app.config["LOGIN_ATTEMPTS_PER_WINDOW"]
    for _ in range(limit):
        assert (
            client.post_form(
                "/login", {"email": admin.email, "password": "bad password here"}
            ).status_code
            == 401
        )
    blocked = client.post_form("/login", {"email": admin.email, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data

    other = create_app(dict(app.config), instance_path=app.instance_path)
    other.test_client_class = type(client)
    with other.test_client() as second:
        response = second.post_form(
            "/login", {"email": admin.email, "password": factories.PASSWORD}
        )
    assert response.status_code == 429


def test_login_without_csrf_token_is_refused(client, make):
    admin = make.admin()
    response = client.post("/login", data={"email": admin.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert b"This form expired" in response.data
    assert client.get("/admin/").status_code == 302


def test_logout_needs_post_with_csrf(client, make):
    admin = make.admin()
    client.login(admin)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.post_form("/logout").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_oversized_fields_are_refused(client, make):
    response = client.post_form(
        "/login", {"email": "a" * 300 + "@example.com", "password": "x" * 20}
    )
    assert response.status_code == 400
    assert b"Field cannot be longer than 254 characters." in response.data
    huge = client.post_form("/login", {"email": "a@example.com", "password": "x" * (300 * 1024)})
    assert huge.status_code == 413


def test_open_redirect_after_login_is_refused(client, make):
    admin = make.admin()
    response = client.post_form(
        "/login?next=//evil.example/", {"email": admin.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"].endswith("/dashboard")


# -- passwords -------------------------------------------------------------------


def test_passwords_hashed_with_argon2id_at_owasp_cost():
    stored = hash_password("a long enough passphrase")
    assert stored.startswith("$argon2id$v=19$m=47104,t=1,p=1$")
    assert verify_password(stored, "a long enough passphrase")
    assert not verify_password(stored, "a long enough passphrasE")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "at least 12"),
        ("password123456", "most common"),
        ("Welcome2026!", "most common"),
        ("aaaaaaaaaaaaaaaa", "too few"),
        ("x" * 129, "at most 128"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, reason):
    with pytest.raises(WeakPassword, match=reason):
        check_strength(password)


def test_weak_stored_hash_is_upgraded_at_login(client, make, session):
    from argon2 import PasswordHasher

    admin = make.admin()
    admin.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        factories.PASSWORD
    )
    session.commit()
    client.login(admin)
    session.refresh(admin)
    assert "m=47104" in admin.password_hash


# -- invites ---------------------------------------------------------------------


def test_invite_creates_peer_account_with_profile(app, client, make, session, now):
    org = make.org()
    program = make.program(org)
    issued = _issue(session, app, org, program=program)
    page = client.get(f"/invite/{issued.token}")
    assert page.status_code == 200 and b"new.peer@example.com" in page.data

    response = client.post_form(
        f"/invite/{issued.token}",
        {
            "name": "Robin Q",
            "password": "listening is a skill 77",
            "confirm": "listening is a skill 77",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "new.peer@example.com"))
    assert user is not None and user.roles == {"peer"}
    assert (
        session.scalar(select(PeerProfile).where(PeerProfile.user_id == user.id)).program_id
        == program.id
    )
    assert session.get(Invite, issued.invite.id).used_at is not None


def test_used_invite_cannot_be_used_again(app, client, make, session, now):
    org = make.org()
    issued = _issue(session, app, org, role="admin", email="second.admin@example.com")
    data = {
        "name": "Alex",
        "password": "listening is a skill 77",
        "confirm": "listening is a skill 77",
    }
    assert client.post_form(f"/invite/{issued.token}", data).status_code == 302
    client.post_form("/logout")
    again = client.post_form(f"/invite/{issued.token}", data)
    assert again.status_code == 410
    assert b"already been used" in again.data
    assert (
        session.scalar(select(func.count(User.id)).where(User.email == "second.admin@example.com"))
        == 1
    )


def test_expired_invite_is_refused(app, client, make, session, now):
    import time_machine

    org = make.org()
    issued = _issue(session, app, org, now=now - timedelta(hours=2), max_age=3600)
    with time_machine.travel(now, tick=False):
        response = client.get(f"/invite/{issued.token}")
    assert response.status_code == 410
    assert b"This invite link has expired" in response.data


@pytest.mark.parametrize("tamper", ["forged", "truncated", "resigned"])
def test_forged_invite_is_refused(app, client, make, session, now, tamper):
    from itsdangerous import URLSafeSerializer

    org = make.org()
    issued = _issue(session, app, org)
    token = {
        "forged": issued.token[:-3] + ("AAA" if not issued.token.endswith("AAA") else "BBB"),
        "truncated": issued.token[:10],
        "resigned": URLSafeSerializer("some other secret", salt=invites.SALT).dumps(
            {"i": issued.invite.id, "n": "x"}
        ),
    }[tamper]
    response = client.post_form(
        f"/invite/{token}",
        {
            "name": "Eve",
            "password": "listening is a skill 77",
            "confirm": "listening is a skill 77",
        },
    )
    assert response.status_code == 404
    assert b"This invite link is not valid" in response.data
    assert (
        session.scalar(
            select(func.count(Membership.id)).where(Membership.organization_id == org.id)
        )
        == 0
    )


def test_weak_password_on_invite_keeps_invite_unused(app, client, make, session, now):
    org = make.org()
    issued = _issue(session, app, org)
    response = client.post_form(
        f"/invite/{issued.token}",
        {"name": "Robin", "password": "password123", "confirm": "password123"},
    )
    assert response.status_code == 400
    assert b"at least 12 characters" in response.data
    assert session.get(Invite, issued.invite.id).used_at is None
    assert session.scalar(select(User).where(User.email == "new.peer@example.com")) is None


# -- error pages and headers -----------------------------------------------------


def test_not_found_page_is_friendly_and_leaks_nothing(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"Traceback" not in response.data


def test_server_error_page_leaks_nothing(app, tmp_path):
    broken = create_app({**dict(app.config), "TESTING": False}, instance_path=str(tmp_path))

    @broken.get("/boom")
    def boom():
        raise RuntimeError("secret detail +17165550123")

    response = broken.test_client().get("/boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert b"secret detail" not in response.data and b"7165550123" not in response.data


def test_security_headers(client):
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


# -- production settings ---------------------------------------------------------


PROD_ENV = {
    "PEERWORK_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "PEERWORK_DATA_KEY": TEST_DATA_KEY,
    "DATABASE_URL": "postgresql://postgres@127.0.0.1/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_BASE_URL": "https://peer.example.com",
}


def _prod_env(monkeypatch, **changes):
    for key in [*PROD_ENV, "FLASK_DEBUG", "PEERWORK_DEBUG"]:
        monkeypatch.delenv(key, raising=False)
    for key, value in {**PROD_ENV, **changes}.items():
        if value is not None:
            monkeypatch.setenv(key, value)


def test_production_starts_with_every_setting(monkeypatch, tmp_path):
    _prod_env(monkeypatch)
    app = create_app(instance_path=str(tmp_path))
    assert app.config["ENV"] == "production" and not app.debug
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["DEV_PHONE_ENABLED"] is False
    assert "devphone" not in app.blueprints


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is required in production"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
        ({"PEERWORK_DATA_KEY": None}, "PEERWORK_DATA_KEY is required in production"),
        ({"PEERWORK_DATA_KEY": "not-base64-32-bytes"}, "PEERWORK_DATA_KEY must be 32 bytes"),
        ({"DATABASE_URL": None}, "DATABASE_URL must point at PostgreSQL"),
        ({"DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": None}, "REDIS_URL is required in production"),
        ({"TWILIO_AUTH_TOKEN": None}, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required"),
        ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL is required"),
        (
            {"PUBLIC_BASE_URL": "http://peer.example.com"},
            "PUBLIC_BASE_URL must start with https://",
        ),
        ({"FLASK_DEBUG": "1"}, "must be off in production"),
    ],
)
def test_production_refuses_to_start_and_names_the_setting(monkeypatch, tmp_path, changes, message):
    _prod_env(monkeypatch, **changes)
    with pytest.raises(ConfigError, match=message):
        create_app(instance_path=str(tmp_path))


def test_production_reports_every_problem_at_once(monkeypatch, tmp_path):
    _prod_env(monkeypatch, SECRET_KEY=None, REDIS_URL=None)
    with pytest.raises(ConfigError) as info:
        create_app(instance_path=str(tmp_path))
    assert "SECRET_KEY" in str(info.value) and "REDIS_URL" in str(info.value)


def test_test_secret_is_not_the_production_default():
    assert TEST_SECRET != PROD_ENV["SECRET_KEY"]


def test_login_still_works_when_redis_is_down(app, client, make, caplog):
    """An outage must not lock volunteers out (the limiter counts in the process meanwhile)."""
    import redis

    from peerwork.extensions import get_redis, set_service

    real = get_redis(app)
    set_service(
        "redis", redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), app
    )
    try:
        admin = make.admin()
        response = client.post_form(
            "/login", {"email": admin.email, "password": factories.PASSWORD}
        )
    finally:
        set_service("redis", real, app)
    assert response.status_code == 302
    assert "login rate limiter unavailable" in caplog.text


def test_an_id_too_large_for_the_database_is_not_found(client, make):
    admin = make.admin()
    client.login(admin)
    response = client.get("/admin/programs/99999999999999999999999")
    assert response.status_code == 404
    assert b"Page not found" in response.data
