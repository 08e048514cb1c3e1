"""Pages clients reach from a link in a message, with no login: unsubscribe and the preference page (the signed
token in the URL is the proof), check-in answers (likewise), and lesson pages (nothing personal on them)."""

from fastapi import APIRouter

from outreach.web.public import checkin, lessons, preferences, unsubscribe

router = APIRouter()
for module in (unsubscribe, preferences, checkin, lessons):
    router.include_router(module.router)
