"""How often may someone try to sign in? Backoff and lockout for password sign-in (custlib.access).

One instance per server process (the app keeps it in ``st.cache_resource``); counts are kept per user
name and per network address, and a restart clears them.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SignInThrottle:
    """Backoff and lockout for password sign-in, per user name and per network address.

    After ``free_failures`` failed attempts for a user name or from an address, each further attempt
    must wait ``base_delay`` x 2^(failures - free_failures) seconds (at most ``max_delay``) after the last
    failure. A waiting attempt is refused before any password is hashed, so a flood of guesses costs the
    server nothing. A success clears the user name's and the address's count. Thread-safe; one instance
    per server process.
    """

    def __init__(self, free_failures: int = 5, base_delay: float = 2.0, max_delay: float = 900.0,
                 clock: Callable[[], float] | None = None):
        self.free_failures = free_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (failures, time of the last one)

    @staticmethod
    def _keys(user: str | None, address: str | None) -> list[str]:
        keys = [f"user:{(user or '').strip().casefold()}"]
        if address:
            keys.append(f"address:{address}")
        return keys

    def wait_seconds(self, user: str | None, address: str | None) -> float:
        """How long this user name or address must still wait before the next attempt (0: it may try now)."""
        now = self._clock()
        with self._lock:
            waits = [0.0]
            for key in self._keys(user, address):
                failures, last = self._failures.get(key, (0, now))
                if failures >= self.free_failures:
                    delay = min(self.max_delay, self.base_delay * 2 ** (failures - self.free_failures))
                    waits.append(last + delay - now)
            return max(0.0, max(waits))

    def failed(self, user: str | None, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(user, address):
                self._failures[key] = (self._failures.get(key, (0, now))[0] + 1, now)

    def succeeded(self, user: str | None, address: str | None) -> None:
        with self._lock:
            for key in self._keys(user, address):
                self._failures.pop(key, None)
