"""The key that signs session cookies and unsubscribe links: $OUTREACH_SECRET_KEY, or one kept in a file.

Several processes may start together on a fresh install. The file is created with O_EXCL (so exactly one of them
writes it, mode 600 from the first instant) and the others wait until its content is there. A key under 32 bytes,
from either place, stops start-up: with an empty or short key anyone could forge an admin's session cookie."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tenacity import RetryError, retry, retry_if_result, stop_after_delay, wait_fixed

from outreach.settings import SettingsError

MIN_KEY_BYTES = 32
FILE_NAME = "secret_key"
WAIT_FOR_WRITER_SECONDS = 5.0


def signing_key(configured: str, data_dir: Path) -> str:
    """`configured` (from the environment) if set, else the per-install key in data_dir, made on first use."""
    if configured:
        return _long_enough(configured, "OUTREACH_SECRET_KEY")
    path = data_dir / FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(MIN_KEY_BYTES)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _long_enough(_read_when_written(path), str(path))
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key)
        file.flush()
        os.fsync(file.fileno())
    return key


def _read_when_written(path: Path) -> str:
    """The key another process is writing: it created the file a moment ago and writes it at once."""
    read = retry(
        stop=stop_after_delay(WAIT_FOR_WRITER_SECONDS),
        wait=wait_fixed(0.02),
        retry=retry_if_result(lambda key: not key),
    )(lambda: path.read_text(encoding="ascii").strip())
    try:
        return read()
    except RetryError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"secret key: cannot read {path}: {exc}") from None


def _long_enough(key: str, source: str) -> str:
    size = len(key.encode("utf-8"))
    if size < MIN_KEY_BYTES:
        remedy = (
            "set it to a long random value, e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            if source == "OUTREACH_SECRET_KEY"
            else "delete the file and a new key is made at the next start"
        )
        raise SettingsError(
            f"secret key: {source} holds {size} bytes, a signing key needs at least {MIN_KEY_BYTES}: {remedy}"
        )
    return key
