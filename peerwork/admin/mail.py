"""Optional invite emails over SMTP (SMTP_URL); without it the admin copies the links.

URL forms: smtp://host:port (plain), smtp+starttls://user:pass@host:587,
smtps://user:pass@host:465. A failed send never loses an invite: the link is
shown to the admin either way.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 10


class Mailer:
    """Sends plain-text mail through one SMTP server."""

    def __init__(self, smtp_url: str, mail_from: str | None = None) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.mail_from = mail_from or f"peerwork@{self.host}"

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Send one message; raises OSError or smtplib.SMTPException on failure."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.mail_from, to, subject
        message.set_content(body)
        cls = smtplib.SMTP_SSL if self.scheme == "smtps" else smtplib.SMTP
        with cls(self.host, self.port, timeout=TIMEOUT_SECONDS) as server:
            if self.scheme == "smtp+starttls":
                server.starttls()
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(message)


def invite_body(*, program_name: str, organization_name: str, link: str, days: int) -> str:
    """The invite email's text."""
    return (
        f"Hello,\n\n{organization_name} invites you to volunteer as a peer listener for "
        f"{program_name}.\n\nCreate your account and start the training here:\n{link}\n\n"
        f"The link works once and expires in {days} days. If you did not expect this email, "
        "you can ignore it.\n"
    )
