"""The dashboard's pages. Every route here is behind the CSRF check; each says which role may use it."""

from fastapi import APIRouter, Depends

from outreach.web.dashboard.csrf import verify_csrf
from outreach.web.dashboard.routes import (
    admin,
    campaigns,
    clients,
    editor,
    imports,
    inbox,
    log,
    messages,
    reports,
    session,
    status,
)

PAGES = (session, log, messages, inbox, clients, imports, campaigns, editor, reports, status, admin)
router = APIRouter(dependencies=[Depends(verify_csrf)])
for module in PAGES:
    router.include_router(module.router)
