"""The delivery_event_report migration fills in what unattached Twilio reports imply, so that they are still
attached when their message learns its SID; reports already attached, and other providers', are left alone."""

from sqlalchemy import text

from outreach import db

ROWS = [
    # id, message_id, provider, provider_event_id, event
    (1, None, "twilio", "SMearly:delivered", "delivered"),
    (2, None, "twilio", "SMearly:undelivered", "undelivered"),
    (3, None, "twilio", "SModd:receiving", "receiving"),
    (4, None, "sendgrid", "ev1", "delivered"),
]


def test_unattached_twilio_reports_get_their_sid_and_status(database_url):
    db.upgrade(database_url, "message_rendered")
    engine = db.engine_for(database_url)
    try:
        with engine.begin() as conn:
            for row in ROWS:
                conn.execute(
                    text(
                        "INSERT INTO delivery_event (id, message_id, provider, provider_event_id, event, at, detail)"
                        " VALUES (:id, :message_id, :provider, :event_id, :event, '2026-03-02 15:00:00', '')"
                    ),
                    dict(zip(("id", "message_id", "provider", "event_id", "event"), row, strict=True)),
                )
        db.upgrade(database_url)
        with engine.connect() as conn:
            filled = conn.execute(text("SELECT id, provider_message_id, status FROM delivery_event ORDER BY id")).all()
        db.downgrade(database_url, "message_rendered")
        with engine.connect() as conn:
            columns = conn.execute(text("SELECT * FROM delivery_event")).keys()
    finally:
        engine.dispose()
        db.engine_for.cache_clear()

    assert [tuple(row) for row in filled] == [
        (1, "SMearly", "delivered"),
        (2, "SMearly", "failed"),
        (3, "SModd", None),
        (4, None, None),
    ]
    assert "status" not in columns and "provider_message_id" not in columns
