"""Pure policy: cadence, quiet hours, caps, consent, keywords, segments. No I/O, no clock reads:
every function takes `now` (an aware UTC datetime) explicitly."""
