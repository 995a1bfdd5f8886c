"""Steady client traffic in background threads, to prove changes never break requests."""

import threading
import time
from dataclasses import dataclass

from .http_client import HTTP_ERRORS, HttpClient, get_once
from .polling import wait_until

REQUESTS_PER_KEEP_ALIVE_CONNECTION = 50
PAUSE_BETWEEN_REQUESTS_S = 0.002  # leaves CPU to the processes under test


@dataclass
class Failure:
    at_s: float  # since the traffic started
    phase: str
    client: str
    what: str

    def __str__(self):
        return f"t={self.at_s:.3f}s during '{self.phase}' ({self.client}): {self.what}"


class BackgroundTraffic:
    """Two client threads sending GET `path` with Host `host` to the proxy without pause:
    one over keep-alive connections (reopened every 50 requests), one on a new
    connection per request. An answer counts as good when it is a 200 from one
    of `expected_backends`; everything else is recorded with the phase
    `current_phase()` named when it happened."""

    def __init__(self, port, host, path, expected_backends, current_phase):
        self.port = port
        self.host = host
        self.path = path
        self.expected_backends = set(expected_backends)
        self.current_phase = current_phase
        self.counts = {"keep-alive": 0, "new-connection": 0}
        self.failures = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._keep_alive_loop, name="traffic-keep-alive", daemon=True),
            threading.Thread(target=self._new_connection_loop, name="traffic-new-conn", daemon=True),
        ]
        self._started_at = None

    @property
    def total(self):
        return sum(self.counts.values())

    def start(self):
        self._started_at = time.monotonic()
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _keep_alive_loop(self):
        client = HttpClient("127.0.0.1", self.port)
        while not self._stop.is_set():
            if self.counts["keep-alive"] % REQUESTS_PER_KEEP_ALIVE_CONNECTION == 0:
                client.close()
            self._exchange("keep-alive", client)
        client.close()

    def _new_connection_loop(self):
        while not self._stop.is_set():
            client = HttpClient("127.0.0.1", self.port)
            self._exchange("new-connection", client)
            client.close()

    def _exchange(self, kind, client):
        try:
            response = client.get(self.path, host=self.host)
            if response.status != 200 or response.backend not in self.expected_backends:
                self._record(kind, f"{response.status} from {response.backend}: "
                                   f"{response.body.strip()[:120]!r}")
        except HTTP_ERRORS as error:
            self._record(kind, repr(error))
        self.counts[kind] += 1
        time.sleep(PAUSE_BETWEEN_REQUESTS_S)

    def _record(self, kind, what):
        at = time.monotonic() - self._started_at
        self.failures.append(Failure(at, self.current_phase(), kind, what))


def seen_backends(port, host, requests=30):
    """The backends that answered 200 to `requests` GET / with Host `host`, each on a
    new connection (failed requests are skipped)."""
    seen = set()
    for _ in range(requests):
        try:
            response = get_once("127.0.0.1", port, "/", host)
        except HTTP_ERRORS:
            continue
        if response.status == 200:
            seen.add(response.backend)
    return seen


def wait_backends(port, host, names, timeout_s):
    """Waits until exactly the backends `names` answer for `host`."""
    wait_until(lambda: seen_backends(port, host) == set(names), timeout_s,
               f"traffic to exactly {sorted(names)}")
