"""Failed logins: a back-off per address and per account instead of locking the account.

The policy (ASVS 2.2.1; shared/quality.md #5):
- Per address, every failed attempt counts, and so does every attempt made while the address must
  wait: 5 failures in a minute make it wait up to a minute; going on makes it wait up to 10 minutes,
  then an hour, then a day. The wait grows only for whoever keeps guessing.
- Per account, only failures count, at a higher threshold: 10 failures in 5 minutes make the account
  wait up to 5 minutes, 20 in an hour up to an hour, 50 in a day up to a day. Attempts refused while
  it waits do not lengthen the wait, so the owner trying again never locks themself out further, and
  one attacker's 5 failures (stopped by the address limit) never keep the owner out. An administrator's
  password reset ends the account's wait.
- Counters are keyed by the login as typed (keyed hash), whether or not the account exists, so an
  unknown login is throttled exactly like a known one and the answers cannot tell them apart.
Counters live in the app's rate-limit storage (Redis when REDIS_URL is set) and expire by themselves.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter

from claims.core import crypto
from claims.core.throttle import current_limiter, throttling_enabled

ADDRESS_TIERS: tuple[RateLimitItem, ...] = tuple(parse_many("5 per minute; 10 per 10 minutes; 20 per hour; 50 per day"))
ACCOUNT_TIERS: tuple[RateLimitItem, ...] = tuple(parse_many("10 per 5 minutes; 20 per hour; 50 per day"))


def _strategy() -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(current_limiter().storage)


def _address_key(address: str) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "claims", "login-address", address)


def _account_key(login: str) -> tuple[str, ...]:
    """A keyed hash of the login as typed: no mobile number is written to the counters' storage."""
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "claims", "login-account", crypto.lookup_hash("login:" + login.strip().lower()))


def _waits(strategy: FixedWindowRateLimiter, tiers: tuple[RateLimitItem, ...], *key: str) -> list[float]:
    now = time.time()
    return [strategy.get_window_stats(tier, *key).reset_time - now for tier in tiers if not strategy.test(tier, *key)]


def login_wait(address: str, login: str) -> int:
    """Seconds this address must wait before trying this login again; 0 when it may try now."""
    if not throttling_enabled():
        return 0
    strategy = _strategy()
    waits = _waits(strategy, ADDRESS_TIERS, *_address_key(address)) + _waits(strategy, ACCOUNT_TIERS, *_account_key(login))
    # Whole minutes: enough for a person, and two attempts a fraction of a second apart get the same answer.
    return 60 * math.ceil(max(waits) / 60) if waits else 0


def note_refused(address: str) -> None:
    """An attempt made while waiting: the address's wait grows (the account's does not)."""
    if throttling_enabled():
        strategy = _strategy()
        for tier in ADDRESS_TIERS:
            strategy.hit(tier, *_address_key(address))


def note_failure(address: str, login: str) -> None:
    """A wrong password, or a login that does not exist: counted for the address and for the login."""
    if not throttling_enabled():
        return
    strategy = _strategy()
    for tier in ADDRESS_TIERS:
        strategy.hit(tier, *_address_key(address))
    for tier in ACCOUNT_TIERS:
        strategy.hit(tier, *_account_key(login))


def forget_account(login: str) -> None:
    """End an account's wait (after an administrator reset its password)."""
    if throttling_enabled():
        strategy = _strategy()
        for tier in ACCOUNT_TIERS:
            strategy.clear(tier, *_account_key(login))
