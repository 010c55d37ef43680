"""Webhook delivery settings (vending/webhooks.py), imported after the lifecycle ones.
Every variable is documented in `.env.example`."""

import environ

_env = environ.Env()

# The master key each endpoint's signing secret is derived from (HMAC-SHA256 of
# "webhook:<id>:<generation>"); empty: DJANGO_SECRET_KEY. Changing it changes every
# endpoint's secret (rotate them all and give the receivers the new ones).
VENDING_WEBHOOK_KEY = _env.str("VENDING_WEBHOOK_KEY", default="")
# One delivery's time limit (connect and answer), in seconds.
VENDING_WEBHOOK_TIMEOUT_SECONDS = _env.float("VENDING_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Tries before a delivery is marked failed (the outbox's backoff between them).
VENDING_WEBHOOK_MAX_ATTEMPTS = _env.int("VENDING_WEBHOOK_MAX_ATTEMPTS", default=8)
