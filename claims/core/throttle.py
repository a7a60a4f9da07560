"""Request throttling (Flask-Limiter): the one table of limits, and the 429 answer with its Retry-After.

Counters live in Redis when `REDIS_URL` is set (every worker then shares them), in memory otherwise.
Each app gets its own limiter, so an app built for a test never shares counters with another.
`RATELIMIT_ENABLED = False` (the tests' base configuration) switches all of it off, the login back-off
in claims/accounts/throttle.py included.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from claims.core.inputs import bearer_token, claim_number

EXTENSION_KEY = "claims_limiter"


def client_address() -> str:
    """The address a request came from: the client's, also behind TRUSTED_PROXIES reverse proxies."""
    return get_remote_address() or "unknown"


def user_or_address() -> str:
    """Logged-in users are counted as themselves (a township office shares one address); others by address."""
    user = g.get("user")
    return f"user:{user.id}" if user is not None else f"addr:{client_address()}"


def claim_number_asked() -> str:
    """The claim number a status enquiry asks about, however it was typed: guesses at one claim's ID digits count
    together from every address (an unknown or malformed number counts the same way, so the limit tells nothing)."""
    return f"claim:{claim_number(request.form.get('number')) or '-'}"


Rule = tuple[str, Callable[[], str]]  # (limits, the key function that says whose counter a request adds to)

# Endpoint -> a rule, or several (each counts on its own; the first exhausted refuses). Failed logins have their
# own growing back-off on top of this coarse cap (claims/accounts/throttle.py), which only bounds the password hashing an address can cause.
# One-time codes (claims/workflow/codes.py) also count their own sends per number and wrong answers per code;
# these caps bound guessing claim codes, which have no row to count on until one matches.
ENDPOINT_LIMITS: dict[str, Rule | tuple[Rule, ...]] = {
    "accounts.login": ("60 per minute", client_address),
    "accounts.register": ("10 per minute; 30 per hour", client_address),
    "intake.new_claim": ("20 per minute; 200 per hour", user_or_address),
    "intake.proxy_claim": ("20 per minute; 200 per hour", user_or_address),
    "intake.edit_claim": ("20 per minute; 200 per hour", user_or_address),
    "survey.survey": ("20 per minute; 200 per hour", user_or_address),
    "intake.link_claim": ("10 per minute; 30 per hour", user_or_address),
    "intake.send_link_code": ("5 per minute; 20 per hour", user_or_address),
    "survey.confirmation_code": ("10 per minute; 60 per hour", user_or_address),
    # The public status enquiry (claims/intake/enquiry.py): 4 characters of an ID number are 11,000 guesses; at 50 a
    # day per claim, half of them take 110 days, whatever the number of addresses.
    "intake.status_enquiry": (("10 per minute; 60 per hour", client_address), ("5 per minute; 20 per hour; 50 per day", claim_number_asked)),
}


def bearer_key_or_address() -> str:
    """API calls with a bearer token are counted per token (a hash of the token as authentication reads it: counted
    before it is checked, yet a caller who knows only a token's public key id cannot use up its owner's allowance, and
    padding or the scheme's case make no new bucket). Others by address."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is not None:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return f"addr:{client_address()}"


def api_token_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", "300 per minute"))


BLUEPRINT_LIMITS = {"api": ("120 per minute", user_or_address)}
# The token API (claims/api/views.py): every call counts, reads included; the limit is API_RATE_LIMIT.
TOKEN_LIMITS = {"api_v1": (api_token_limit, bearer_key_or_address)}
# Otherwise only POSTs count (forms, uploads, the status enquiry's question); pages and the login form itself do not.
COUNTED_METHODS = ["POST"]


def init_throttling(app: Flask) -> Limiter:
    """Build this app's limiter and apply the table above to its views (after the blueprints are registered)."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:  # without this, behind nginx every client would share the proxy's address and its counters
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    limiter = Limiter(client_address, storage_uri=app.config["RATELIMIT_STORAGE_URI"], strategy="fixed-window")
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = limiter
    for endpoint, entry in ENDPOINT_LIMITS.items():
        for limits, key in _rules(entry):
            decorate = limiter.limit(limits, key_func=key, methods=COUNTED_METHODS)
            app.view_functions[endpoint] = decorate(app.view_functions[endpoint])
    for name, (limits, key) in BLUEPRINT_LIMITS.items():
        limiter.limit(limits, key_func=key, methods=COUNTED_METHODS)(app.blueprints[name])
    for name, (limit, key) in TOKEN_LIMITS.items():
        limiter.limit(limit, key_func=key)(app.blueprints[name])
    return limiter


def _rules(entry: Rule | tuple[Rule, ...]) -> tuple[Rule, ...]:
    return entry if isinstance(entry[0], tuple) else (entry,)  # type: ignore[return-value]


def current_limiter() -> Limiter:
    return current_app.extensions[EXTENSION_KEY]


def throttling_enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def retry_after_seconds(exc: TooManyRequests) -> int:
    if isinstance(exc, RateLimitExceeded):
        limit = current_limiter().current_limit
        return max(1, int(limit.reset_at - time.time())) if limit is not None else 60
    wait = exc.retry_after
    if isinstance(wait, int):
        return max(1, wait)
    return 60
