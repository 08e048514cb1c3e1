"""Campaign files: one TOML file per campaign in campaigns/, loaded and validated with FILE:LINE errors.

A campaign belongs to one stream; the stream says what triggers its steps:

- education: the steps go out in order. The first is due when the client is enrolled, each next one
  `after_days` after the previous one was sent, or, without `after_days`, one cadence interval later
  (weekly while establishing, two weeks while tapering, four while maintaining).
- rebook: the trigger is the day the last attended visit is one cadence interval old with no visit booked.
  Each step is due `after_days` after the trigger. A step limited to `phases = ["lapsed"]` instead fires from
  the day the client became lapsed, again every `repeat_every_days`, at most `max_repeats` times.
- checkin: the step repeats once per cadence interval (or every `repeat_every_days`), from enrolment.
- reminder: each step is due `days_before` days before a booked visit at local time `at`.

A step names a template, `templates/<template>.email.j2` and/or `templates/<template>.sms.j2`, and its
channels in order of preference: the first one the client has consented to and can receive is used.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Stream = Literal["education", "rebook", "checkin", "reminder"]
Phase = Literal["establishing", "tapering", "maintaining", "lapsed"]
ChannelName = Literal["email", "sms"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STREAM_PRIORITY = {"reminder": 10, "rebook": 20, "checkin": 30, "education": 40}
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,47}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Audience(_Strict):
    statuses: tuple[Literal["active", "paused", "archived"], ...] = ("active",)
    phases: tuple[Phase, ...] = ("establishing", "tapering", "maintaining")


class Window(_Strict):
    """Local hours (and days) a campaign may send in, inside the quiet-hours limits."""

    start: time = time(8, 0)
    end: time = time(20, 0)
    weekdays: tuple[str, ...] = WEEKDAYS

    @field_validator("weekdays")
    @classmethod
    def _known_days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}; use {', '.join(WEEKDAYS)}")
        return days

    @model_validator(mode="after")
    def _ordered(self) -> "Window":
        if self.start >= self.end:
            raise ValueError("window start must be before window end")
        return self


class Step(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    template: str = Field(pattern=r"^[a-z0-9][a-z0-9/_-]*$")
    channels: tuple[ChannelName, ...] = Field(min_length=1)
    title: str = ""
    phases: tuple[Phase, ...] | None = None
    after_days: float | None = Field(default=None, ge=0, le=365)
    days_before: int | None = Field(default=None, ge=0, le=30)
    at: time | None = None
    repeat_every_days: float | None = Field(default=None, gt=0, le=365)
    max_repeats: int | None = Field(default=None, ge=1, le=100)
    # Exempt from the frequency caps (visit reminders by default, see [caps] in settings).
    transactional: bool = False

    @field_validator("channels")
    @classmethod
    def _no_repeats(cls, channels: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(channels)) != len(channels):
            raise ValueError("a channel is listed twice")
        return channels


class Campaign(_Strict):
    name: str = Field(pattern=KEY_PATTERN)
    title: str
    description: str = ""
    stream: Stream
    enabled: bool = True
    priority: int | None = Field(default=None, ge=0, le=100)
    # Percent of clients held out of every step, to measure what the campaign changes (outreach.policy.holdout).
    holdout_percent: float = Field(default=0, ge=0, le=50)
    audience: Audience = Audience()
    window: Window | None = None
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _steps_fit_stream(self) -> "Campaign":
        keys = [s.key for s in self.steps]
        duplicate = next((k for k in keys if keys.count(k) > 1), None)
        if duplicate:
            raise ValueError(f"step key {duplicate!r} is used twice")
        if self.stream == "reminder" and any(s.days_before is None for s in self.steps):
            raise ValueError("reminder steps need days_before")
        return self

    @property
    def rank(self) -> int:
        return self.priority if self.priority is not None else STREAM_PRIORITY[self.stream]

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"campaign {self.name!r} has no step {key!r}")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class CampaignError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Catalog:
    campaigns: tuple[Campaign, ...]
    sources: dict[str, Path]

    def get(self, name: str) -> Campaign:
        for campaign in self.campaigns:
            if campaign.name == name:
                return campaign
        raise KeyError(f"no campaign named {name!r}")

    @property
    def enabled(self) -> tuple[Campaign, ...]:
        return tuple(c for c in self.campaigns if c.enabled)


def locate(text: str, location: tuple[Any, ...]) -> int:
    """The 1-based line where a key path such as ('steps', 2, 'template') is written, best effort."""
    lines = text.splitlines()
    start, table = 0, ""
    parts = list(location)
    if parts and isinstance(parts[0], str) and len(parts) > 1 and isinstance(parts[1], int):
        table, index = parts[0], parts[1]
        headers = [i for i, line in enumerate(lines) if re.match(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]", line)]
        if index < len(headers):
            start = headers[index]
        parts = parts[2:]
    elif parts and isinstance(parts[0], str) and len(parts) > 1:
        header = next(
            (i for i, line in enumerate(lines) if re.match(rf"^\s*\[\s*{re.escape(parts[0])}\s*\]", line)), None
        )
        if header is not None:
            start, parts = header, parts[1:]
    key = next((p for p in parts if isinstance(p, str)), None)
    if key is None:
        return start + 1
    if len(parts) == 1:
        header = next(
            (i for i, line in enumerate(lines) if re.match(rf"^\s*\[\[?\s*{re.escape(key)}\s*\]\]?", line)), None
        )
        if header is not None:
            return header + 1
    for i in range(start, len(lines)):
        if i > start and table and re.match(r"^\s*\[", lines[i]):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return start + 1


def parse_campaign(path: Path) -> Campaign:
    """Read one campaign file; raise CampaignError listing every problem with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CampaignError([Problem(path, 1, f"not UTF-8 text ({exc.reason})")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise CampaignError([Problem(path, int(match.group(1)) if match else 1, f"invalid TOML: {exc}")]) from None
    try:
        campaign = Campaign.model_validate(data)
    except ValidationError as exc:
        raise CampaignError([_problem(path, text, item) for item in _root_causes(exc.errors())]) from None
    if campaign.name != path.stem:
        raise CampaignError(
            [Problem(path, locate(text, ("name",)), f"name {campaign.name!r} must match the file name {path.stem!r}")]
        )
    return campaign


def _root_causes(errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drop the echo pydantic adds ("steps: should have at least 1 item") when a step itself was invalid."""

    def echoes(item: Mapping[str, Any]) -> bool:
        loc = tuple(item["loc"])
        return item["type"] == "too_short" and any(
            other is not item and tuple(other["loc"])[: len(loc)] == loc for other in errors
        )

    return [item for item in errors if not echoes(item)]


def _problem(path: Path, text: str, item: Mapping[str, Any]) -> Problem:
    location = tuple(item["loc"])
    field = ".".join(str(p) for p in location) or "campaign"
    duplicate = re.search(r"step key '([^']+)' is used twice", item["msg"])
    if duplicate:
        # Point at the second step that uses the key: that is the one to rename.
        uses = [
            i
            for i, line in enumerate(text.splitlines())
            if re.match(rf"^\s*key\s*=\s*[\"']{re.escape(duplicate.group(1))}[\"']", line)
        ]
        return Problem(path, uses[-1] + 1 if uses else 1, f"step key {duplicate.group(1)!r} is used twice")
    if item["type"] == "extra_forbidden":
        message = f"unknown key {field!r}"
    elif item["type"] == "missing":
        message = f"missing required key {field!r}"
        location = location[:-1]
    else:
        message = f"{field}: {item['msg']}"
    return Problem(path, locate(text, location), message)


def load_catalog(directory: Path) -> Catalog:
    """Every campaigns/*.toml; raise CampaignError with all problems from all files."""
    campaigns, sources, problems = [], {}, []
    for path in sorted(Path(directory).glob("*.toml")):
        try:
            campaign = parse_campaign(path)
        except CampaignError as exc:
            problems.extend(exc.problems)
            continue
        campaigns.append(campaign)
        sources[campaign.name] = path
    if problems:
        raise CampaignError(problems)
    return Catalog(tuple(campaigns), sources)
