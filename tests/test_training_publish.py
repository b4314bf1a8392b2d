"""Publishing a program's training from the editor: the launch checklist's training item."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from peerwork.admin import launch, programs
from peerwork.models import AuditEvent, Program, TrainingModule, TrainingQuestion
from peerwork.training import authoring


@pytest.fixture
def org(make):
    return make.org("Acme Health")


@pytest.fixture
def admin(make, org, client, session):
    user = make.admin(org, name="Hana Admin")
    client.login(user)
    return user


@pytest.fixture
def program(session, org, admin, now):
    """A draft made the way an admin makes one: with the default curriculum."""
    return programs.create_program(
        session,
        organization_id=org.id,
        name="Acme Peer Line",
        timezone="America/New_York",
        now=now,
        actor=admin,
    )


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def training_item(session, program, now):
    return next(i for i in launch.checklist(session, program, now).items if i.key == "training")


def modules_of(session, program) -> list[TrainingModule]:
    return session.scalars(
        select(TrainingModule).where(TrainingModule.program_id == program.id)
    ).all()


def publish(client, program):
    return client.post_form(f"/admin/training/program/{program.id}/publish")


def test_a_new_program_is_not_published_and_the_checklist_links_to_the_editor(
    client, session, program, now
):
    item = training_item(session, program, now)
    assert not item.done
    overview = page(client.get(f"/admin/programs/{program.id}"))
    assert f'href="/admin/training/program/{program.id}" aria-label="Fix: Training published"' in (
        overview
    )
    editor = page(client.get(f"/admin/training/program/{program.id}"))
    assert "Not published" in editor and ">Publish training</button>" in editor


def test_publishing_completes_the_checklist_item_without_new_versions(
    client, session, program, now
):
    versions = {m.id: (m.version, m.version_published_at) for m in modules_of(session, program)}

    response = publish(client, program)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/training/program/{program.id}"
    editor = page(client.get(response.headers["Location"]))
    assert "Training published." in editor
    session.expire_all()
    program = session.get(Program, program.id)
    assert program.training_published_at is not None
    # The launch date in New York, as the admin reads it.
    local = program.training_published_at.astimezone(ZoneInfo(program.timezone))
    published_on = local.strftime("%d %B %Y")
    assert f"Published on {published_on}." in editor
    assert ">Publish training</button>" not in editor
    assert {
        m.id: (m.version, m.version_published_at) for m in modules_of(session, program)
    } == versions
    assert training_item(session, program, program.training_published_at).done
    overview = page(client.get(f"/admin/programs/{program.id}"))
    assert 'aria-label="Fix: Training published"' not in overview


def test_publishing_is_audited_once(client, session, program, admin):
    publish(client, program)
    again = publish(client, program)
    assert "already published" in page(client.get(again.headers["Location"]))
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "training.published")
    ).all()
    assert len(events) == 1
    assert (events[0].actor_user_id, events[0].object_type, events[0].object_id) == (
        admin.id,
        "program",
        program.id,
    )
    assert events[0].details == {"required_modules": 9}


def test_modules_with_no_publication_date_get_one(session, program, now, later):
    session.execute(
        update(TrainingModule)
        .where(TrainingModule.program_id == program.id)
        .values(version_published_at=None)
    )
    session.expire_all()
    assert authoring.publish_training(
        session, program_id=program.id, now=later(minutes=5), actor=None
    )
    assert {m.version_published_at for m in modules_of(session, program)} == {later(minutes=5)}
    assert {m.version for m in modules_of(session, program)} == {1}


def test_refused_while_no_required_module_has_a_quiz(client, session, program, now):
    session.execute(
        update(TrainingModule).where(TrainingModule.program_id == program.id).values(required=False)
    )
    authoring.add_module(
        session,
        program_id=program.id,
        title="House rules",
        lesson_md="Be kind.",
        now=now,
        actor=None,
    )
    session.commit()

    response = publish(client, program)

    editor = page(client.get(response.headers["Location"]))
    assert (
        "Training not published. Make at least one module with a quiz required before "
        "publishing the training." in editor
    )
    assert ">Publish training</button>" in editor
    session.expire_all()
    assert session.get(Program, program.id).training_published_at is None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "training.published")) is (
        None
    )


def test_refused_while_a_required_module_cannot_be_completed(session, program, now):
    module = modules_of(session, program)[0]
    session.execute(
        update(TrainingQuestion)
        .where(TrainingQuestion.module_id == module.id)
        .values(choices=["Yes"])
    )
    session.expire_all()
    with pytest.raises(authoring.AuthoringError, match=module.title):
        authoring.publish_training(session, program_id=program.id, now=now, actor=None)
    assert session.get(Program, program.id).training_published_at is None


def test_retired_required_modules_do_not_count(session, program, now):
    for module in modules_of(session, program):
        module.retired_at = now
    session.flush()
    with pytest.raises(authoring.AuthoringError, match="with a quiz required"):
        authoring.publish_training(session, program_id=program.id, now=now, actor=None)


def test_only_the_programs_own_admins_can_publish(client, session, program, make):
    stranger = make.admin(make.org("Other Corp"))
    client.post_form("/logout")
    client.login(stranger)
    assert publish(client, program).status_code == 404
    peer = make.peer(program)
    client.post_form("/logout")
    client.login(peer.user)
    assert publish(client, program).status_code == 403
    session.expire_all()
    assert session.get(Program, program.id).training_published_at is None


def test_a_publish_without_csrf_token_is_refused(client, session, program):
    response = client.post(f"/admin/training/program/{program.id}/publish")
    assert response.status_code == 400
    assert session.get(Program, program.id).training_published_at is None
