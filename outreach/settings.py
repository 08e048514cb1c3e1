"""Settings: settings.toml, overridden by OUTREACH_<SECTION>__<KEY> environment variables.

Secrets are never read from the file: they come from the environment only (see `Secrets`).
"""

from __future__ import annotations

import os
import re
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

DEFAULT_SETTINGS_FILE = "settings.toml"
_SECRET_KEYS = {"api_key", "auth_token", "secret_key", "password"}


class SettingsError(Exception):
    """Settings could not be loaded; the message names the offending key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}$")


def _check_language(value: str) -> str:
    if not LANGUAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 primary language tag such as en or es")
    return value


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


class Clinic(Section):
    name: str = "Northside Massage Therapy"
    short_name: str = ""
    postal_address: str = "1200 Lake Street, Minneapolis, MN 55408"
    phone: str = "+16125222225"
    toll_free: str = "+18773252225"
    booking_url: str = "https://example.com/book"
    timezone: str = "America/Chicago"
    default_region: str = "US"
    # The language of template files without a language tag, and of clients whose language is not given.
    default_language: str = "en"

    _zone = field_validator("timezone")(_check_zone)
    _language = field_validator("default_language")(_check_language)

    @field_validator("name", "postal_address")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def sms_name(self) -> str:
        return self.short_name.strip() or self.name


class Database(Section):
    url: str = "sqlite:///var/outreach.db"
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)

    @field_validator("url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value


class Email(Section):
    backend: Literal["outbox", "sendgrid", "null"] = "outbox"
    from_address: str = "hello@example.com"
    from_name: str = "Northside Massage Therapy"
    reply_to: str = "frontdesk@example.com"
    unsubscribe_mailto: str = ""


class Sms(Section):
    backend: Literal["outbox", "twilio", "null"] = "outbox"
    stop_notice_every: int = Field(0, ge=0)
    # Each segment is billed: a text past target_segments is a warning, past max_segments an error.
    target_segments: int = Field(1, ge=1, le=10)
    max_segments: int = Field(2, ge=1, le=10)
    # USD per segment, for the cost per 1,000 texts `campaigns list` shows.
    price_per_segment: float = Field(0.0083, ge=0)

    @model_validator(mode="after")
    def _target_within_maximum(self) -> "Sms":
        if self.target_segments > self.max_segments:
            raise ValueError("target_segments must not exceed max_segments")
        return self


class Outbox(Section):
    directory: Path = Path("var/outbox")


class Paths(Section):
    campaigns: Path = Path("campaigns")
    templates: Path = Path("templates")


class QuietHours(Section):
    start: time = time(8, 0)
    end: time = time(20, 0)
    apply_to_email: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "QuietHours":
        if self.start >= self.end:
            raise ValueError("quiet_hours.start must be before quiet_hours.end")
        return self


class Caps(Section):
    messages_per_week: int = Field(3, ge=1)
    texts_per_day: int = Field(1, ge=1)
    exempt_visit_reminders: bool = True


class Cadence(Section):
    establishing_days: int = Field(7, ge=1)
    tapering_days: int = Field(14, ge=1)
    maintaining_days: int = Field(28, ge=1)
    taper_relative: float = Field(0.30, gt=0, lt=1)
    taper_points: float = Field(2, gt=0)
    maintain_relative: float = Field(0.50, gt=0, lt=1)
    baseline_days: int = Field(7, ge=0)
    lapsed_after_days: int = Field(60, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "Cadence":
        if not self.establishing_days <= self.tapering_days <= self.maintaining_days:
            raise ValueError("cadence intervals must grow: establishing_days <= tapering_days <= maintaining_days")
        if self.maintain_relative < self.taper_relative:
            raise ValueError("cadence.maintain_relative must be at least cadence.taper_relative")
        return self


class Streams(Section):
    followup_after_days: int = Field(3, ge=1)
    lapsed_every_days: int = Field(30, ge=1)
    lapsed_max_checkins: int = Field(3, ge=0)
    checkin_reply_hours: int = Field(48, ge=1)
    reminder_time: time = time(10, 0)


class Inbox(Section):
    # A reply within this many minutes of the client's last text is a conversation: it goes at once, even in
    # quiet hours. Later replies wait for the quiet-hours window like any text.
    conversation_minutes: int = Field(60, ge=0, le=24 * 60)
    max_segments: int = Field(3, ge=1, le=10)
    # After an opt-out in the client's own words, the confirmation may ask which stream to keep; an answer within
    # this many hours restores only that stream.
    scope_reply_hours: int = Field(48, ge=1, le=24 * 14)


class Dispatch(Section):
    batch_size: int = Field(500, ge=1)
    max_attempts: int = Field(6, ge=1)
    retry_base_seconds: float = Field(30, ge=0)
    retry_max_seconds: float = Field(3600, ge=0)
    sending_timeout_seconds: int = Field(600, ge=1)
    concurrency: int = Field(8, ge=1)
    email_per_second: float = Field(50, gt=0)
    sms_per_second: float = Field(10, gt=0)


class Worker(Section):
    plan_every_seconds: int = Field(300, ge=1)
    dispatch_every_seconds: int = Field(30, ge=1)
    processes: int = Field(0, ge=0)  # 0: one per CPU
    share_from: int = Field(5000, ge=1)


class Web(Section):
    public_url: str = "http://localhost:8000"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    idle_timeout_minutes: int = Field(30, ge=1)
    login_attempts: int = Field(5, ge=1)
    # A preference-page link works this long after it is sent (unsubscribe links never expire: CAN-SPAM).
    preference_link_days: int = Field(60, ge=1)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class Api(Section):
    requests_per_minute: int = Field(120, ge=1, description="per API key; more gets 429")
    idempotency_hours: int = Field(24, ge=1, description="how long an Idempotency-Key's answer is replayed")


class Bookings(Section):
    # A visit booked through a booking system's webhook, still "booked" this long after it started with nothing
    # else heard, counts as attended (the planning pass marks it; Square sends no "completed" event).
    attended_after_hours: int = Field(6, ge=1)
    # The generic signed webhook (/webhooks/bookings/NAME) refuses timestamps further than this from now.
    webhook_max_age_seconds: int = Field(300, ge=1)


class Twilio(Section):
    account_sid: str = ""
    messaging_service_sid: str = ""
    from_number: str = ""
    base_url: str = ""


class Sendgrid(Section):
    base_url: str = ""
    webhook_public_key: str = ""
    webhook_max_age_seconds: int = Field(300, ge=1)


class LanguageSettings(Section):
    """What one language changes: `[languages.es] target_segments = 2` (its accents cost UCS-2 segments)."""

    target_segments: int | None = Field(None, ge=1, le=10)


class Languages(BaseModel):
    """The languages clients are written to in. `served` bounds what the inbox's detector tells apart; a missing
    translation of a `required` language fails `campaigns check` (otherwise it warns and the default is sent)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    served: tuple[str, ...] = ("en",)
    required: tuple[str, ...] = ()

    @field_validator("served", "required")
    @classmethod
    def _tags(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_language(value) for value in values)

    @model_validator(mode="after")
    def _per_language(self) -> "Languages":
        for tag, value in (self.model_extra or {}).items():
            _check_language(tag)
            LanguageSettings.model_validate(value)
        return self

    def of(self, tag: str) -> LanguageSettings:
        return LanguageSettings.model_validate((self.model_extra or {}).get(tag, {}))


class Compliance(Section):
    deny_variables: tuple[str, ...] = ("pain", "score", "scores", "progress", "peg", "diagnosis", "condition")
    # One list per language; a plain list is the default language's.
    deny_words: dict[str, tuple[str, ...]] = {"en": ("pain score", "pain level", "diagnos", "medication")}

    @field_validator("deny_words", mode="before")
    @classmethod
    def _per_language(cls, value: object) -> object:
        return {"": value} if isinstance(value, (list, tuple)) else value

    def words_denied(self, language: str, default_language: str) -> tuple[str, ...]:
        """The list for `language`; a plain list (stored under "") stands for the default language's."""
        if language in self.deny_words:
            return self.deny_words[language]
        return self.deny_words.get("", ()) if language == default_language else ()


class Reports(Section):
    attribution_days: int = Field(14, ge=1, le=180)
    visits_window_days: int = Field(56, ge=1, le=365)
    min_group_size: int = Field(100, ge=2)
    trend_weeks: int = Field(12, ge=2, le=104)
    care_cache_minutes: int = Field(60, ge=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OUTREACH_", env_nested_delimiter="__", extra="ignore", frozen=True)

    clinic: Clinic = Clinic()
    database: Database = Database()
    email: Email = Email()
    sms: Sms = Sms()
    outbox: Outbox = Outbox()
    paths: Paths = Paths()
    quiet_hours: QuietHours = QuietHours()
    caps: Caps = Caps()
    cadence: Cadence = Cadence()
    streams: Streams = Streams()
    inbox: Inbox = Inbox()
    dispatch: Dispatch = Dispatch()
    worker: Worker = Worker()
    web: Web = Web()
    api: Api = Api()
    bookings: Bookings = Bookings()
    twilio: Twilio = Twilio()
    sendgrid: Sendgrid = Sendgrid()
    languages: Languages = Languages()
    compliance: Compliance = Compliance()
    reports: Reports = Reports()

    def target_segments(self, language: str) -> int:
        """`[sms] target_segments`, or the language's own (`[languages.es] target_segments`)."""
        return self.languages.of(language).target_segments or self.sms.target_segments

    @model_validator(mode="after")
    def _languages_agree(self) -> "Settings":
        for tag in self.languages.model_extra or {}:
            if self.target_segments(tag) > self.sms.max_segments:
                raise ValueError(f"languages.{tag}.target_segments must not exceed sms.max_segments")
        unknown = set(self.languages.required) - set(self.served_languages)
        if unknown:
            raise ValueError(f"languages.required: {sorted(unknown)[0]!r} is not in languages.served")
        return self

    @property
    def served_languages(self) -> tuple[str, ...]:
        """The languages clients may be set to: the default first, then `[languages] served`."""
        default = self.clinic.default_language
        return (default, *(tag for tag in self.languages.served if tag != default))

    @model_validator(mode="after")
    def _one_click_over_https(self) -> "Settings":
        # Providers and mail clients refuse one-click unsubscribe (RFC 8058) and signed webhooks over http.
        real = [
            f'[{name}] backend = "{backend}"'
            for name, backend in (("email", self.email.backend), ("sms", self.sms.backend))
            if backend in ("sendgrid", "twilio")
        ]
        if real and not self.web.public_url.startswith("https://"):
            raise ValueError(
                f"web.public_url: must start with https:// when {' and '.join(real)} sends for real, "
                f"not {self.web.public_url}"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _settings_file()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


class Secrets(BaseModel):
    """Credentials, read from the environment only."""

    model_config = ConfigDict(frozen=True)

    sendgrid_api_key: str = ""
    twilio_auth_token: str = ""
    secret_key: str = ""
    square_webhook_signature_key: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Secrets":
        env = os.environ if env is None else env
        return cls(
            sendgrid_api_key=env.get("SENDGRID_API_KEY", ""),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            secret_key=env.get("OUTREACH_SECRET_KEY", ""),
            square_webhook_signature_key=env.get("SQUARE_WEBHOOK_SIGNATURE_KEY", ""),
        )


def project_root() -> Path:
    """The folder relative paths in settings are read from: $OUTREACH_HOME, else the folder of
    $OUTREACH_SETTINGS, else the current directory."""
    home, named = os.environ.get("OUTREACH_HOME"), os.environ.get("OUTREACH_SETTINGS")
    if home:
        return Path(home).resolve()
    return Path(named).resolve().parent if named else Path.cwd()


def _settings_file() -> Path | None:
    named = os.environ.get("OUTREACH_SETTINGS")
    if named:
        path = Path(named)
        if not path.is_file():
            raise SettingsError(f"OUTREACH_SETTINGS: no such file {named}")
        return path
    home = os.environ.get("OUTREACH_HOME")
    if home and not Path(home).is_dir():
        raise SettingsError(f"OUTREACH_HOME: no such folder {home}")
    default = project_root() / DEFAULT_SETTINGS_FILE
    return default if default.is_file() else None


def anchored(settings: Settings, root: Path) -> Settings:
    """`settings` with every relative path (folders, the SQLite file) made absolute under `root`, so a command
    run from another directory reads and writes the same files."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(root / url.database))
    return settings.model_copy(
        update={
            "database": settings.database.model_copy(update={"url": url.render_as_string(hide_password=False)}),
            "outbox": settings.outbox.model_copy(update={"directory": root / settings.outbox.directory}),
            "paths": settings.paths.model_copy(
                update={"campaigns": root / settings.paths.campaigns, "templates": root / settings.paths.templates}
            ),
        }
    )


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        # A rule across sections has no location of its own: its message starts with the key it names.
        lines.append(
            f"settings: {key}: {item['msg']}" if key else f"settings: {item['msg'].removeprefix('Value error, ')}"
        )
    return "\n".join(lines)


def _refuse_secrets_in_file(path: Path | None) -> None:
    if path is None:
        return
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings: {path}: not valid TOML: {exc}") from None
    for section, values in data.items():
        if not isinstance(values, dict):
            raise SettingsError(f"settings: {section}: expected a [{section}] table")
        for key in values:
            if key in _SECRET_KEYS:
                raise SettingsError(f"settings: {section}.{key}: secrets belong in the environment, not in {path}")


def load_settings() -> Settings:
    """Read the project's settings.toml (or $OUTREACH_SETTINGS) and the environment, with relative paths under
    project_root(); raise SettingsError on any problem."""
    _refuse_secrets_in_file(_settings_file())
    try:
        return anchored(Settings(), project_root())
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
