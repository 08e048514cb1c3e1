"""The dashboard's pages. Every route here is behind the CSRF check; each says which role may use it."""
from fastapi import APIRouter, Depends

from outreach.web.csrf import verify_csrf
from outreach.web.routes import admin, campaigns, clients, imports, inbox, log, session, status

PAGES = (session, log, inbox, clients, imports, campaigns, status, admin)
router = APIRouter(dependencies=[Depends(verify_csrf)])
for module in PAGES:
    router.include_router(module.router)
