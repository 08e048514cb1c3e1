"""Pacing sends to a provider's rate.

`Pacer` paces one process. `SharedPacer` paces every worker together: each claims a block of evenly spaced
send slots from the channel's row in the database (one `UPDATE … RETURNING`, atomic on SQLite and PostgreSQL
alike), then waits for each slot itself. Slots are wall-clock seconds, so workers on several hosts need their
clocks in sync (NTP) for the rate to hold.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from sqlalchemy import Engine, Table, case, update
from sqlmodel import Session

from outreach.models import SendRate
from outreach.db import insert_ignore

SEND_RATE: Table = SendRate.__table__  # type: ignore[attr-defined]

# Requests reach the provider late, unevenly (by 100 ms and more on a busy machine); `rate` slots span a second
# plus this margin, so the busiest second the provider sees stays within the rate.
MARGIN_SECONDS = 0.2
# A slot whose moment passed this long ago is dropped unused: sent late, it could crowd the next second.
LATE_SECONDS = MARGIN_SECONDS / 2
# How far ahead one claim reaches: fewer round trips, yet a stalled worker holds up little of the others' time.
BLOCK_SECONDS = 0.1


class Pacer:
    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


class SharedPacer:
    """At most `rate` sends per second on `channel`, across every thread and process using this database."""

    def __init__(
        self,
        engine: Engine,
        channel: str,
        rate: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine, self.channel = engine, channel
        self.interval = (1.0 + MARGIN_SECONDS) / rate
        self.block = max(1, int(rate * BLOCK_SECONDS))
        self._clock, self._sleep = clock, sleep
        self._slots: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                if not self._slots:
                    self._slots.extend(self._claim())
                slot = self._slots.popleft()
            now = self._clock()
            if slot > now:
                self._sleep(slot - now)
                now = self._clock()
            if now - slot <= LATE_SECONDS:  # else woken too late (a busy machine): that slot is gone, take another
                return

    def _claim(self) -> list[float]:
        """The next `block` slots of the channel, from now or from where the last claim (anyone's) ended."""
        span = self.block * self.interval
        row = SEND_RATE.c
        statement = (
            update(SEND_RATE)
            .where(row.channel == self.channel)
            .values(next_at=case((row.next_at > self._clock(), row.next_at), else_=self._clock()) + span)
            .returning(row.next_at)
        )
        with Session(self.engine) as session:
            ends = session.execute(statement).scalar()
            if ends is None:  # the channel's first send on this database
                insert_ignore(session, SEND_RATE, [{"channel": self.channel, "next_at": 0.0}], ["channel"])
                ends = session.execute(statement).scalar()
            session.commit()
        start = ends - span
        return [start + k * self.interval for k in range(self.block)]
