"""The command line: demo data a newcomer can use at once, and create-admin."""

from __future__ import annotations

from sqlalchemy import func, select

from peerwork import demo
from peerwork.cli import main
from peerwork.matching.eligibility import is_certified
from peerwork.models import EscalationContact, PeerProfile, Program, SkillCard, User


def test_demo_data_is_a_live_program_with_certified_peers(session, now):
    summary = demo.load(session, now=now)
    session.commit()
    assert summary.created
    program = session.scalar(select(Program).where(Program.sms_number == demo.PROGRAM_NUMBER))
    assert program.status == "live"
    assert [t.name for t in program.topics] == [name for name, _ in demo.TOPICS]
    peers = session.scalars(select(PeerProfile).where(PeerProfile.program_id == program.id)).all()
    assert len(peers) == len(demo.PEERS)
    assert all(is_certified(session, p.id, now) for p in peers)
    assert (
        session.scalar(
            select(func.count(EscalationContact.id)).where(
                EscalationContact.program_id == program.id
            )
        )
        == 1
    )
    assert (
        session.scalar(select(func.count(SkillCard.id)).where(SkillCard.program_id == program.id))
        >= 6
    )
    # Every printed login is a real account.
    printed = demo.describe(summary)
    for _role, email, password in summary.logins:
        assert email in printed and password in printed
        assert session.scalar(select(User).where(User.email == email)) is not None


def test_demo_data_loads_once(session, now):
    demo.load(session, now=now, history=False)
    again = demo.load(session, now=now)
    assert not again.created
    assert (
        session.scalar(select(func.count(Program.id)).where(Program.name == demo.PROGRAM_NAME)) == 1
    )


def test_demo_logins_work_in_the_browser_path(client, session, now):
    summary = demo.load(session, now=now, history=False)
    session.commit()
    role, email, password = summary.logins[0]
    response = client.post_form("/login", {"email": email, "password": password})
    assert response.status_code == 302
    assert client.get("/dashboard").headers["Location"].endswith("/admin/")


def test_create_admin_command(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        main,
        args=[
            "create-admin",
            "--email",
            "Hr.Lead@Example.com",
            "--name",
            "Hana",
            "--organization",
            "Globex",
        ],
        env={"PEERWORK_ADMIN_PASSWORD": "a calm and long passphrase"},
    )
    assert result.exit_code == 0, result.output
    assert "Admin hr.lead@example.com created for Globex." in result.output
    user = session.scalar(select(User).where(User.email == "hr.lead@example.com"))
    assert user.roles == {"admin"}


def test_create_admin_refuses_a_weak_password_and_creates_nothing(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        main,
        args=[
            "create-admin",
            "--email",
            "weak@example.com",
            "--name",
            "W",
            "--organization",
            "Globex",
        ],
        env={"PEERWORK_ADMIN_PASSWORD": "password123"},
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert session.scalar(select(User).where(User.email == "weak@example.com")) is None


def test_register_gives_flask_the_peerwork_commands(app):
    from peerwork.cli import register

    assert "create-admin" not in app.cli.commands  # the factory does not import the CLI
    register(app)
    assert {"create-admin", "worker", "scheduler", "db", "demo"} <= set(app.cli.commands)
