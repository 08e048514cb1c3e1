"""/api/v1: batches of clients, visits, progress and consent (facts:write), and the delivery log (log:read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Callable, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from outreach.db import session_scope
from outreach.models import ApiKey
from outreach.services import records
from outreach.services.api_keys import actor_for
from outreach.services.delivery_log import Cursor, FilterError, LogFilter, log_page
from outreach.services.facts import audit
from outreach.web.api import idempotency
from outreach.web.api.auth import require
from outreach.web.deps import now
from outreach.web.api.problems import ApiProblem, invalid_records, refused_grants

router = APIRouter(prefix="/v1")
T = TypeVar("T")
Writer = Annotated[ApiKey, Depends(require("facts:write"))]
Reader = Annotated[ApiKey, Depends(require("log:read"))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "Any unique string: a retry with the same key and body gets the first answer and changes nothing."
        ),
    ),
]
LOCAL_TIME = "ISO-8601; without an offset, the client's local time (2026-03-02T09:30 or 2026-03-02T09:30-06:00)"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientIn(Record):
    external_id: str = Field(description="Your id for the client; the record updates the client with this id.")
    first_name: str
    last_name: str | None = Field(None, description="Left out: unchanged.")
    email: str | None = Field(None, description="Email or phone may be null or left out (none), not both.")
    phone: str | None = Field(None, description="Any common form; without +country code, the clinic's region.")
    timezone: str | None = Field(None, description="IANA zone; null: kept, or guessed from the phone.")
    language: str | None = Field(
        None,
        description="The language messages go out in, one the clinic serves (`[languages] served`), as a BCP 47 "
        'tag or a name: "es", "es-MX", "Spanish", "Español". Null or left out: kept; a new client gets the '
        "clinic's default language.",
        examples=["es"],
    )


class VisitIn(Record):
    client_external_id: str
    external_id: str | None = Field(None, description="Your id for the visit; without it, the start time is the key.")
    starts_at: str = Field(description=LOCAL_TIME)
    status: str = Field(description="booked, attended, cancelled or no_show")


class ProgressIn(Record):
    client_external_id: str
    recorded_at: str = Field(description=LOCAL_TIME + "; a date alone is allowed")
    pain: int = Field(description="0-10")
    peg_enjoyment: int | None = Field(None, description="0-10")
    peg_activity: int | None = Field(None, description="0-10")


class ConsentIn(Record):
    client_external_id: str
    channel: Literal["email", "sms"]
    granted: bool = Field(description="true: the client said yes to this channel; false: no.")
    source: str = Field(description="Where the answer was given, e.g. intake-form; stored as api:<source>.")
    note: str | None = None


class Batch(BaseModel, Generic[T]):
    records: list[T] = Field(
        min_length=1,
        max_length=records.MAX_RECORDS,
        description=f"1 to {records.MAX_RECORDS} records, all recorded or none.",
    )


class Written(BaseModel):
    recorded: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = Field(description="The id of each record's client, visit or entry, in order.")


@router.post("/clients", response_model=Written, summary="Create or update clients by external_id")
def post_clients(request: Request, batch: Batch[ClientIn], key: Writer, idempotency_key: IdempotencyKey = None):
    return _write(request, key, batch, records.save_clients, idempotency_key)


@router.post("/visits", response_model=Written, summary="Record visits (by external id, else start time)")
def post_visits(request: Request, batch: Batch[VisitIn], key: Writer, idempotency_key: IdempotencyKey = None):
    return _write(request, key, batch, records.save_visits, idempotency_key)


@router.post("/progress", response_model=Written, summary="Record progress entries (pain and PEG scores)")
def post_progress(request: Request, batch: Batch[ProgressIn], key: Writer, idempotency_key: IdempotencyKey = None):
    return _write(request, key, batch, records.save_progress, idempotency_key)


@router.post("/consent", response_model=Written, summary="Record consent answers, each with its source")
def post_consent(request: Request, batch: Batch[ConsentIn], key: Writer, idempotency_key: IdempotencyKey = None):
    return _write(request, key, batch, records.save_consent, idempotency_key)


@router.get("/delivery-log", summary="The delivery log, newest first, with the dashboard's filters")
def delivery_log(
    request: Request,
    key: Reader,
    start: Annotated[str, Query(alias="from", description="YYYY-MM-DD, clinic time")] = "",
    end: Annotated[str, Query(alias="to", description="YYYY-MM-DD, included")] = "",
    channel: str = "",
    status: str = "",
    campaign: str = "",
    client: str = "",
    language: Annotated[str, Query(description='the language messages went out in: "es" or "Spanish"')] = "",
    before: Annotated[str, Query(description="the `next` of the previous page")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    try:
        log_filter = LogFilter.parse(request.query_params, request.app.state.ctx.settings.served_languages)
    except FilterError as exc:
        raise ApiProblem(
            400,
            "invalid-filter",
            "The filter is not valid",
            str(exc),
            [{"index": None, "field": name, "detail": text} for name, text in exc.problems.items()],
        ) from None
    ctx = request.app.state.ctx
    with session_scope(ctx.engine) as session:
        page = log_page(
            session, log_filter, ZoneInfo(ctx.settings.clinic.timezone), before=Cursor.decode(before), limit=limit
        )
        audit(session, actor_for(key), "api.delivery_log", detail=log_filter.describe(), at=now(request))
    return {"items": [_log_item(row) for row in page.rows], "next": page.older.encode() if page.older else None}


def _log_item(row: Any) -> dict[str, Any]:
    names = (
        "id",
        "created_at",
        "client_id",
        "channel",
        "campaign",
        "step",
        "language",
        "status",
        "reason",
        "error_code",
        "due_at",
        "sent_at",
        "attempts",
        "is_test",
    )
    return {name: getattr(row, name) for name in names}


def _write(
    request: Request, key: ApiKey, batch: Batch, save: Callable[..., records.BatchResult], idempotency_key: str | None
) -> JSONResponse:
    ctx, at = request.app.state.ctx, now(request)
    items = [record.model_dump(exclude_unset=True) for record in batch.records]
    print_ = idempotency.fingerprint(request.method, request.url.path, items)
    try:
        with session_scope(ctx.engine) as session:
            if idempotency_key is not None:
                stored = idempotency.earlier_answer(
                    session, key, idempotency_key, print_, at, ctx.settings.api.idempotency_hours
                )
                if stored is not None:
                    return JSONResponse(stored.body, stored.status_code, headers={"Idempotent-Replayed": "true"})
            body = _apply(session, request, key, items, save, at)
            if idempotency_key is not None:
                idempotency.remember(session, key, idempotency_key, print_, 200, body, at)
    except IntegrityError:
        raise ApiProblem(
            409,
            "conflict",
            "Another request changed the same records at the same time",
            "nothing was recorded; send it again",
        ) from None
    return JSONResponse(body)


def _apply(
    session: Session, request: Request, key: ApiKey, items: list[dict], save: Callable[..., Any], at: datetime
) -> dict[str, Any]:
    try:
        result = save(session, items, request.app.state.ctx.settings, actor_for(key), at)
    except records.GrantsRefused as exc:
        raise refused_grants(exc.problems) from None
    except records.BatchRejected as exc:
        raise invalid_records(exc.problems) from None
    counts = {name: result.outcomes.get(name, 0) for name in ("created", "updated", "unchanged")}
    audit(session, actor_for(key), "api.write", detail=f"{request.url.path}: {len(result.ids)} records", at=at)
    return {"recorded": len(result.ids), **counts, "ids": result.ids}
