"""What every command and request needs: settings, the database, campaigns, the renderer, the channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from outreach import db
from outreach.settings import Secrets, Settings, get_settings


@dataclass
class Context:
    settings: Settings
    campaigns_dir: Path | None = None  # default: settings.paths.campaigns
    templates_dir: Path | None = None  # default: settings.paths.templates
    secrets: Secrets = field(default_factory=Secrets.from_env)

    def __post_init__(self) -> None:
        self.campaigns_dir = Path(self.campaigns_dir or self.settings.paths.campaigns)
        self.templates_dir = Path(self.templates_dir or self.settings.paths.templates)

    @cached_property
    def engine(self) -> Engine:
        return db.engine_for(self.settings.database.url, self.settings.database.sqlite_busy_timeout_ms)

    @cached_property
    def catalog(self):  # noqa: ANN201  (outreach.campaigns.Catalog)
        from outreach.campaigns import load_catalog

        return load_catalog(self.campaigns_dir)

    @cached_property
    def renderer(self):  # noqa: ANN201  (outreach.rendering.Renderer)
        from outreach.rendering import Renderer

        return Renderer(self.settings, self.templates_dir)

    @cached_property
    def secret_key(self) -> str:
        from outreach.signing_key import signing_key

        return signing_key(self.secrets.secret_key, self.data_dir)

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.outbox.directory).parent

    def upgrade_schema(self) -> None:
        db.upgrade(self.settings.database.url)


def open_context(upgrade: bool = True, settings: Settings | None = None) -> Context:
    context = Context(settings or get_settings())
    if upgrade:
        context.upgrade_schema()
    return context
