"""Service functions: the one place facts change. The CLI, the web app and the webhooks all call these."""
