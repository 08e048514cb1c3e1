"""FastAPI dependencies shared by every router."""
from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlmodel import Session

from outreach.context import Context


def get_context(request: Request) -> Context:
    return request.app.state.ctx


def get_session(request: Request) -> Iterator[Session]:
    ctx: Context = request.app.state.ctx
    with Session(ctx.engine, expire_on_commit=False) as session:
        # Page rendering reads through the same session: on SQLite a second one would wait for this one's lock.
        request.state.session = session
        try:
            yield session
        finally:
            # An error page renders after this session is closed: it must not open another transaction on it.
            request.state.session = None


ContextDep = Annotated[Context, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session)]
