"""Test-side helpers for the stand-in API server: start it as a child process of a
ProcessSet, send raw HTTP requests, follow a watch line by line, run kubectl.

Scripts in e2e/ import it as `kubeapi.client` (e2e/ is their sys.path[0]).
"""

import http.client
import json
import os
import ssl
import subprocess
import sys
from dataclasses import dataclass

from lib.http_client import require_loopback
from lib.processes import ManagedProcess, ProcessSet

KUBEAPI_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass
class ApiResponse:
    status: int
    body: object  # parsed JSON, or the text when it is not JSON
    headers: http.client.HTTPMessage


def _connection(port, timeout_s, ca_file):
    """Plain HTTP, or HTTPS verified against ca_file (the server's self-signed certificate)."""
    if ca_file:
        return http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout_s,
                                           context=ssl.create_default_context(cafile=ca_file))
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)


class ApiClient:
    """Requests on a fresh connection each (the server's own keep-alive is not under test)."""

    def __init__(self, port, host="127.0.0.1", timeout_s=10.0, token=None, ca_file=None):
        require_loopback(host)
        self.host, self.port, self.timeout_s, self.token = host, port, timeout_s, token
        self.ca_file = ca_file

    def request(self, method, path, body=None, content_type="application/json", headers=None):
        connection = _connection(self.port, self.timeout_s, self.ca_file)
        try:
            all_headers = {"Accept": "application/json", **(headers or {})}
            if self.token:
                all_headers["Authorization"] = f"Bearer {self.token}"
            payload = None
            if body is not None:
                payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
                all_headers["Content-Type"] = content_type
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            raw = response.read().decode(errors="replace")
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw
            return ApiResponse(response.status, parsed, response.headers)
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def put(self, path, body, **kwargs):
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path, body, content_type="application/merge-patch+json", **kwargs):
        return self.request("PATCH", path, body, content_type=content_type, **kwargs)

    def delete(self, path, body=None, **kwargs):
        return self.request("DELETE", path, body, **kwargs)

    def fault(self, action, body=None, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        response = self.request("POST", f"/_fault/{action}" + (f"?{query}" if query else ""),
                                body if body is not None else b"")
        if response.status != 200:
            raise AssertionError(f"/_fault/{action} answered {response.status}: "
                                 f"{response.body}")
        return response.body

    def state(self):
        return self.get("/_fault/state").body


class WatchReader:
    """One watch request; next() returns each event as a dict, None at the clean end of
    the stream (the last chunk), and raises ConnectionError when the stream is cut.
    The chunked body is decoded here: http.client does not tell a cut from an end."""

    def __init__(self, port, path, timeout_s=10.0, headers=None, ca_file=None):
        self.connection = _connection(port, timeout_s, ca_file)
        self.connection.request("GET", path, headers=headers or {})
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.pending = b""

    def next(self, timeout_s=5.0):
        self.connection.sock.settimeout(timeout_s)
        stream = self.response.fp
        while b"\n" not in self.pending:
            size_line = stream.readline(1024) if stream else b""
            if not size_line:
                raise ConnectionResetError("the watch stream was cut (no last chunk)")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                stream.readline(1024)
                return None
            data = stream.read(size)
            stream.readline(1024)
            if len(data) < size:
                raise ConnectionResetError("the watch stream was cut inside a chunk")
            self.pending += data
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def take(self, count, timeout_s=5.0):
        return [self.next(timeout_s) for _ in range(count)]

    def close(self):
        self.connection.close()


@dataclass
class KubeApiServer:
    process: ManagedProcess
    port: int
    kubeconfig: str
    state_file: str = None
    ca_file: str = None  # set when it serves HTTPS
    token: str = None  # set when it requires a bearer token

    @property
    def url(self):
        return f"{'https' if self.ca_file else 'http'}://127.0.0.1:{self.port}"

    def client(self, **kwargs):
        kwargs.setdefault("token", self.token)
        return ApiClient(self.port, ca_file=self.ca_file, **kwargs)

    def watch(self, path, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return WatchReader(self.port, path, headers=headers, ca_file=self.ca_file, **kwargs)


def start_kubeapi(processes: ProcessSet, work_dir, name="kubeapi", port=0, state_file=None,
                  tls=False, token=None, extra_args=(), timeout_s=10.0):
    """Starts the server on 127.0.0.1:port (0: any) and waits until it listens. With tls,
    its certificate lives in WORK_DIR/NAME-tls/ (kept across restarts of the same name)."""
    kubeconfig = os.path.join(work_dir, f"{name}.kubeconfig")
    argv = [sys.executable, KUBEAPI_DIR, "--listen", f"127.0.0.1:{port}",
            "--kubeconfig", kubeconfig, *extra_args]
    if state_file:
        argv += ["--state-file", state_file]
    ca_file = None
    if tls:
        tls_dir = os.path.join(work_dir, f"{name}-tls")
        os.makedirs(tls_dir, exist_ok=True)
        argv += ["--tls", "--tls-dir", tls_dir]
        ca_file = os.path.join(tls_dir, "tls.crt")
    if token:
        argv += ["--token", token]
    process = processes.start(name, argv)
    _, bound = process.wait_for_listening("kubeapi: listening on ", timeout_s)
    return KubeApiServer(process, bound, kubeconfig, state_file, ca_file, token)


class Kubectl:
    """Runs a kubectl binary against one server with its own discovery cache."""

    def __init__(self, binary, kubeconfig, cache_dir):
        self.binary, self.kubeconfig, self.cache_dir = binary, kubeconfig, cache_dir

    def run(self, *args, stdin=None, check=True, timeout_s=60):
        argv = [self.binary, f"--kubeconfig={self.kubeconfig}", f"--cache-dir={self.cache_dir}",
                *args]
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                              timeout=timeout_s)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout}{done.stderr}")
        return done

    def client_version(self):
        """"1.32" and the like, from `kubectl version --client -o json`."""
        done = subprocess.run([self.binary, "version", "--client", "-o", "json"],
                              capture_output=True, text=True, timeout=30)
        info = json.loads(done.stdout)["clientVersion"]
        return f"{info['major']}.{info['minor'].rstrip('+')}"
