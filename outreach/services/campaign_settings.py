"""A campaign's enabled state, window and holdout, changed in the dashboard. The file stays the default; a change
here overrides it for the worker and every page, passes the same checks as the file would, and is audited."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, select

from outreach.campaigns import Campaign, Catalog
from outreach.context import Context
from outreach.models import CampaignSetting
from outreach.policy.holdout import NEVER_HELD_OUT
from outreach.services.facts import audit


class SettingProblem(ValueError):
    """A field that cannot be used, named as the form names it."""


def with_settings(catalog: Catalog, settings: dict[str, CampaignSetting]) -> Catalog:
    campaigns = tuple(_apply(c, settings[c.name]) if c.name in settings else c for c in catalog.campaigns)
    return Catalog(campaigns, catalog.sources)


def refresh(ctx: Context) -> None:
    """Apply the dashboard's changes to the campaigns: the worker calls it each pass, pages before reading.
    The base is the context's own catalog (the files, or one a simulation built), never the last result."""
    with Session(ctx.engine) as session:
        settings = {s.campaign: s for s in session.exec(select(CampaignSetting))}
    current = ctx.catalog
    base = ctx.__dict__.get(_BASE) if current is ctx.__dict__.get(_APPLIED) else current
    ctx.__dict__[_BASE] = base
    ctx.catalog = ctx.__dict__[_APPLIED] = with_settings(base, settings)


_BASE, _APPLIED = "_catalog_before_settings", "_catalog_with_settings"


def change(
    ctx: Context,
    session: Session,
    name: str,
    *,
    enabled: bool,
    holdout_percent: str,
    window_start: str,
    window_end: str,
    weekdays: list[str],
    actor: str,
    now: datetime,
) -> Campaign:
    """Check and keep a change; raises SettingProblem (and changes nothing) when a value cannot be used."""
    campaign = ctx.catalog.get(name)
    try:
        holdout = float(holdout_percent or 0)
    except ValueError:
        raise SettingProblem("holdout_percent: a number from 0 to 50") from None
    window = {"start": window_start, "end": window_end, "weekdays": weekdays} if window_start or window_end else None
    setting = CampaignSetting(
        campaign=name, enabled=enabled, holdout_percent=holdout, window=window, updated_by=actor, updated_at=now
    )
    try:
        changed = _apply(campaign, setting)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "campaign"
        raise SettingProblem(f"{field}: {error['msg']}") from None
    if changed.holdout_percent and changed.stream in NEVER_HELD_OUT:
        raise SettingProblem(f"holdout_percent: a {changed.stream} campaign is never held out")
    session.merge(setting)
    audit(session, actor, "campaign.settings", None, f"{name}: {_describe(campaign)} -> {_describe(changed)}", at=now)
    return changed


def _apply(campaign: Campaign, setting: CampaignSetting) -> Campaign:
    return Campaign.model_validate(
        {
            **campaign.model_dump(),
            "enabled": setting.enabled,
            "holdout_percent": setting.holdout_percent,
            "window": setting.window,
        }
    )


def _describe(campaign: Campaign) -> str:
    window = (
        f"{campaign.window.start:%H:%M}-{campaign.window.end:%H:%M} {','.join(campaign.window.weekdays)}"
        if campaign.window
        else "no window"
    )
    return f"{'enabled' if campaign.enabled else 'disabled'}, {window}, holdout {campaign.holdout_percent:g}%"
