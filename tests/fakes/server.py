"""A local stand-in for a provider's API: the real SDKs talk to it over HTTP on 127.0.0.1.

It checks each request against the provider's contract (a subclass says how), records it, and misbehaves on
cue: rules inject a status (429, 5xx, a permanent error), a delay (to run past the client's timeout) or a
connection reset, for the next N requests, a seeded random share of them, or one recipient.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# The providers' OpenAPI documents, kept beside the repository as data (see ../shared/specs/README.md).
SPECS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def load_spec(name: str) -> dict[str, Any] | None:
    """A provider's OpenAPI document, or None when the specs are not beside this checkout."""
    path = SPECS_DIR / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> "Reply":
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


def busiest_second(requests: list["Request"]) -> int:
    """The most requests that arrived in any one-second window."""
    moments = sorted(request.arrived for request in requests)
    return max((bisect_left(moments, t + 1.0) - i for i, t in enumerate(moments)), default=0)


@dataclass
class Request:
    """One request as the fake saw it, and what it did with it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    fields: Any = None
    to: str = ""
    problems: list[str] = field(default_factory=list)
    outcome: str = ""
    status: int = 0
    reply: Reply | None = None
    arrived: float = field(default_factory=time.monotonic)

    @property
    def answer(self) -> Any:
        """The JSON the fake answered with."""
        return json.loads(self.reply.body) if self.reply and self.reply.body else None


@dataclass(frozen=True)
class Fault:
    kind: str  # "reply", "delay" or "reset"
    reply: Reply | None = None
    seconds: float = 0.0

    @classmethod
    def status(cls, status: int, payload: Any = None, headers: dict[str, str] | None = None) -> "Fault":
        if payload is None:
            return cls("reply", Reply(status, b"", headers or {}))
        return cls("reply", Reply.json(status, payload, headers))

    @classmethod
    def delay(cls, seconds: float) -> "Fault":
        """Answer normally, but only after `seconds`: past the client's timeout the request still succeeded."""
        return cls("delay", seconds=seconds)

    @classmethod
    def reset(cls) -> "Fault":
        """Read the request, then drop the connection with a TCP reset instead of answering."""
        return cls("reset")


@dataclass
class Rule:
    fault: Fault
    remaining: int | None = None
    rate: float = 1.0
    rng: random.Random | None = None
    to: str | None = None

    def takes(self, request: Request) -> bool:
        if self.remaining == 0 or (self.to is not None and request.to != self.to):
            return False
        if self.rate < 1.0 and (self.rng or random).random() >= self.rate:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


class FakeProvider:
    """Subclasses define parse (fields and recipient), check (contract problems) and the replies."""

    name = "provider"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.rules: list[Rule] = []
        self.latency = 0.0
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- provider specifics -------------------------------------------------------------------------
    def parse(self, request: Request) -> None:
        raise NotImplementedError

    def check(self, request: Request) -> list[str]:
        raise NotImplementedError

    def rejection(self, request: Request) -> Reply:
        raise NotImplementedError

    def success(self, request: Request) -> Reply:
        raise NotImplementedError

    # --- what tests use ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def accepted(self) -> list[Request]:
        """Requests the provider took on: each one is a message that went out."""
        with self._lock:
            return [request for request in self.requests if request.outcome == "accepted"]

    @property
    def violations(self) -> list[str]:
        with self._lock:
            return [
                f"{request.method} {request.path}: {problem}"
                for request in self.requests
                for problem in request.problems
            ]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every request received so far has been answered (or dropped)."""
        with self._lock:
            return self._lock.wait_for(lambda: all(request.outcome for request in self.requests), timeout)

    def add_rule(
        self,
        fault: Fault,
        *,
        times: int | None = None,
        rate: float = 1.0,
        seed: int | None = None,
        to: str | None = None,
    ) -> Rule:
        rule = Rule(fault, times, rate, random.Random(seed) if seed is not None else None, to)
        with self._lock:
            self.rules.append(rule)
        return rule

    def fail_next(self, times: int, fault: Fault) -> Rule:
        return self.add_rule(fault, times=times)

    def fail_randomly(self, rate: float, fault: Fault, seed: int) -> Rule:
        return self.add_rule(fault, rate=rate, seed=seed)

    def fail_for(self, to: str, fault: Fault) -> Rule:
        return self.add_rule(fault, to=to)

    def start(self) -> "FakeProvider":
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"fake-{self.name}", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeProvider":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- the request cycle ----------------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        request = _read(handler)
        try:
            self.parse(request)
        except ValueError as exc:
            request.problems.append(f"unreadable body: {exc}")
        else:
            request.problems.extend(self.check(request))
        with self._lock:
            self.requests.append(request)
            fault = next((rule.fault for rule in self.rules if rule.takes(request)), None)
        if self.latency:
            self._stopping.wait(self.latency)
        if request.problems:
            return self._answer(handler, request, "rejected", self.rejection(request))
        if fault is not None and fault.kind == "reset":
            self._finish(request, "reset")
            return _reset(handler)
        if fault is not None and fault.kind == "reply":
            return self._answer(handler, request, f"failed {fault.reply.status}", fault.reply)
        if fault is not None and fault.kind == "delay":
            self._stopping.wait(fault.seconds)
        self._answer(handler, request, "accepted", self.success(request))

    def _answer(self, handler: BaseHTTPRequestHandler, request: Request, outcome: str, reply: Reply) -> None:
        # Recorded before answering, so a test that got its answer always sees the record.
        self._finish(request, outcome, reply)
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up waiting (its timeout): the provider still did the work

    def _finish(self, request: Request, outcome: str, reply: Reply | None = None) -> None:
        with self._lock:
            request.outcome, request.reply = outcome, reply
            request.status = reply.status if reply else 0
            self._lock.notify_all()


def _read(handler: BaseHTTPRequestHandler) -> Request:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    path = handler.path.split("?", 1)[0]
    return Request(handler.command, path, {k.lower(): v for k, v in handler.headers.items()}, body)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.connection.close()


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when the dispatcher's threads connect at once; a dropped SYN
    # is retried only after a second, past the clients' connect timeout in tests.
    request_queue_size = 128


def _handler_for(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            fake.handle(self)

        do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler
