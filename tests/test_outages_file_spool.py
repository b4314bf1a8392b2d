"""The database AND Redis are down: texts are kept in an encrypted local file, stored once later."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from peerwork import clock
from peerwork import jobs as peerwork_jobs
from peerwork.extensions import db, get_dispatcher, get_redis, get_vault
from peerwork.models import Message
from peerwork.queue import URGENT
from peerwork.sms import texts
from peerwork.texter import inbound, outage, spoolfile
from tests.sms_helpers import Phone, new_sid, post_signed

NUMBER = "+17165550177"
ROOT = Path(__file__).resolve().parents[1]


def _database_down(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def _redis_down(*_args, **_kwargs):
    raise redis.ConnectionError("down")


@pytest.fixture
def spool_dir(app):
    directory = spoolfile.directory(app.instance_path)
    yield directory
    for leftover in directory.glob("*"):
        leftover.unlink()


@pytest.fixture
def both_down(monkeypatch, app):
    """The database and Redis unreachable for the webhook (the undo brings them back)."""

    def down():
        monkeypatch.setattr(inbound, "receive", _database_down)
        monkeypatch.setattr(get_redis(), "rpush", _redis_down)

    return down


def _ingest(jobs):
    get_dispatcher().enqueue(peerwork_jobs.ingest_spooled_inbound, queue=URGENT)
    jobs.run(until=clock.now() + timedelta(seconds=5))


def _stored(body: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.direction == "inbound", Message.body == body)
    )


def _spool_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.glob("*")))


def test_both_down_a_text_is_kept_on_disk_encrypted_and_stored_once_after(
    client, make, jobs, monkeypatch, both_down, spool_dir
):
    program = make.program()
    phone = Phone(client, program, NUMBER, jobs)
    phone.sends("hi")  # this process now knows the program
    both_down()

    assert phone.sends("is anyone there?", run_jobs=False) == []  # 200, answered later
    assert phone.sends("i want to kill myself tonight", run_jobs=False) == [texts.render("crisis")]
    on_disk = _spool_bytes(spool_dir)
    assert on_disk, "nothing written to the local spool"
    for clear in (b"anyone there", b"kill myself", NUMBER.encode(), NUMBER[2:].encode()):
        assert clear not in on_disk
    assert get_vault().decrypt(on_disk.splitlines()[0])  # the app's own encryption

    monkeypatch.undo()  # both back
    _ingest(jobs)
    _ingest(jobs)  # again: still stored once
    assert _stored("is anyone there?") == 1
    assert _stored("i want to kill myself tonight") == 1
    crisis = db.session.scalar(
        select(Message).where(Message.body == "i want to kill myself tonight")
    )
    assert crisis.is_crisis and crisis.processed_at is not None
    assert list(spool_dir.glob("*")) == []  # nothing left to ingest
    assert phone.received().count(texts.render("crisis")) == 1  # not sent a second time


def test_a_crash_mid_ingest_stores_nothing_twice(client, make, jobs, monkeypatch, spool_dir, app):
    program = make.program()
    Phone(client, program, NUMBER, jobs).sends("hi")
    vault = get_vault()
    bodies = ["first", "second", "third"]
    for body in bodies:
        outage.answer_without_database(
            to=program.sms_number,
            from_=NUMBER,
            body=body,
            message_sid=new_sid(),
            now=clock.now(),
            vault=vault,
            connection=None,  # Redis unreachable
            prefix="",
            spool_dir=spool_dir,
        )
    real_store = outage.store_record
    calls = []

    def crash_after_one(session, record, **kwargs):
        calls.append(record)
        if len(calls) == 2:
            raise SystemExit("killed mid-ingest")
        return real_store(session, record, **kwargs)

    monkeypatch.setattr(outage, "store_record", crash_after_one)
    with pytest.raises(SystemExit):
        outage.ingest_files(
            db.session, directory=spool_dir, vault=vault, dispatcher=get_dispatcher()
        )
    db.session.rollback()
    assert [p.name for p in spool_dir.glob("*")] != []  # the claimed file is still there
    monkeypatch.undo()

    assert (
        outage.ingest_files(
            db.session, directory=spool_dir, vault=vault, dispatcher=get_dispatcher()
        )
        == 3
    )
    assert [_stored(body) for body in bodies] == [1, 1, 1]
    assert list(spool_dir.glob("*")) == []


def test_a_claim_left_by_a_dead_process_is_taken_over(client, make, jobs, spool_dir):
    program = make.program()
    Phone(client, program, NUMBER, jobs).sends("hi")
    vault = get_vault()
    outage.answer_without_database(
        to=program.sms_number,
        from_=NUMBER,
        body="left behind",
        message_sid=new_sid(),
        now=clock.now(),
        vault=vault,
        connection=None,
        prefix="",
        spool_dir=spool_dir,
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    dead.wait()
    (written,) = spool_dir.glob("*.spool")
    written.rename(spoolfile.claimed_name(written, pid=dead.pid))

    assert (
        outage.ingest_files(
            db.session, directory=spool_dir, vault=vault, dispatcher=get_dispatcher()
        )
        == 1
    )
    assert _stored("left behind") == 1


def test_a_claim_held_by_a_live_process_is_left_alone(spool_dir, app):
    vault = get_vault()
    spoolfile.append(spool_dir, vault.encrypt("x"))
    (written,) = spool_dir.glob("*.spool")
    written.rename(spoolfile.claimed_name(written, pid=os.getppid()))  # alive, not us
    assert spoolfile.claim_all(spool_dir) == []


def test_a_writer_never_adds_to_a_file_already_claimed(spool_dir, app):
    vault = get_vault()
    spoolfile.append(spool_dir, vault.encrypt("one"))
    (claimed,) = spoolfile.claim_all(spool_dir)
    spoolfile.append(spool_dir, vault.encrypt("two"))  # after the claim: a new file
    assert [vault.decrypt(t) for t in spoolfile.read(claimed)] == ["one"]
    spoolfile.release(claimed)
    (second,) = spoolfile.claim_all(spool_dir)
    assert [vault.decrypt(t) for t in spoolfile.read(second)] == ["two"]
    spoolfile.release(second)
    assert spoolfile.claim_all(spool_dir) == []


def test_a_text_that_cannot_be_kept_anywhere_is_refused_so_twilio_retries(
    client, make, both_down, monkeypatch, spool_dir
):
    program = make.program()
    both_down()

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spoolfile, "append", disk_full)
    params = {
        "MessageSid": new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": NUMBER,
        "To": program.sms_number,
        "Body": "hello?",
    }
    assert post_signed(client, "/sms/inbound", params).status_code == 503
    params.update(MessageSid=new_sid(), Body="i want to end my life")
    response = post_signed(client, "/sms/inbound", params)
    assert response.status_code == 200
    assert texts.render("crisis").split(".")[0] in response.get_data(as_text=True)


@pytest.mark.committed
@pytest.mark.real_clock
def test_the_web_process_stores_its_spool_file_by_itself_once_the_database_is_back(
    client, make, monkeypatch, spool_dir, app
):
    """No worker on this host: the process that wrote the file (or a new one) stores it."""
    program = make.program()
    db.session.commit()
    Phone(client, program, NUMBER).sends("hi")
    outage.answer_without_database(
        to=program.sms_number,
        from_=NUMBER,
        body="kept by the web process",
        message_sid=new_sid(),
        now=clock.now(),
        vault=get_vault(),
        connection=None,
        prefix="",
        spool_dir=spool_dir,
    )
    monkeypatch.setitem(app.config, "SPOOL_INGEST_INTERVAL", 0.05)
    outage.ingest_in_background(app)  # what the webhook and gunicorn's post_worker_init call
    thread = outage._BACKGROUND["thread"]
    thread.join(timeout=30)
    assert not thread.is_alive()  # it stops once the folder is empty
    db.session.rollback()
    assert _stored("kept by the web process") == 1
    assert list(spool_dir.glob("*")) == []


def test_gunicorn_starts_the_spool_ingest_in_each_web_process(monkeypatch, app):
    config: dict = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), config)  # noqa: S102
    started = []
    monkeypatch.setattr(outage, "ingest_in_background", started.append)
    config["post_worker_init"](SimpleNamespace(wsgi=app))
    assert started == [app]
