"""The security settings of the portal (docs/security.md), imported by portal/settings.py
once it has read `.env`: the Content-Security-Policy and Permissions-Policy headers,
password sign-in throttling (django-axes), the client address behind reverse proxies,
and the lifetimes of API tokens. Every variable is documented in `.env.example`.
"""

from datetime import timedelta

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()

# --- Browser hardening ---------------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts, styles and images from the portal's own
# static files only: no inline script, no eval, no inline style, no framing. The one
# page that needs more (Swagger UI's data: icons) widens it for itself only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy: the portal uses none of these browser features; nothing it shows
# (nor anything injected into it) may ask for them.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
        "xr-spatial-tracking", "browsing-topics", "interest-cohort",
    )
}  # fmt: skip

# --- Sign-in throttling --------------------------------------------------------------------
# Sign-in throttling (django-axes, docs/security.md). After VENDING_SIGNIN_FAILURE_LIMIT
# failed password sign-ins, counted for each user (from any address) and for each address
# (for any user), that user or address is refused, even with the right password, until
# VENDING_SIGNIN_COOLOFF_MINUTES pass without a new failure or an admin unlocks it.
VENDING_SIGNIN_FAILURE_LIMIT = _env.int("VENDING_SIGNIN_FAILURE_LIMIT", default=10)
VENDING_SIGNIN_COOLOFF_MINUTES = _env.int("VENDING_SIGNIN_COOLOFF_MINUTES", default=15)
# What failures are counted by: each item on its own, or items joined by "+" counted
# together ("username+ip_address": one user from one address).
VENDING_SIGNIN_LOCKOUT_BY = _env.list(
    "VENDING_SIGNIN_LOCKOUT_BY", default=["username", "ip_address"]
)
if VENDING_SIGNIN_FAILURE_LIMIT < 1 or VENDING_SIGNIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured(
        "VENDING_SIGNIN_FAILURE_LIMIT and VENDING_SIGNIN_COOLOFF_MINUTES must be at least 1"
    )
if not VENDING_SIGNIN_LOCKOUT_BY or any(
    set(item.split("+")) - {"username", "ip_address"} for item in VENDING_SIGNIN_LOCKOUT_BY
):
    raise ImproperlyConfigured(
        "VENDING_SIGNIN_LOCKOUT_BY lists username, ip_address or username+ip_address, "
        f"not {','.join(VENDING_SIGNIN_LOCKOUT_BY)!r}"
    )
# Reverse proxies in front of the portal, each appending to X-Forwarded-For (0: none; the
# peer's address is the client's). Sign-in lockouts and the API's per-address limit use
# the address this many hops from the right of X-Forwarded-For, never one a client sent.
VENDING_PROXY_COUNT = _env.int("VENDING_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = VENDING_SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=VENDING_SIGNIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [
    item.split("+") if "+" in item else item for item in VENDING_SIGNIN_LOCKOUT_BY
]
AXES_CLIENT_IP_CALLABLE = "vending.web.signin.client_address"
# Only password sign-ins are counted: single sign-on is the identity provider's to throttle.
AXES_WHITELIST_CALLABLE = "vending.web.signin.is_not_a_password_signin"
AXES_LOCKOUT_CALLABLE = "vending.web.signin.lockout_response"
# The failed attempts kept (admin: "Sign-in failures") mask the password and CSRF token.
AXES_SENSITIVE_PARAMETERS = ["password", "csrfmiddlewaretoken"]
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins: the user's last_login says enough
AXES_ENABLE_ADMIN = False  # vending/admin/security.py shows the attempts to portal admins
AXES_VERBOSE = False  # no banner on every command; failures are still logged

# --- API tokens ----------------------------------------------------------------------------
# API tokens (docs/security.md): how long a new one lives unless its creator says, and
# the longest anyone may ask for.
VENDING_API_TOKEN_DEFAULT_DAYS = _env.int("VENDING_API_TOKEN_DEFAULT_DAYS", default=90)
VENDING_API_TOKEN_MAX_DAYS = _env.int("VENDING_API_TOKEN_MAX_DAYS", default=365)
if not 1 <= VENDING_API_TOKEN_DEFAULT_DAYS <= VENDING_API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured(
        "VENDING_API_TOKEN_DEFAULT_DAYS must be between 1 and VENDING_API_TOKEN_MAX_DAYS"
    )
