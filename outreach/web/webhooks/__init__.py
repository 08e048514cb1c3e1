"""Webhooks: each provider's delivery reports and inbound texts (twilio.py, sendgrid.py), and booking systems
(bookings.py). Each request proves itself by signature; a router only reads, has the provider's channel module
verify and translate it, and hands the normalised records over to outreach.services."""

from fastapi import APIRouter

from outreach.web.webhooks import bookings, sendgrid, twilio

router = APIRouter()
for module in (twilio, sendgrid, bookings):
    router.include_router(module.router)
