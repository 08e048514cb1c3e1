"""Access logs without credentials: signed tokens in paths (unsubscribe, preference and check-in links, as
signed_links.TOKEN_ROUTES lists them) are redacted."""

from __future__ import annotations

import logging

from outreach.signed_links import redact_tokens

ACCESS_LOGGER = "uvicorn.access"


class RedactTokens(logging.Filter):
    """Rewrites a record's message arguments (uvicorn passes the path as one of them) before it is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_tokens(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        return True


def install_redaction(logger_name: str = ACCESS_LOGGER) -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
        logger.addFilter(RedactTokens())
