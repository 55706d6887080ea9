"""Login throttling: per user name and address, per address, per user name (a slower backoff) and globally.

Four counters of failed logins over a sliding window (`window` seconds), checked before any password is
hashed (docs/security.md "Sign-in"):

- **name + address**: `pair_attempts` failures of one name from one address refuse that pair for the rest
  of the window. This is the lockout a guesser meets; the real user at another address is not locked out.
- **address**: `address_attempts` failures from one address, whatever the names, refuse the address
  (spreading guesses over many names from one machine).
- **name**: past `name_free` failures of one name from all addresses together, each further attempt must wait
  2, 4, 8 ... seconds after the last failure, never more than `name_max_delay`. A guesser spread over many
  addresses gets about one guess per `name_max_delay` per name; the real user waits at most that long, and
  not at all from an address where that name signed in successfully before (remembered per process).
- **unknown names, globally**: past `unknown_attempts` failures with names that do not exist, from all
  addresses together (a spray over many names and machines), an address that failed once in the window is
  refused until the window has passed; addresses without failures still get their attempts.

State is kept per process, in memory, and bounded (`max_keys` counters; expired ones are swept).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

TRUST_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # pair, address, name, global
    retry_after: int = 0  # seconds


ALLOWED = Verdict(True)


class _Windows:
    """Failure times per key, over a sliding window, at most `max_keys` keys (the oldest dropped first)."""

    def __init__(self, window: float, max_keys: int, clock: Callable[[], float], per_key: int) -> None:
        self.window = window
        self.max_keys = max_keys
        self.per_key = per_key  # only the latest ones matter
        self.clock = clock
        self._d: OrderedDict[object, deque[float]] = OrderedDict()

    def times(self, key: object) -> deque[float]:
        q = self._d.get(key)
        if q is None:
            return deque()
        now = self.clock()
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            del self._d[key]
        return q

    def count(self, key: object) -> int:
        return len(self.times(key))

    def add(self, key: object) -> None:
        q = self._d.pop(key, None) or deque(maxlen=self.per_key)
        q.append(self.clock())
        self._d[key] = q  # most recently failed last
        if len(self._d) > self.max_keys:
            for k in list(self._d)[: len(self._d) // 10 or 1]:
                self.times(k)
            while len(self._d) > self.max_keys:
                self._d.popitem(last=False)

    def clear(self, key: object) -> None:
        self._d.pop(key, None)

    def __len__(self) -> int:
        return len(self._d)


class LoginThrottle:
    def __init__(self, *, pair_attempts: int = 5, window: float = 900.0, address_attempts: int = 30,
                 name_free: int = 10, name_max_delay: float = 60.0, unknown_attempts: int = 100,
                 max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.pair_attempts = pair_attempts
        self.address_attempts = address_attempts
        self.name_free = name_free
        self.name_max_delay = name_max_delay
        self.unknown_attempts = unknown_attempts
        self.window = window
        self.clock = clock
        self._pair = _Windows(window, max_keys, clock, pair_attempts)
        self._address = _Windows(window, max_keys, clock, address_attempts)
        self._name = _Windows(window, max_keys, clock, name_free + 32)
        self._unknown = _Windows(window, 1, clock, unknown_attempts)
        self._trusted: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._max_keys = max_keys

    def check(self, username: str, address: str) -> Verdict:
        """May this attempt go on to the password check?"""
        now = self.clock()
        pair = self._pair.times((username, address))
        if len(pair) >= self.pair_attempts:
            return Verdict(False, "pair", _wait(pair[0] + self.window - now))
        failures_here = self._address.times(address)
        if len(failures_here) >= self.address_attempts:
            return Verdict(False, "address", _wait(failures_here[0] + self.window - now))
        if self._unknown.count("*") >= self.unknown_attempts and failures_here:
            return Verdict(False, "global", _wait(failures_here[-1] + self.window - now))
        name = self._name.times(username)
        if len(name) >= self.name_free and not self._is_trusted(username, address, now):
            delay = min(2.0 ** (len(name) - self.name_free + 1), self.name_max_delay)
            if now - name[-1] < delay:
                return Verdict(False, "name", _wait(name[-1] + delay - now))
        return ALLOWED

    def failed(self, username: str, address: str, *, known: bool) -> None:
        self._pair.add((username, address))
        self._address.add(address)
        self._name.add(username)
        if not known:
            self._unknown.add("*")

    def succeeded(self, username: str, address: str) -> None:
        self._pair.clear((username, address))
        self._name.clear(username)
        self._trusted.pop((username, address), None)
        self._trusted[(username, address)] = self.clock()
        while len(self._trusted) > self._max_keys:
            self._trusted.popitem(last=False)

    def _is_trusted(self, username: str, address: str, now: float) -> bool:
        at = self._trusted.get((username, address))
        return at is not None and now - at < TRUST_SECONDS


def _wait(seconds: float) -> int:
    return max(1, int(seconds + 0.999))


def name_tag(username: str, secret: str) -> str:
    """A user name as the log shows it: a keyed hash (12 hex digits), the same for the same name, so failures
    can be followed without writing what was typed (often a password typed into the wrong field)."""
    return hmac.new(secret.encode(), username.encode(), hashlib.sha256).hexdigest()[:12]
