"""Booking systems that tell us about clients and visits by webhook. Each adapter is one module beside this one
(square.py; an Acuity Scheduling one would be acuity.py) that

- checks a delivery's signature as its provider documents it, and
- translates the provider's event into an `Event`: its id (for de-duplication), its type, and the client or
  visit it states, as the same records the REST API takes (services.records checks and writes them).

services.bookings.record_event does the rest, the same for every provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    source: str  # the provider, e.g. "square": the actor in the audit log and the visits' source
    event_id: str
    event_type: str
    client: dict[str, Any] | None = None  # a services.records client record
    visit: dict[str, Any] | None = None  # a services.records visit record (with external_id and version)
    ignored: str = ""  # why nothing is to be recorded, for an event we do not use
