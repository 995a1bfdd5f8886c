"""Waiting for a condition with a deadline, instead of sleeping a fixed time."""

import time


class WaitTimeout(AssertionError):
    """A condition did not hold before its deadline; the message says which and what was seen."""


def wait_until(condition, timeout_s, what, interval_s=0.01, retry_on=()):
    """Calls condition() until it returns a truthy value and returns that value.

    Exceptions listed in retry_on count as "not yet" (e.g. connection refused
    while a server starts); any other exception propagates at once. Raises
    WaitTimeout naming `what` and the last result or error seen.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = condition()
            if result:
                return result
            last = f"last result: {result!r}"
        except retry_on as error:
            last = f"last error: {error!r}"
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"{what}: still not true after {timeout_s:.1f} s ({last})")
        time.sleep(interval_s)
