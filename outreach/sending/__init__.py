"""The sending engine: the planning pass (planner), the dispatch pass (dispatch) and what it sends (compose),
the worker that runs both on a clock (worker), helper processes for a large backlog (sharing), pacing to the
providers' rates (pacing), and receipts kept when the database will not take a batch's record (receipts).

Only the worker process runs these passes; the web process queues rows for them."""
