"""Fault switches a test flips through POST /_fault/...: failing requests, how an
expired watch is reported, the bookmark interval and the bearer token.

Threading: every field is read and written under one lock; handlers call take()
once per request.
"""

import threading
from dataclasses import dataclass, field

from .errors import ApiError

_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
            409: "Conflict", 410: "Expired", 429: "TooManyRequests", 500: "InternalError",
            503: "ServiceUnavailable", 504: "Timeout"}


def reason_for(code):
    return _REASONS.get(code, "Unknown")


@dataclass
class Failure:
    count: int
    code: int
    retry_after: int = None  # seconds, sent as Retry-After and details.retryAfterSeconds
    path_prefix: str = ""
    verb: str = ""  # get, list, watch, create, update, patch, delete, ... or "" for any

    def matches(self, path, verb):
        return path.startswith(self.path_prefix) and self.verb in ("", verb)

    def error(self):
        details = {"retryAfterSeconds": self.retry_after} if self.retry_after else None
        return ApiError(self.code, reason_for(self.code),
                        f"injected failure ({self.code} {reason_for(self.code)})", details,
                        retry_after=self.retry_after)


@dataclass
class Faults:
    failures: list = field(default_factory=list)
    gone_as_http: bool = False  # a watch from a compacted RV: HTTP 410 instead of an ERROR event
    bookmark_interval_s: float = 1.0
    token: str = None  # the bearer token requests must carry; None: no authentication
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, failure):
        with self.lock:
            self.failures.append(failure)

    def clear(self):
        with self.lock:
            self.failures.clear()

    def take(self, path, verb):
        """The injected error for this request, if a pending failure matches it."""
        with self.lock:
            for failure in self.failures:
                if failure.matches(path, verb):
                    failure.count -= 1
                    if failure.count <= 0:
                        self.failures.remove(failure)
                    return failure.error()
            return None

    def pending(self):
        with self.lock:
            return [{"count": f.count, "code": f.code, "retryAfter": f.retry_after,
                     "path": f.path_prefix, "verb": f.verb} for f in self.failures]

    def authorized(self, header):
        with self.lock:
            return self.token is None or header == f"Bearer {self.token}"
