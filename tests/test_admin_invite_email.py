"""Optional invite emails: with SMTP_URL set, each new link is also mailed."""

from __future__ import annotations

import socketserver
import threading

import pytest

from peerwork.admin.mail import Mailer


class _SmtpStub(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept a message and keep it."""

    def handle(self):
        self.wfile.write(b"220 stub ready\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 stub\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.server.messages.append(data.decode())
                self.wfile.write(b"250 queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpStub)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin_and_program(make, client, session):
    org = make.org("Acme Health")
    program = make.program(org, name="Acme Peer Line")
    admin = make.admin(org)
    session.commit()
    client.login(admin)
    return admin, program


def test_new_invite_links_are_emailed_when_smtp_is_set(
    app, client, admin_and_program, smtp_server, monkeypatch
):
    _, program = admin_and_program
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{smtp_server.server_address[1]}")
    monkeypatch.setitem(app.config, "MAIL_FROM", "hr@acme.example")
    body = client.post_form(
        f"/admin/programs/{program.id}/volunteers", {"emails": "ana@example.com, ben@example.com"}
    ).get_data(as_text=True)
    assert body.count("Emailed") == 2
    assert "Each link was emailed to its person." in body
    assert len(smtp_server.messages) == 2
    first = smtp_server.messages[0]
    assert "To: ana@example.com" in first and "From: hr@acme.example" in first
    assert "Acme Health invites you to volunteer" in first
    assert "https://peerwork.test/invite/" in first


def test_a_failed_send_still_shows_the_link(app, client, admin_and_program, monkeypatch):
    _, program = admin_and_program
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:1")  # nothing listens there
    body = client.post_form(
        f"/admin/programs/{program.id}/volunteers", {"emails": "ana@example.com"}
    ).get_data(as_text=True)
    assert "Email failed: send the link yourself" in body
    assert "0 emailed, 1 could not be sent." in body
    assert 'value="https://peerwork.test/invite/' in body


def test_without_smtp_nothing_is_mailed_and_no_email_badge_shows(client, admin_and_program):
    _, program = admin_and_program
    body = client.post_form(
        f"/admin/programs/{program.id}/volunteers", {"emails": "ana@example.com"}
    ).get_data(as_text=True)
    assert "Emailed" not in body and "Email failed" not in body
    assert "Nothing was emailed:</strong> email is not set up on this server." in body
    assert "copy each link and send it yourself" in body


def test_revoking_an_invite_asks_first(client, admin_and_program):
    _, program = admin_and_program
    client.post_form(f"/admin/programs/{program.id}/volunteers", {"emails": "ana@example.com"})
    body = client.get(f"/admin/programs/{program.id}/volunteers").get_data(as_text=True)
    assert 'data-confirm="Revoke the invite for ana@example.com? Their link stops working."' in body


def test_smtp_url_forms():
    assert Mailer("smtps://u%40x:p@mail.example").port == 465
    starttls = Mailer("smtp+starttls://mail.example:587")
    assert (starttls.host, starttls.port, starttls.mail_from) == (
        "mail.example",
        587,
        "peerwork@mail.example",
    )
    with pytest.raises(ValueError):
        Mailer("http://mail.example")
