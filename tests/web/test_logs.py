"""Logs carry no credentials or client data: bound SQL parameters are hidden, token paths redacted."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from outreach.signed_links import make_unsubscribe_token
from tests.helpers import served


def test_a_database_error_names_no_bound_parameter(ctx):
    with Session(ctx.engine) as session, pytest.raises(DBAPIError) as error:
        session.execute(text("SELECT id FROM no_such_table WHERE first_name = :term"), {"term": "Rosalind Search"})

    assert "Rosalind" not in str(error.value)
    assert "hidden due to hide_parameters" in str(error.value)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_the_access_log_shows_no_unsubscribe_token(ctx):
    token = make_unsubscribe_token(ctx.secret_key, 42, "email", "education")
    lines = Lines()
    with served(ctx) as base_url:
        logging.getLogger("uvicorn.access").addHandler(lines)
        try:
            httpx.get(f"{base_url}/unsubscribe/{token}?preferences=1", timeout=10)
        finally:
            logging.getLogger("uvicorn.access").removeHandler(lines)

    assert any("/unsubscribe/[token]?preferences=1" in line for line in lines.lines), lines.lines
    assert not any(token in line for line in lines.lines)


def test_check_in_answer_links_are_redacted_like_unsubscribe_links():
    from outreach.signed_links import redact_tokens

    line = '"GET /checkin/WzEsMl0.abc-DEF_123/4 HTTP/1.1" 200 and "POST /unsubscribe/WzFd.x9?one-click=1"'
    assert redact_tokens(line) == '"GET /checkin/[token]/4 HTTP/1.1" 200 and "POST /unsubscribe/[token]?one-click=1"'
