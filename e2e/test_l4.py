#!/usr/bin/env python3
"""IngressRouteTCP and IngressRouteUDP end to end: manifests in a folder, the real controller and
proxy. A passthrough route sends TLS connections by SNI to two HTTPS echo
backends (127.0.0.2 and 127.0.0.3) that terminate TLS themselves; a plain
HostSNI(`*`) route on another entrypoint reaches a small TCP server that
speaks first (the proxy connects without waiting for the client); HTTP is
still served on the passthrough entrypoint; an IngressRouteUDP on a /udp
entrypoint relays datagrams both ways; the proxy's metrics count the
routes' connections.

    e2e/test_l4.py --bin-dir build/bin
"""

import os
import socket
import ssl
import subprocess
import sys
import threading

from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, HttpClient
from lib.metrics import find_samples, parse_samples
from lib.polling import wait_until
from lib.scenario import run_scenario

ROUTES = """\
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: pass, namespace: default}
spec:
  entryPoints: [web]
  routes:
  - match: HostSNI(`a.test`)
    services: [{name: two, port: 443}]
  - match: HostSNI(`b.test`)
    services: [{name: three, port: 443}]
  tls: {passthrough: true}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: db, namespace: default}
spec:
  entryPoints: [db]
  routes:
  - match: HostSNI(`*`)
    services: [{name: db, port: 5432}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: default}
spec:
  entryPoints: [web]
  routes:
  - match: Host(`site.test`)
    services: [{name: site, port: 80}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteUDP
metadata: {name: dns, namespace: default}
spec:
  entryPoints: [dns]
  routes:
  - services: [{name: dns, port: 53}]
"""


class BannerServer:
    """A server-speaks-first TCP server: sends "db-banner\\n" on accept, then
    echoes each read. Threads of this process; closed by close()."""

    def __init__(self, host):
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self.listener.settimeout(0.1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            conn.sendall(b"db-banner\n")
            conn.settimeout(5)
            try:
                while data := conn.recv(4096):
                    conn.sendall(data)
            except OSError:
                pass

    def close(self):
        self.stopped.set()
        self.thread.join()
        self.listener.close()


class UdpEcho:
    """Answers every datagram with b"udp:" + the datagram (a thread of this process)."""

    def __init__(self, host):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                data, peer = self.sock.recvfrom(2048)
            except (socket.timeout, OSError):
                continue
            self.sock.sendto(b"udp:" + data, peer)

    def close(self):
        self.stopped.set()
        self.thread.join()
        self.sock.close()


def udp(document):
    """The Service or EndpointSlice `document` with its ports in UDP."""
    ports = document["spec"]["ports"] if document["kind"] == "Service" else document["ports"]
    for port in ports:
        port["protocol"] = "UDP"
    return document


def make_certificate(folder):
    """A self-signed certificate for a.test and b.test (openssl CLI); (crt, key) paths."""
    crt, key = os.path.join(folder, "backend.crt"), os.path.join(folder, "backend.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=backend",
                    "-addext", "subjectAltName=DNS:a.test,DNS:b.test", "-keyout", key,
                    "-out", crt], check=True, capture_output=True)
    return crt, key


def https_backend_name(port, sni, ca_file, timeout_s):
    """GET / over TLS with `sni` through the proxy; the backend's name, verified
    against the backends' own certificate (the proxy terminates nothing)."""
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as raw:
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
    for line in answer.decode(errors="replace").splitlines():
        if line.startswith("name: "):
            return line[len("name: "):]
    return None


def run(launcher, manifests, scale, runner):
    work = os.path.dirname(manifests.path)
    crt, key = make_certificate(work)
    tls_args = ["--tls-cert", crt, "--tls-key", key]
    a = launcher.echo_backend("backend-a", "127.0.0.2", extra_args=tls_args)
    b = launcher.echo_backend("backend-b", "127.0.0.3", extra_args=tls_args)
    site = launcher.echo_backend("backend-site", "127.0.0.2")
    banner = BannerServer("127.0.0.2")
    dns = UdpEcho("127.0.0.3")
    try:
        manifests.write("backends.yaml",
                        k8s.service("two", port=443, port_name="https"),
                        k8s.endpoint_slice("two", ["127.0.0.2"], a.port, port_name="https"),
                        k8s.service("three", port=443, port_name="https"),
                        k8s.endpoint_slice("three", ["127.0.0.3"], b.port, port_name="https"),
                        k8s.service("db", port=5432, port_name="pg"),
                        k8s.endpoint_slice("db", ["127.0.0.2"], banner.port, port_name="pg"),
                        k8s.service("site", port=80),
                        k8s.endpoint_slice("site", ["127.0.0.2"], site.port),
                        udp(k8s.service("dns", port=53, port_name="dns")),
                        udp(k8s.endpoint_slice("dns", ["127.0.0.3"], dns.port, port_name="dns")))
        manifests.write_text("routes.yaml", ROUTES)
        controller = launcher.controller(manifests.path)
        proxy = launcher.proxy(controller, workers=2,
                               extra_args=["--entrypoint=db=127.0.0.1:0",
                                           "--entrypoint=dns=127.0.0.1:0/udp"])
        _, db_port = proxy.process.wait_for_listening("proxy: entrypoint db listening on ",
                                                      10 * scale)
        dns_port = int(proxy.process.wait_for_log(
            r"proxy: entrypoint dns listening on 127\.0\.0\.1:(\d+)/udp\s*$",
            10 * scale).group(1))
        proxy.wait_ready(10 * scale)
        _checks(runner, proxy, db_port, crt, scale)
        runner.run("UDP datagrams both ways", _check_udp, dns_port, scale)
    finally:
        banner.close()
        dns.close()


def _check_udp(port, scale):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(0.2)

        def answered():
            client.sendto(b"q1", ("127.0.0.1", port))  # datagrams may be lost: ask again
            try:
                return client.recv(2048)
            except socket.timeout:
                return None

        got = wait_until(answered, 5 * scale, "an answer through the UDP route")
        assert got == b"udp:q1", got
    return "a datagram reached the UDP backend and its answer came back"


def _checks(runner, proxy, db_port, ca_file, scale):
    def name_for(sni):
        try:
            return https_backend_name(proxy.web_port, sni, ca_file, 2.0 * scale)
        except (OSError, ssl.SSLError):
            return None

    wait_until(lambda: name_for("a.test") == "backend-a", 5 * scale, "a.test passed through")

    def check_passthrough():
        for sni, expected in [("a.test", "backend-a"), ("b.test", "backend-b"),
                              ("a.test", "backend-a")]:
            got = name_for(sni)
            assert got == expected, f"SNI {sni}: expected {expected}, got {got}"
        return "SNI a.test and b.test reach their own backends, which terminate TLS"

    def check_server_first():
        with socket.create_connection(("127.0.0.1", db_port), timeout=2.0 * scale) as conn:
            got = b""
            while not got.endswith(b"\n"):
                chunk = conn.recv(100)  # nothing sent: the server speaks first
                assert chunk, f"closed after {got!r}"
                got += chunk
            assert got == b"db-banner\n", got
            conn.sendall(b"select 1;")
            echoed = b""
            while len(echoed) < 9:
                chunk = conn.recv(100)
                assert chunk, f"closed after {echoed!r}"
                echoed += chunk
            assert echoed == b"select 1;", echoed
        return "a plain HostSNI(`*`) route connects at once; bytes pass both ways"

    def check_http_alongside():
        client = HttpClient("127.0.0.1", proxy.web_port, timeout_s=2.0 * scale)
        try:
            response = client.get("/", host="site.test")
        finally:
            client.close()
        assert response.status == 200 and response.backend == "backend-site", response.status
        return "plaintext HTTP on the passthrough entrypoint still reaches its IngressRoute"

    def check_metrics():
        samples = parse_samples(proxy.admin_get("/metrics").body)
        accepted = {labels.get("route"): value
                    for labels, value in find_samples(samples, "portico_proxy_l4_accepted_total")}
        for route in ("default/pass/r0", "default/pass/r1", "default/db/r0"):
            assert accepted.get(route, 0) >= 1, f"{route}: {accepted}"
        return f"connections counted per route: {accepted}"

    runner.run("passthrough by SNI to two backends", check_passthrough)
    runner.run("plain TCP route, server speaks first", check_server_first)
    runner.run("HTTP served when no TCP route matches", check_http_alongside)
    runner.run("per-route metrics", check_metrics)


if __name__ == "__main__":
    sys.exit(run_scenario("IngressRouteTCP and IngressRouteUDP end to end", "portico-l4-", run))
