"""What every part of the web app shares: the context, a request's database session, the clock, the raw body
read with a size limit, and one way to run a unit of work in a transaction off the event loop."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Callable, Iterator, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from outreach.context import Context
from outreach.db import session_scope
from outreach.services.clients import refresh_on_commit

MAX_BODY = 1_000_000
T = TypeVar("T")


def get_context(request: Request) -> Context:
    return request.app.state.ctx


def get_session(request: Request) -> Iterator[Session]:
    ctx: Context = request.app.state.ctx
    with Session(ctx.engine, expire_on_commit=False) as session:
        refresh_on_commit(session, ctx.settings)
        # Page rendering reads through the same session: on SQLite a second one would wait for this one's lock.
        request.state.session = session
        try:
            yield session
        finally:
            # An error page renders after this session is closed: it must not open another transaction on it.
            request.state.session = None


def now(request: Request) -> datetime:
    """The app's clock (app.state.clock): real time, unless a test froze it."""
    return request.app.state.clock()


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refused with 413 as soon as it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, "request body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, "request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def in_transaction(ctx: Context, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one committed transaction, off the event loop. If the same delivery arrived twice at
    once, the other request's commit wins a unique constraint; `work` runs again and sees it as a duplicate."""

    def run() -> T:
        try:
            with session_scope(ctx.engine) as session:
                return work(refresh_on_commit(session, ctx.settings))
        except IntegrityError:
            with session_scope(ctx.engine) as session:
                return work(refresh_on_commit(session, ctx.settings))

    return await run_in_threadpool(run)


ContextDep = Annotated[Context, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(now)]
