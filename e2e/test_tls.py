#!/usr/bin/env python3
"""End to end for downstream TLS: certificates from kubernetes.io/tls Secrets
referenced by Ingress spec.tls, terminated by portico-proxy on the same port
as plaintext.

Certificates and keys are generated at test time with the openssl CLI into
the run's temporary folder (never printed). Checks SNI selection (exact,
wildcard, default), ECDSA and RSA for one name, ALPN, TLS 1.1 refused,
resumption with tickets (openssl s_client and Python's ssl), TLS-only
routes, a bad Secret left out with a log line naming it, garbage on the port
closing only that connection, hot rotation of a Secret under load with no
failed request, and that no private key shows in /config, /snapshot or any
log. Prints PASS/FAIL per check; the last line is `N passed, N failed`.

    e2e/test_tls.py --bin-dir build/bin
"""

import argparse
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from lib import manifests as k8s
from lib.checks import CheckRunner
from lib.http_client import HttpClient
from lib.manifests import ManifestDir
from lib.polling import wait_until
from lib.processes import ProcessSet
from lib.stack import Launcher

BACKEND_HOST = "127.0.0.2"
HOSTS = ["www.tls.test", "api.wild.test", "dual.tls.test", "bad.tls.test", "plain.tls.test"]
DEFAULT_CN = "PORTICO DEFAULT CERT"


# ---- certificates (openssl CLI, into the run's folder) -------------------------------------

class CertMaker:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def make(self, name, sans, kind="ec"):
        """A self-signed certificate with CN=name and DNS SANs; returns (crt_path, key_path)."""
        crt = os.path.join(self.folder, f"{name}.crt")
        key = os.path.join(self.folder, f"{name}.key")
        newkey = ["-newkey", "rsa:2048"] if kind == "rsa" else [
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-days", "2",
                        "-subj", f"/CN={name}", "-addext",
                        "subjectAltName=" + ",".join(f"DNS:{s}" for s in sans),
                        "-keyout", key, "-out", crt],
                       check=True, capture_output=True)
        return crt, key

    @staticmethod
    def der(crt_path):
        return subprocess.run(["openssl", "x509", "-in", crt_path, "-outform", "DER"],
                              check=True, capture_output=True).stdout


def tls_secret(name, crt_path, key_path):
    def b64(path):
        with open(path, "rb") as f:
            return base64.b64encode(f.read()).decode()
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": k8s.NAMESPACE},
        "data": {"tls.crt": b64(crt_path), "tls.key": b64(key_path)},
    }


def ingress_with_tls(tls_entries):
    doc = k8s.ingress("secure", *[k8s.rule(h, k8s.path("/", "app")) for h in HOSTS])
    doc["spec"]["tls"] = tls_entries
    return doc


# ---- TLS clients -----------------------------------------------------------------------------

def client_context(max_version=None, ciphers=None, alpn=("http/1.1",)):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if max_version is not None:
        ctx.maximum_version = max_version
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def connect(port, sni, ctx=None, session=None, timeout_s=3.0):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    try:
        return (ctx or client_context()).wrap_socket(raw, server_hostname=sni, session=session)
    except Exception:
        raw.close()
        raise


def peer_der(port, sni, ctx=None):
    with connect(port, sni, ctx) as s:
        return s.getpeercert(binary_form=True)


def https_get(sock, host, path="/"):
    """One keep-alive GET on an open TLS socket; returns (status, body)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a response head: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body.decode(errors="replace")


def run(argv, stdin=b"", timeout_s=10):
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout_s)


# ---- checks ----------------------------------------------------------------------------------

class TlsChecks:
    def __init__(self, launcher, manifests, certs, controller, proxy, scale):
        self.launcher = launcher
        self.manifests = manifests
        self.certs = certs
        self.controller = controller
        self.proxy = proxy
        self.port = proxy.web_port
        self.scale = scale

    def curl(self, *args):
        resolve = [a for h in HOSTS + ["a.b.wild.test"] for a in
                   ("--resolve", f"{h}:{self.port}:127.0.0.1")]
        return run(["curl", "-sk", "--max-time", str(5 * self.scale), *resolve, *args])

    def exact_sni(self):
        result = self.curl("-v", f"https://www.tls.test:{self.port}/")
        err = result.stderr.decode(errors="replace")
        assert result.returncode == 0 and b"name: backend-2" in result.stdout, err[-500:]
        assert "CN=www" in err, "curl did not see the www certificate"
        assert "ALPN: server accepted http/1.1" in err, "no ALPN http/1.1 in curl's output"
        assert peer_der(self.port, "www.tls.test") == self.certs["www"]

    def wildcard_and_default(self):
        assert peer_der(self.port, "api.wild.test") == self.certs["wild"]
        for sni in ("a.b.wild.test", "wild.test", "nobody.test", None):
            der = peer_der(self.port, sni)
            assert der not in self.certs.values(), f"SNI {sni}: expected the default certificate"
        result = run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}",
                      "-servername", "nobody.test"], stdin=b"Q\n")
        assert f"CN = {DEFAULT_CN}".encode() in result.stdout, result.stdout[-300:]

    def ecdsa_and_rsa(self):
        assert peer_der(self.port, "dual.tls.test") == self.certs["dual-ecdsa"]
        rsa_only = client_context(max_version=ssl.TLSVersion.TLSv1_2,
                                  ciphers="ECDHE-RSA-AES128-GCM-SHA256")
        assert peer_der(self.port, "dual.tls.test", rsa_only) == self.certs["dual-rsa"]

    def alpn(self):
        with connect(self.port, "www.tls.test") as s:
            assert s.selected_alpn_protocol() == "http/1.1"
        result = run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}",
                      "-servername", "www.tls.test", "-alpn", "h2"], stdin=b"Q\n")
        assert b"no application protocol" in result.stdout + result.stderr, (
            "an h2-only client should be refused with no_application_protocol")

    def tls11_refused(self):
        result = run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}", "-tls1_1",
                      "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "www.tls.test"],
                     stdin=b"Q\n")
        out = (result.stdout + result.stderr).decode(errors="replace")
        assert result.returncode != 0 and "protocol version" in out, out[-400:]
        ctx = client_context()
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        with connect(self.port, "www.tls.test", ctx) as s:
            assert s.version() in ("TLSv1.2", "TLSv1.3")

    def resumption(self):
        # TLS 1.3 with Python's ssl: the ticket arrives with the first response.
        ctx = client_context()
        with connect(self.port, "www.tls.test", ctx) as s:
            assert https_get(s, "www.tls.test")[0] == 200
            session = s.session
        with connect(self.port, "www.tls.test", ctx, session=session) as s:
            assert s.session_reused, "TLS 1.3 session not resumed"
            assert https_get(s, "www.tls.test")[0] == 200
        # TLS 1.2 with openssl s_client: -sess_out, then -sess_in.
        sess = os.path.join(self.certs["folder"], "s_client.session")
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}",
                "-servername", "www.tls.test", "-tls1_2"]
        first = run(base + ["-sess_out", sess], stdin=b"Q\n")
        assert first.returncode == 0 and b"New, TLSv1.2" in first.stdout, first.stdout[-300:]
        again = run(base + ["-sess_in", sess], stdin=b"Q\n")
        assert b"Reused, TLSv1.2" in again.stdout, again.stdout[-300:]

    def tls_only_routes(self):
        plain = HttpClient("127.0.0.1", self.port, timeout_s=3 * self.scale)
        try:
            assert plain.get("/", host="www.tls.test").status == 404, \
                "a TLS-only route must not answer plaintext"
            assert plain.get("/", host="plain.tls.test").status == 200
        finally:
            plain.close()
        with connect(self.port, "plain.tls.test") as s:
            assert https_get(s, "plain.tls.test")[0] == 404, \
                "a plaintext route must not answer over TLS"
        with connect(self.port, "www.tls.test") as s:
            status, body = https_get(s, "www.tls.test")
            assert status == 200 and "X-Forwarded-Proto: https" in body, body[:500]

    def bad_secret(self):
        log = self.controller.process.log_text()
        lines = [line for line in log.splitlines() if "default/bad-cert" in line]
        assert lines and "does not match" in lines[0], f"no log line naming the Secret: {lines}"
        assert peer_der(self.port, "bad.tls.test") not in self.certs.values()
        with connect(self.port, "www.tls.test") as s:
            assert https_get(s, "www.tls.test")[0] == 200

    def garbage(self):
        keep = connect(self.port, "www.tls.test")
        try:
            assert https_get(keep, "www.tls.test")[0] == 200
            for junk in (b"\x16\x03\x01\x00\x05hello", b"\x16" + os.urandom(200),
                         b"\x16\x03\x01\x00\x30" + b"\x01\x00\x00\x2c" + os.urandom(44)):
                with socket.create_connection(("127.0.0.1", self.port), timeout=3) as s:
                    s.sendall(junk)
                    received = b""
                    try:
                        while chunk := s.recv(4096):
                            received += chunk
                    except ConnectionResetError:
                        pass
                    # Closed, at most after a TLS alert record (0x15); never an HTTP answer.
                    assert received in (b"",) or received[:1] == b"\x15", (
                        f"the proxy answered garbage {junk[:8]!r} with {received[:20]!r}")
            assert https_get(keep, "www.tls.test")[0] == 200, "another connection was hurt"
        finally:
            keep.close()

    def rotation_under_load(self):
        kept = connect(self.port, "www.tls.test")  # open before the rotation
        assert https_get(kept, "www.tls.test")[0] == 200
        results = {"ok": 0, "failed": [], "new_cert_seen": 0}
        stop = threading.Event()
        new_der = None

        def traffic():
            while not stop.is_set():
                try:
                    with connect(self.port, "www.tls.test") as s:
                        der = s.getpeercert(binary_form=True)
                        status, _ = https_get(s, "www.tls.test")
                    if status != 200:
                        results["failed"].append(f"status {status}")
                    else:
                        results["ok"] += 1
                        if new_der is not None and der == new_der:
                            results["new_cert_seen"] += 1
                except Exception as error:  # noqa: BLE001 - every failure counts
                    results["failed"].append(repr(error))

        thread = threading.Thread(target=traffic, daemon=True)
        thread.start()
        try:
            wait_until(lambda: results["ok"] >= 20, 10 * self.scale, "traffic before rotation")
            crt, key = self.certs["maker"].make("www-v2", ["www.tls.test"])
            new_der = CertMaker.der(crt)
            changed_at = time.monotonic()
            self.manifests.write("www-secret.yaml", tls_secret("www-cert", crt, key))
            wait_until(lambda: peer_der(self.port, "www.tls.test") == new_der, 2 * self.scale,
                       "new handshakes to get the rotated certificate")
            took = time.monotonic() - changed_at
            before = results["ok"]
            wait_until(lambda: results["ok"] >= before + 20, 10 * self.scale,
                       "traffic after rotation")
        finally:
            stop.set()
            thread.join(10)
        assert not results["failed"], f"failed requests during rotation: {results['failed'][:5]}"
        assert results["new_cert_seen"] > 0
        status, _ = https_get(kept, "www.tls.test")  # the open connection is untouched
        assert status == 200 and kept.getpeercert(binary_form=True) == self.certs["www"]
        kept.close()
        return f"rotated in {took * 1000:.0f} ms, {results['ok']} requests, none failed"

    def no_private_keys(self):
        config = self.proxy.admin_get("/config").body
        snapshot = self.controller.admin_get("/snapshot").body
        for where, text in (("proxy /config", config), ("controller /snapshot", snapshot)):
            certificates = json.loads(text).get("certificates", [])
            assert len(certificates) == 4, f"{where}: {len(certificates)} certificates, not 4"
            assert all(c.get("cert_chain_pem") for c in certificates)
            shown = {base64.b64decode(c.get("private_key_pem", "")) for c in certificates}
            assert shown <= {b"", b"<redacted>"}, f"{where} shows a private key"
        keys = [base64.b64encode(open(p, "rb").read()).decode()[:60]
                for p in self.certs["key_paths"]]
        for process in (self.controller.process, self.proxy.process):
            log = process.log_text()
            assert "PRIVATE KEY" not in log, f"{process.name} logged a private key"
            for k in keys:
                assert k[20:] not in log and k[20:] not in config + snapshot

    def run_all(self, runner):
        runner.run("SNI exact: curl gets the www certificate, ALPN http/1.1, 200", self.exact_sni)
        runner.run("SNI wildcard one label deep; else the generated default",
                   self.wildcard_and_default)
        runner.run("one name, ECDSA and RSA: chosen by what the client supports",
                   self.ecdsa_and_rsa)
        runner.run("ALPN: http/1.1 selected, h2-only refused", self.alpn)
        runner.run("TLS 1.1 refused, 1.2+ accepted", self.tls11_refused)
        runner.run("resumption with tickets: TLS 1.3 (ssl) and TLS 1.2 (s_client)",
                   self.resumption)
        runner.run("TLS-only routes: 404 over plaintext; plaintext routes 404 over TLS",
                   self.tls_only_routes)
        runner.run("a Secret whose key does not match: logged by name, left out",
                   self.bad_secret)
        runner.run("garbage instead of a ClientHello closes only that connection", self.garbage)
        runner.run("rotation under load: new handshakes get the new certificate, none fail",
                   self.rotation_under_load)
        runner.run("no private key in /config, /snapshot or any log", self.no_private_keys)


def write_manifests(manifests, backend_port, maker):
    certs = {"folder": maker.folder, "maker": maker, "key_paths": []}

    def cert(name, sans, kind="ec"):
        crt, key = maker.make(name, sans, kind)
        certs[name] = CertMaker.der(crt)
        certs["key_paths"].append(key)
        return crt, key

    www = cert("www", ["www.tls.test"])
    wild = cert("wild", ["*.wild.test"])
    dual_ec = cert("dual-ecdsa", ["dual.tls.test"])
    dual_rsa = cert("dual-rsa", ["dual.tls.test"], kind="rsa")
    bad_crt, _ = cert("bad", ["bad.tls.test"])
    _, other_key = cert("other", ["other.tls.test"])
    manifests.write("app.yaml", k8s.service("app"),
                    k8s.endpoint_slice("app", [BACKEND_HOST], backend_port))
    manifests.write("www-secret.yaml", tls_secret("www-cert", *www))
    manifests.write("secrets.yaml", tls_secret("wild-cert", *wild),
                    tls_secret("dual-ecdsa", *dual_ec), tls_secret("dual-rsa", *dual_rsa),
                    tls_secret("bad-cert", bad_crt, other_key))
    manifests.write("ingress.yaml", ingress_with_tls([
        {"hosts": ["www.tls.test"], "secretName": "www-cert"},
        {"hosts": ["*.wild.test"], "secretName": "wild-cert"},
        {"hosts": ["dual.tls.test"], "secretName": "dual-ecdsa"},
        {"hosts": ["dual.tls.test"], "secretName": "dual-rsa"},
        {"hosts": ["bad.tls.test"], "secretName": "bad-cert"},
    ]))
    return certs


def main():
    args = parse_args()
    work_dir = tempfile.mkdtemp(prefix="portico-e2e-tls-")
    print(f"e2e tls: logs and manifests in {work_dir}", flush=True)
    runner = CheckRunner()
    with ProcessSet(work_dir) as processes:
        try:
            manifests = ManifestDir(os.path.join(work_dir, "manifests"))
            launcher = Launcher(processes, os.path.join(args.bin_dir, "portico-controller"),
                                os.path.join(args.bin_dir, "portico-proxy"), args.log_level)
            backend = launcher.echo_backend("backend-2", BACKEND_HOST)
            certs = write_manifests(manifests, backend.port,
                                    CertMaker(os.path.join(work_dir, "certs")))
            controller = launcher.controller(manifests.path)
            proxy = launcher.proxy(controller, 2)
            proxy.wait_ready(10 * args.time_scale)
            checks = TlsChecks(launcher, manifests, certs, controller, proxy, args.time_scale)
            wait_until(lambda: peer_der(proxy.web_port, "www.tls.test") == certs["www"],
                       5 * args.time_scale, "the www certificate to be served")
        except AssertionError as error:
            runner.fail("setup: certificates, backend, controller and proxy", str(error))
        else:
            checks.run_all(runner)
        if runner.failed:
            processes.print_log_tails()
    if runner.failed or args.keep:
        print(f"kept {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(runner.summary(), flush=True)
    return 1 if runner.failed else 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default="build/bin")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warn", "error"])
    parser.add_argument("--time-scale", type=float,
                        default=float(os.environ.get("PORTICO_E2E_TIME_SCALE", "1")))
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
