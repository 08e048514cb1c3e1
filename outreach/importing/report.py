"""What an import found and did: problems as FILE:LINE: column: reason, and the counts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    reason: str
    column: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


class Problems:
    """Problems found in one file, kept in the order of the file's lines."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._items: list[Problem] = []

    def add(self, line: int | None, reason: str, column: str | None = None) -> None:
        self._items.append(Problem(self.file, line, reason, column))

    def __bool__(self) -> bool:
        return bool(self._items)

    def sorted(self) -> list[Problem]:
        return sorted(self._items, key=lambda problem: problem.line or 0)


@dataclass
class ImportReport:
    kind: str
    file: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def counts(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"

    def summary(self) -> str:
        if self.problems:
            count = len(self.problems)
            return f"{self.file}: {count} problem{'s' if count != 1 else ''}; nothing was imported."
        if self.dry_run:
            return f"{self.file}: dry run, nothing was written. Would import {self.kind}: {self.counts}."
        return f"{self.file}: imported {self.kind}: {self.counts}."
