"""Sign-in throttling: failed sign-ins are counted per account and per address in the cache
(Redis when configured, so that every web worker shares the counts); past the limit, further
attempts are refused without checking the password until the window has passed."""

from django.conf import settings
from django.core.cache import cache

# Failed sign-ins allowed in the window, per account and per address (an office behind one
# address has many people).
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 30


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (f"login-failures:account:{username.lower()}", ACCOUNT_FAILURES),
        (f"login-failures:address:{address}", ADDRESS_FAILURES),
    ]


def login_throttled(*, username: str, address: str) -> bool:
    """Whether sign-ins for this account, or from this address, are paused."""
    return any(cache.get(key, 0) >= limit for key, limit in _keys(username, address))


def login_failure_record(*, username: str, address: str) -> None:
    for key, _limit in _keys(username, address):
        if not cache.add(key, 1, settings.LOGIN_THROTTLE_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, settings.LOGIN_THROTTLE_SECONDS)


def login_failures_clear(*, username: str) -> None:
    """A successful sign-in forgives the account's failures (not the address's)."""
    cache.delete(_keys(username, "")[0][0])
