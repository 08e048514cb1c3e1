"""Webhooks: providers' delivery reports and inbound texts (providers.py), and booking systems (bookings.py).
Each request proves itself by signature; a router only reads, verifies and hands over to outreach.services."""

from fastapi import APIRouter

from outreach.web.webhooks import bookings, providers

router = APIRouter()
for module in (providers, bookings):
    router.include_router(module.router)
