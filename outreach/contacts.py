"""Checks and normalisation for contact details, shared by the CSV import and the dashboard forms.
Each function returns the normalised value or raises ValueError with a reason a person can act on."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_TRUE = {"yes", "y", "true", "1"}
# Dates outside these years are typos (and years like 1 or 9999 overflow time zone arithmetic).
PLAUSIBLE_YEARS = range(1900, 2101)
_FALSE = {"no", "n", "false", "0", ""}


def normalise_phone(raw: str, region: str = "US") -> str:
    """E.164 form of a phone number written in any common way; numbers without a country code use `region`."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number ({raw!r}: {exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number ({raw!r})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A phone number as people write it locally, e.g. (612) 522-2225."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def normalise_email(raw: str) -> str:
    """A syntactically valid address, domain lower-cased. No DNS look-up: imports must work offline."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address ({raw!r}: {exc})") from None


def check_timezone(raw: str) -> str:
    name = raw.strip()
    if name not in _zones():
        raise ValueError(f"unknown IANA time zone {raw!r} (e.g. America/Chicago)")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise ValueError(f"unknown IANA time zone {raw!r}") from None
    return name


def check_plausible_year(value: date) -> None:
    if value.year not in PLAUSIBLE_YEARS:
        raise ValueError(
            f"the year {value.year} is outside {PLAUSIBLE_YEARS.start}-{PLAUSIBLE_YEARS.stop - 1}; is the date right?"
        )


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected yes/no, true/false or 1/0, got {raw!r}")


def zone_for_phone(e164: str) -> str | None:
    """The time zone of a number's area code when it has exactly one (for clients with no zone on file)."""
    from phonenumbers import timezone as phone_zones

    try:
        zones = phone_zones.time_zones_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] in _zones() else None


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES
