"""A small HTTP/1.1 client for tests: keep-alive, a timeout per request, loopback only."""

import http.client
import ipaddress
from dataclasses import dataclass

# What a failed exchange raises: refused or reset connections, timeouts, malformed answers.
HTTP_ERRORS = (OSError, http.client.HTTPException)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def backend(self):
        """The echo backend that answered (its X-Backend header), or None."""
        return self.headers.get("X-Backend")


def require_loopback(host):
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"tests only talk to loopback addresses, not {host}")


class HttpClient:
    """One keep-alive connection to HOST:PORT, reopened on the next request after an error
    or a `Connection: close`. Not thread-safe: use one per thread."""

    def __init__(self, host, port, timeout_s=2.0):
        require_loopback(host)
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.connection = None
        self.connections_opened = 0

    def get(self, path, host=None, timeout_s=None):
        return self.request("GET", path, host=host, timeout_s=timeout_s)

    def request(self, method, path, host=None, headers=None, body=None, timeout_s=None):
        headers = dict(headers or {})
        if host is not None:
            headers["Host"] = host
        connection = self._open(timeout_s or self.timeout_s)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read().decode(errors="replace"))
        except BaseException:
            self.close()
            raise
        if raw.will_close:
            self.close()
        return response

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _open(self, timeout_s):
        if self.connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout_s)
            connection.connect()
            self.connection = connection
            self.connections_opened += 1
        self.connection.sock.settimeout(timeout_s)
        return self.connection


def get_once(host, port, path, host_header=None, timeout_s=2.0):
    """One request on a fresh connection, closed afterwards."""
    client = HttpClient(host, port, timeout_s)
    try:
        return client.request("GET", path, host=host_header, headers={"Connection": "close"})
    finally:
        client.close()
