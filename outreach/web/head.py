"""HEAD on every GET address: uptime monitors ask `HEAD /healthz`, link checkers `HEAD /learn/…`. FastAPI's routes
take only the methods they name, so a HEAD is answered as its GET would be: the same status and headers, no body."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The ways an ASGI app can send a response's body (the last two are server extensions for files).
BODY_MESSAGES = frozenset({"http.response.body", "http.response.pathsend", "http.response.zerocopysend"})
NO_BODY: Message = {"type": "http.response.body", "body": b"", "more_body": False}


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] not in BODY_MESSAGES:
                await send(message)
            elif not ended:
                # End the response at the body's first part, so a monitor is not kept waiting on a stream.
                ended = True
                await send(NO_BODY)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
