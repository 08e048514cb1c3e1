"""Counters a pass reports, added up across batches."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Tally:
    def add(self, other: "Tally") -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
