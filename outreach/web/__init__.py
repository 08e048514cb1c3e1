"""The web process: the front-desk dashboard and the provider webhooks, one FastAPI app."""
