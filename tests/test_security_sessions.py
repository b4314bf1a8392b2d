"""Sessions and sign-in under attack and outage: logout ends the session on the server,
the login limit holds while Redis is down, demo logins never reach production."""

from __future__ import annotations

import pytest
import redis

from peerwork import cli, create_app
from peerwork.auth import ratelimit
from peerwork.extensions import get_redis, set_service
from tests import factories
from tests.test_auth import _prod_env

# -- sign out -------------------------------------------------------------------


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_copied_session_cookie_is_dead_after_sign_out(app, client, make):
    program = make.program()
    peer = make.peer(program)
    client.login(peer.user)
    assert client.get("/peer/").status_code == 200
    stolen = _session_cookie(client)

    assert client.post_form("/logout").status_code == 302

    with app.test_client() as thief:
        thief.set_cookie("session", stolen)
        response = thief.get("/peer/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_signing_in_again_does_not_revive_an_old_cookie(app, client, make):
    program = make.program()
    peer = make.peer(program)
    client.login(peer.user)
    stolen = _session_cookie(client)
    client.post_form("/logout")
    # Signing in again afterwards must not bring the old cookie back to life.
    client.login(peer.user)
    with app.test_client() as thief:
        thief.set_cookie("session", stolen)
        assert thief.get("/peer/").status_code == 302
    assert client.get("/peer/").status_code == 200


# -- login limit while Redis is down --------------------------------------------


@pytest.fixture
def redis_down(app):
    ratelimit.reset_fallback()
    real = get_redis(app)
    set_service(
        "redis", redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), app
    )
    try:
        yield
    finally:
        set_service("redis", real, app)
        ratelimit.reset_fallback()


def test_login_limit_holds_while_redis_is_down(app, client, make, redis_down, caplog):
    admin = make.admin()
    limit = app.config["LOGIN_ATTEMPTS_PER_WINDOW"]
    for _ in range(limit):
        response = client.post_form("/login", {"email": admin.email, "password": "bad guess here"})
        assert response.status_code == 401
    blocked = client.post_form("/login", {"email": admin.email, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data
    assert "login rate limiter unavailable" in caplog.text


def test_the_fallback_limit_also_counts_per_address(app, client, make, redis_down):
    limit = app.config["LOGIN_ATTEMPTS_PER_WINDOW"]
    for n in range(limit):
        client.post_form("/login", {"email": f"guess{n}@example.com", "password": "bad guess"})
    admin = make.admin()
    response = client.post_form("/login", {"email": admin.email, "password": factories.PASSWORD})
    assert response.status_code == 429


def test_the_fallback_window_ends(app, client, make, redis_down, travel):
    admin = make.admin()
    for _ in range(app.config["LOGIN_ATTEMPTS_PER_WINDOW"]):
        client.post_form("/login", {"email": admin.email, "password": "bad guess here"})
    travel.shift(app.config["LOGIN_WINDOW_SECONDS"] + 1)
    response = client.post_form("/login", {"email": admin.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def test_the_fallback_keeps_a_bounded_number_of_keys(travel):
    counter = ratelimit.MemoryCounter(max_keys=100)
    for n in range(1000):
        counter.incr(f"k{n}", window_seconds=60)
    assert len(counter) <= 100


# -- demo data never in production --------------------------------------------------


# A closed port: if a guard were missing, nothing could be written anywhere.
NOWHERE = "postgresql://postgres@127.0.0.1:1/nothing"


def test_demo_command_refuses_to_run_in_production(monkeypatch, tmp_path):
    _prod_env(monkeypatch, DATABASE_URL=NOWHERE)
    prod = create_app(instance_path=str(tmp_path))
    cli.register(prod)  # the commands, as wsgi.py attaches them for `flask --app wsgi`
    with prod.app_context():  # the command's app, not the test app already in context
        result = prod.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "demo" in result.output and "production" in result.output


def test_demo_refuses_production_whoever_calls_it():
    from peerwork import demo

    with pytest.raises(demo.DemoRefused, match="production"):
        demo.refuse_in_production("production")
    demo.refuse_in_production("development")


def test_run_refuses_production_before_loading_demo_data(monkeypatch, tmp_path):
    _prod_env(monkeypatch, DATABASE_URL=NOWHERE)
    prod = create_app(instance_path=str(tmp_path))
    cli.register(prod)
    with prod.app_context():
        result = prod.test_cli_runner().invoke(args=["run"])
    assert result.exit_code != 0
    assert "production" in result.output and "Traceback" not in result.output
