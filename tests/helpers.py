"""Story helpers for database tests: add clients and facts the way the front desk would."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator

from sqlmodel import Session, func, select

from outreach.context import Context
from outreach.models import Client, Message
from outreach.services import facts


def add_client(
    ctx: Context,
    external_id: str = "c1",
    *,
    at: datetime,
    first_name: str = "Ann",
    email: str | None = "ann@example.com",
    phone: str | None = "+16125550100",
    timezone: str = "America/Chicago",
    email_consent: bool = True,
    sms_consent: bool = True,
    status: str = "active",
    language: str = "en",
) -> int:
    with Session(ctx.engine, expire_on_commit=False) as session:
        client = Client(
            external_id=external_id,
            first_name=first_name,
            language=language,
            email=email,
            phone=phone,
            timezone=timezone,
            status=status,
            next_plan_at=at,
            created_at=at,
            updated_at=at,
        )
        session.add(client)
        session.flush()
        for channel, granted in (("email", email_consent), ("sms", sms_consent)):
            if granted:
                facts.record_consent(session, client, channel, True, "test", "test", at=at)
        session.commit()
        return client.id


def messages(ctx: Context, **where) -> list[Message]:
    with Session(ctx.engine) as session:
        query = select(Message).order_by(Message.id)
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        return list(session.exec(query))


def change(ctx: Context, client_id: int, action, *args, **kwargs):  # noqa: ANN001
    """Apply one facts service to a client, as the dashboard would."""
    with Session(ctx.engine, expire_on_commit=False) as session:
        client = session.get(Client, client_id)
        result = action(session, client, *args, **kwargs)
        session.commit()
        return result


def load(ctx: Context, model, ident):  # noqa: ANN001, ANN201
    """One row as it stands in the database now."""
    with Session(ctx.engine) as session:
        return session.get(model, ident)


def count(ctx: Context, model, *where) -> int:  # noqa: ANN001
    with Session(ctx.engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


@contextmanager
def web_client(ctx: Context, now: datetime, **options) -> Iterator:  # noqa: ANN003
    """The real web app on a frozen clock, reached over HTTP by FastAPI's TestClient."""
    from fastapi.testclient import TestClient

    from outreach.web.app import create_app

    app = create_app(ctx)
    app.state.clock = lambda: now
    with TestClient(app, **options) as client:
        yield client


def raw_post(client, path: str, body: bytes, headers: dict[str, str | bytes]) -> int:
    """POST through a started TestClient with header bytes exactly as given (Latin-1, as a raw HTTP client sends
    them): httpx re-encodes."""
    raw = [
        (name.lower().encode(), value if isinstance(value, bytes) else value.encode())
        for name, value in headers.items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw + [(b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    started: list[int] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            started.append(message["status"])

    try:
        client.portal.call(client.app, scope, receive, send)
    except Exception:  # noqa: BLE001  an error escaping the app is what a server answers with 500
        return 500
    return started[0] if started else 500


@contextmanager
def served(ctx: Context) -> Iterator[str]:
    """The real web app behind a real uvicorn server on a free loopback port; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    from outreach.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            lambda: create_app(ctx), factory=True, host="127.0.0.1", port=port, lifespan="off", log_level="info"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
