"""How the fake bank's network feels: a latency per request (fixed, plus jitter) and a
rate limit (429 with Retry-After above K requests in flight or above R a second), and
what the clients did against them (peak requests in flight, connections, 429s sent,
and each API request's target in the order they arrived).

These are settings of the bank, not faults: clear_faults() leaves them.  FakeBank
exposes them as set_latency(), rate_limit() and traffic; server.py calls admit(),
delay() and leave() around every API request.
"""

from __future__ import annotations

import collections
import random
import threading
import time


class Traffic:
    def __init__(self, seed: int, endpoints):
        self._endpoints = endpoints
        self._lock = threading.Lock()
        # Its own generator: the jitter drawn never moves the bank's generated data.
        self._rng = random.Random(seed * 7919 + 17)
        self._latency = {}            # endpoint or None (every API endpoint) -> (s, jitter)
        self._limit = None            # see rate_limit()
        self._in_flight = 0           # API requests being answered
        self._flying = collections.Counter()   # the same per endpoint
        self._admitted = collections.deque()   # monotonic times of the last second's
        self._stats = {"max_in_flight": 0, "in_flight": 0, "throttled": 0, "connections": 0}
        self._log = []                # {"endpoint", "target", "at", "throttled"}

    def _check(self, endpoint):
        if endpoint is not None and endpoint not in self._endpoints:
            raise ValueError("unknown endpoint %r (one of %s)" % (endpoint, ", ".join(self._endpoints)))

    # ------------------------------------------------------------------ settings

    def set_latency(self, seconds: float = 0.0, jitter: float = 0.0, endpoint: str | None = None) -> dict:
        """Each request to `endpoint` (None: every API endpoint that has no latency of its
        own; "attachment": the attachment host) waits `seconds` plus a uniform draw of up
        to `jitter` more before its answer is made.  0 and 0 remove it."""
        self._check(endpoint)
        seconds, jitter = float(seconds), float(jitter)
        if seconds < 0 or jitter < 0:
            raise ValueError("latency and jitter must be >= 0")
        with self._lock:
            if seconds == 0 and jitter == 0:
                self._latency.pop(endpoint, None)
            else:
                self._latency[endpoint] = (seconds, jitter)
            return self.latency_info()

    def latency_info(self) -> dict:
        return {("*" if k is None else k): {"seconds": s, "jitter": j} for k, (s, j) in self._latency.items()}

    def rate_limit(self, in_flight: int | None = None, per_second: float | None = None,
                   retry_after: int | None = 1, endpoint: str | None = None) -> dict | None:
        """Answer 429 too_many_requests (with "Retry-After: retry_after" unless None) to a
        request to `endpoint` (None: any API endpoint) that arrives while `in_flight`
        requests to it are already being answered, or after `per_second` of them were
        let through in the last second.  A refused request is not let through and does
        not count.  Neither limit given: no limit."""
        self._check(endpoint)
        if in_flight is not None and int(in_flight) < 1:
            raise ValueError("in_flight must be >= 1")
        if per_second is not None and float(per_second) <= 0:
            raise ValueError("per_second must be > 0")
        with self._lock:
            if in_flight is None and per_second is None:
                self._limit = None
            else:
                self._limit = {"in_flight": None if in_flight is None else int(in_flight),
                               "per_second": None if per_second is None else float(per_second),
                               "retry_after": None if retry_after is None else int(retry_after),
                               "endpoint": endpoint}
            self._admitted.clear()
            return None if self._limit is None else dict(self._limit)

    @property
    def stats(self) -> dict:
        """max_in_flight: most API requests answered at once; connections: TCP connections
        the API accepted; throttled: 429s the rate limit sent."""
        with self._lock:
            return dict(self._stats, in_flight=self._in_flight)

    @property
    def requests(self) -> list:
        """Each API request since the last reset: its endpoint, target (path and query),
        monotonic arrival time and whether the rate limit refused it."""
        with self._lock:
            return [dict(r) for r in self._log]

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._stats = {"max_in_flight": self._in_flight, "in_flight": self._in_flight, "throttled": 0,
                           "connections": 0}

    # ------------------------------------------------------------------ the server's calls

    def connected(self) -> None:
        with self._lock:
            self._stats["connections"] += 1

    def _limited(self, endpoint) -> bool:
        lim = self._limit
        return lim is not None and (lim["endpoint"] is None or lim["endpoint"] == endpoint)

    def admit(self, endpoint: str, target: str = ""):
        """-> None when the request is let through (it is then in flight until leave()),
        else the Retry-After value to refuse it with ("" for none)."""
        now = time.monotonic()
        with self._lock:
            entry = {"endpoint": endpoint, "target": target, "at": now, "throttled": False}
            if len(self._log) < 200000:
                self._log.append(entry)
            if self._limited(endpoint):
                lim = self._limit
                while self._admitted and self._admitted[0] <= now - 1.0:
                    self._admitted.popleft()
                flying = self._in_flight if lim["endpoint"] is None else self._flying[endpoint]
                if (lim["in_flight"] is not None and flying >= lim["in_flight"]) or \
                        (lim["per_second"] is not None and len(self._admitted) >= lim["per_second"]):
                    self._stats["throttled"] += 1
                    entry["throttled"] = True
                    return "" if lim["retry_after"] is None else str(lim["retry_after"])
                self._admitted.append(now)
            self._in_flight += 1
            self._flying[endpoint] += 1
            if self._in_flight > self._stats["max_in_flight"]:
                self._stats["max_in_flight"] = self._in_flight
            return None

    def leave(self, endpoint: str) -> None:
        with self._lock:
            self._in_flight -= 1
            self._flying[endpoint] -= 1

    def delay(self, endpoint: str, api: bool = True) -> None:
        """Sleeps for this request's latency."""
        with self._lock:
            got = self._latency.get(endpoint)
            if got is None and api:
                got = self._latency.get(None)
            if got is None:
                return
            seconds, jitter = got
            if jitter:
                seconds += self._rng.uniform(0.0, jitter)
        time.sleep(seconds)
