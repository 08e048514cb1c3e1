"""The embedded channel: emails as .eml files (a folder per thousand messages), texts as JSON lines, under a local
folder. A fresh clone shows real messages without any provider credentials."""

from __future__ import annotations

import binascii
import hashlib
import json
import os
import re
import threading
from email.utils import format_datetime, formataddr
from pathlib import Path

from outreach.channels.base import OutgoingMessage, Receipt, Transport
from outreach.models import utcnow
from outreach.settings import Settings


class OutboxEmail(Transport):
    channel = "email"
    paced = False
    remote = False

    def __init__(self, directory: Path, from_address: str, from_name: str = "", reply_to: str = "") -> None:
        self.directory = Path(directory) / "email"
        sender = formataddr((from_name, from_address)) if from_name else from_address
        self._fixed = {"From": sender, **({"Reply-To": reply_to} if reply_to else {})}
        self.domain = from_address.rpartition("@")[2] or "outreach.local"
        self._made: set[int] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> "OutboxEmail":
        email = settings.email
        return cls(settings.outbox.directory, email.from_address, email.from_name, email.reply_to)

    def as_bytes(self, message: OutgoingMessage) -> bytes:
        """The .eml file for `message`: what `send` writes and what `campaigns preview` shows. Written directly:
        the same MIME layout the email package makes (multipart/alternative, base64 UTF-8 parts, unfolded
        headers), at a tenth of its cost. The same message always gives the same bytes: the date is the send's,
        the Message-ID comes from the row, and the boundary from the content."""
        # "_" is never in base64, so no body line can be the boundary; it comes from the row, not the content.
        digest = hashlib.blake2b(f"{message.message_id}\0{message.key}".encode(), digest_size=16).hexdigest()
        boundary = f"=_{digest}"
        headers = {
            "Content-Type": f'multipart/alternative; boundary="{boundary}"' if message.html else _TEXT_PART,
            "MIME-Version": "1.0",
            **self._fixed,
            "To": message.to,
            "Subject": message.subject,
            "Date": format_datetime(message.sent_at or utcnow(), usegmt=True),
            "Message-ID": f"<{message.message_id}.{_safe(message.key)}@{self.domain}>",
            **({} if message.html else {"Content-Transfer-Encoding": "base64"}),
            **message.headers,
        }
        head = "".join(f"{name}: {_header_value(value)}\r\n" for name, value in headers.items())
        if not message.html:
            return f"{head}\r\n".encode() + _base64(message.text)
        parts = (
            f"--{boundary}\r\n{_PART_HEAD.format(subtype)}\r\n".encode() + _base64(body) + b"\r\n"
            for subtype, body in (("plain", message.text), ("html", message.html))
        )
        return f"{head}\r\n".encode() + b"".join(parts) + f"--{boundary}--\r\n".encode()

    def send(self, message: OutgoingMessage) -> Receipt:
        data = self.as_bytes(message)
        path = self._folder(message.message_id) / f"{message.message_id:08d}-{_safe(message.key)}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return Receipt(provider_id=f"outbox-email-{message.message_id}")

    def _folder(self, message_id: int) -> Path:
        """The folder for messages FOLDER_SIZE at a time, named by the first id it holds. One folder for all grew
        slow to write into (creating a file takes the folder's lock: several workers queued on it) and to open."""
        first = message_id - message_id % FOLDER_SIZE
        folder = self.directory / f"{first:08d}"
        if first not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(first)
        return folder


FOLDER_SIZE = 1000
_WORD_BYTES = 45  # 60 base64 characters: an encoded word stays within RFC 2047's 75
_TEXT_PART = 'text/plain; charset="utf-8"'
_PART_HEAD = 'Content-Type: text/{}; charset="utf-8"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n'


def _header_value(value: str) -> str:
    """ASCII as written, however long (List-Unsubscribe URLs must stay whole); anything else as RFC 2047
    encoded words, each at most 75 characters, split between characters, one per folded line."""
    if value.isascii():
        return value
    data, words, start = value.encode("utf-8"), [], 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # never split a character's UTF-8 bytes
            end -= 1
        words.append(f"=?utf-8?b?{binascii.b2a_base64(data[start:end], newline=False).decode()}?=")
        start = end
    return "\r\n ".join(words)


def _base64(text: str) -> bytes:
    """Base64 in lines of 76 characters, each ending CRLF (base64.encodebytes, at two thirds of its cost)."""
    encoded = binascii.b2a_base64(text.encode("utf-8"), newline=False)
    lines = [encoded[start : start + _LINE] for start in range(0, len(encoded), _LINE)]
    return b"\r\n".join(lines) + b"\r\n" if lines else b""


_LINE = 76


class OutboxSms(Transport):
    channel = "sms"
    paced = False
    remote = False

    def __init__(self, directory: Path, from_number: str = "") -> None:
        self.path = Path(directory) / "sms.jsonl"
        self.from_number = from_number
        self._fd: int | None = None
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> Receipt:
        record = {
            "id": message.message_id,
            "key": message.key,
            "to": message.to,
            "from": self.from_number,
            "body": message.text,
            "at": utcnow().isoformat(),
            "test": message.is_test,
        }
        # One write per line to a file opened for appending: whole lines, whichever thread or process writes.
        os.write(self._file(), (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        return Receipt(provider_id=f"outbox-sms-{message.message_id}")

    def _file(self) -> int:
        with self._lock:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            return self._fd

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class NullTransport(Transport):
    """Sends nothing: for simulations that only want the decisions."""

    paced = False
    remote = False

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: OutgoingMessage) -> Receipt:
        return Receipt(provider_id=f"null-{message.message_id}")


_UNSAFE = re.compile(r"[^\w-]")  # \w is str.isalnum() and "_"


def _safe(key: str) -> str:
    return _UNSAFE.sub("_", key)[:120]
