"""The embedded channel: emails as .eml files, texts as JSON lines, under a local folder.
A fresh clone shows real messages without any provider credentials."""
from __future__ import annotations

import hashlib
import json
import threading
from email import policy
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

from outreach.channels.base import OutgoingMessage, Receipt, Transport
from outreach.models import utcnow
from outreach.settings import Settings

# Long header values (List-Unsubscribe URLs) must stay as written, never folded or encoded.
UNFOLDED = policy.compat32.clone(max_line_length=0, linesep="\r\n")


class OutboxEmail(Transport):
    channel = "email"
    paced = False

    def __init__(self, directory: Path, from_address: str, from_name: str = "", reply_to: str = "") -> None:
        self.directory = Path(directory) / "email"
        self.sender = formataddr((from_name, from_address)) if from_name else from_address
        self.domain = from_address.rpartition("@")[2] or "outreach.local"
        self.reply_to = reply_to

    @classmethod
    def from_settings(cls, settings: Settings) -> "OutboxEmail":
        email = settings.email
        return cls(settings.outbox.directory, email.from_address, email.from_name, email.reply_to)

    def build(self, message: OutgoingMessage) -> Message:
        # The legacy MIME classes build a message about 3x faster than EmailMessage, which parses every header.
        email = MIMEMultipart("alternative") if message.html else MIMEText(message.text, "plain", "utf-8")
        headers = {"From": self.sender, "To": message.to, "Subject": message.subject,
                   "Date": format_datetime(message.sent_at or utcnow(), usegmt=True),
                   "Message-ID": f"<{message.message_id}.{_safe(message.key)}@{self.domain}>",
                   **({"Reply-To": self.reply_to} if self.reply_to else {}), **message.headers}
        for name, value in headers.items():
            email[name] = value if value.isascii() else Header(value, "utf-8")
        if message.html:
            email.attach(MIMEText(message.text, "plain", "utf-8"))
            email.attach(MIMEText(message.html, "html", "utf-8"))
            # Derived from the content instead of random, so the same message always gives the same bytes.
            email.set_boundary("=_" + hashlib.sha256(f"{message.text}\0{message.html}".encode()).hexdigest()[:32])
        return email

    def as_bytes(self, message: OutgoingMessage) -> bytes:
        """The .eml file for `message`: what `send` writes and what `campaigns preview` shows."""
        return self.build(message).as_bytes(policy=UNFOLDED)

    def send(self, message: OutgoingMessage) -> Receipt:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{message.message_id:08d}-{_safe(message.key)}.eml"
        (self.directory / name).write_bytes(self.as_bytes(message))
        return Receipt(provider_id=f"outbox-email-{message.message_id}")


class OutboxSms(Transport):
    channel = "sms"
    paced = False
    _lock = threading.Lock()

    def __init__(self, directory: Path, from_number: str = "") -> None:
        self.path = Path(directory) / "sms.jsonl"
        self.from_number = from_number

    def send(self, message: OutgoingMessage) -> Receipt:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {"id": message.message_id, "key": message.key, "to": message.to, "from": self.from_number,
                  "body": message.text, "at": utcnow().isoformat(), "test": message.is_test}
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return Receipt(provider_id=f"outbox-sms-{message.message_id}")


class NullTransport(Transport):
    """Sends nothing: for simulations that only want the decisions."""

    paced = False

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: OutgoingMessage) -> Receipt:
        return Receipt(provider_id=f"null-{message.message_id}")


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in key)[:120]
