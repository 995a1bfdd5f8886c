#!/usr/bin/env python3
"""End to end for upstream TLS: IngressRoute services with scheme https (and an
Ingress backend on a Service port named https) reached over TLS, configured by
ServersTransports.

A test CA, a backend certificate (DNS and IP SANs, a URI SAN), a client CA
and a client certificate are generated at test time with the openssl CLI into
the run's folder (never printed). HTTPS echo backends listen on 127.0.0.3
(signed by the test CA), 127.0.0.4 (the same, requiring a client certificate
of the client CA) and 127.0.0.5 (self-signed: an unknown CA). The proxy runs
with SSL_CERT_FILE pointing at the test CA, which stands for the system trust
store. Checks: verification on by default and against rootCAs; SNI is
serverName, else the Host; a wrong name and an unknown CA answer 502 at once
with a body that says TLS; insecureSkipVerify; mutual TLS with and without a
client certificate; peerCertURI; connections are pooled per TLS identity (an
insecure connection is never reused for a verifying transport); a transport
whose Secret is missing leaves its routes unservable with the reason logged,
its neighbours unaffected; no private key in the proxy's /config, the controller's /snapshot or any log. Prints
PASS/FAIL per check; the last line is `N passed, N failed`.

    e2e/test_upstream_tls.py --bin-dir build/bin
"""

import base64
import os
import subprocess
import sys
import time

from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, get_once
from lib.polling import wait_until
from lib.scenario import run_scenario

VERIFIED_HOST = "127.0.0.3"   # certificate from the test CA
MTLS_HOST = "127.0.0.4"       # the same certificate; requires a client certificate
SELF_SIGNED_HOST = "127.0.0.5"
UNLISTED_IP_HOSTS = ["127.0.0.6", "127.0.0.7"]  # the test CA's certificate, without these IPs
BACKEND_NAMES = ["backend.tls.test", "ingress.tls.test"]
PEER_URI = "spiffe://portico.test/backend"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Pki:
    """The run's certificates, made with the openssl CLI; paths only, contents never printed."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.ca = self.authority("ca", "Portico Test CA")
        self.client_ca = self.authority("client-ca", "Portico Test Client CA")
        sans = ",".join([*(f"DNS:{n}" for n in BACKEND_NAMES), f"IP:{VERIFIED_HOST}",
                         f"IP:{MTLS_HOST}", f"URI:{PEER_URI}"])
        self.backend = self.leaf("backend", "backend", sans, self.ca)
        self.client = self.leaf("client", "portico-client", "DNS:client.tls.test", self.client_ca)
        self.self_signed = self.authority("self-signed", "self-signed backend",
                                          extra=["-addext", "subjectAltName=DNS:backend.tls.test"])

    def path(self, name):
        return os.path.join(self.folder, name)

    def authority(self, name, cn, extra=()):
        crt, key = self.path(f"{name}.crt"), self.path(f"{name}.key")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", f"/CN={cn}", *extra, "-keyout", key, "-out", crt)
        return crt, key

    def leaf(self, name, cn, sans, issuer):
        crt, key, csr = (self.path(f"{name}.{ext}") for ext in ("crt", "key", "csr"))
        ext = self.path(f"{name}.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", f"/CN={cn}", "-keyout", key, "-out", csr)
        openssl("x509", "-req", "-in", csr, "-CA", issuer[0], "-CAkey", issuer[1],
                "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
        return crt, key


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def secret(name, data):
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": k8s.NAMESPACE}, "data": data}


def transport(name, **spec):
    return {"apiVersion": "portico.dev/v1alpha1", "kind": "ServersTransport",
            "metadata": {"name": name, "namespace": k8s.NAMESPACE}, "spec": spec}


def route(host, service, transport_name=None, scheme="https"):
    ref = {"name": service, "port": 80, "scheme": scheme}
    if transport_name:
        ref["serversTransport"] = transport_name
    return {"match": f"Host(`{host}`)", "services": [ref]}


# Host -> (service, ServersTransport or None for the default one).
ROUTES = {
    "verify.test": ("verified", "verify"),
    "backend.tls.test": ("verified", None),        # default transport: SNI = Host
    "default-ip.test": ("verified", "by-ip"),      # serverName is the backend's IP
    "unknown-ca.test": ("self-signed", "verify"),
    "default-unknown.test": ("self-signed", None),
    "skip.test": ("self-signed", "skip"),
    "skip-verified.test": ("verified", "skip"),
    "wrong-name.test": ("verified", "wrong-name"),
    "no-client-cert.test": ("mtls", "verify"),
    "mtls.test": ("mtls", "mtls"),
    "uri.test": ("verified", "uri"),
    "uri-wrong.test": ("verified", "uri-wrong"),
    "broken.test": ("verified", "broken"),
}


def write_manifests(manifests, pki, ports):
    ca_secret = {"ca.crt": b64(pki.ca[0])}
    ca = [{"secret": "test-ca"}]
    docs = [
        secret("test-ca", ca_secret),
        {**secret("client-cert", {"tls.crt": b64(pki.client[0]), "tls.key": b64(pki.client[1])}),
         "type": "kubernetes.io/tls"},
        transport("verify", serverName="backend.tls.test", rootCAs=ca),
        transport("by-ip", serverName=VERIFIED_HOST, rootCAs=ca),
        transport("skip", insecureSkipVerify=True),
        transport("wrong-name", serverName="other.tls.test", rootCAs=ca),
        transport("mtls", serverName="backend.tls.test", rootCAs=ca,
                  certificatesSecrets=["client-cert"]),
        transport("uri", serverName="backend.tls.test", rootCAs=ca, peerCertURI=PEER_URI),
        transport("uri-wrong", serverName="backend.tls.test", rootCAs=ca,
                  peerCertURI="spiffe://portico.test/other"),
        transport("broken", rootCAs=[{"secret": "no-such-secret"}]),
    ]
    for name, host in (("verified", VERIFIED_HOST), ("mtls", MTLS_HOST),
                       ("self-signed", SELF_SIGNED_HOST)):
        docs += [k8s.service(name), k8s.endpoint_slice(name, [host], ports[name])]
    docs += [k8s.service("unlisted-ip"),
             k8s.endpoint_slice("unlisted-ip", UNLISTED_IP_HOSTS, ports["unlisted-ip"])]
    # Any Host reaches this one (before the Host routes): the name verified
    # comes from the request.
    any_host = {"match": "PathPrefix(`/any-host`)", "priority": 1000,
                "services": [{"name": "unlisted-ip", "port": 80, "scheme": "https"}]}
    docs.append({"apiVersion": "portico.dev/v1alpha1", "kind": "IngressRoute",
                 "metadata": {"name": "upstream", "namespace": k8s.NAMESPACE},
                 "spec": {"routes": [route(h, s, t) for h, (s, t) in ROUTES.items()]
                          + [any_host]}})
    # An Ingress to a Service port named https: TLS with the default transport.
    docs += [k8s.service("ingress-https", port=443, port_name="https"),
             k8s.endpoint_slice("ingress-https", [VERIFIED_HOST], ports["verified"],
                                port_name="https"),
             k8s.ingress("plain-ingress", k8s.rule("ingress.tls.test",
                                                   k8s.path("/", "ingress-https", 443)))]
    manifests.write("upstream.yaml", *docs)


def run(launcher, manifests, scale, runner):
    pki = Pki(os.path.join(os.path.dirname(manifests.path), "certs"))
    tls_args = ["--tls-cert", pki.backend[0], "--tls-key", pki.backend[1]]
    backends = {
        "verified": launcher.echo_backend("verified", VERIFIED_HOST, extra_args=tls_args),
        "mtls": launcher.echo_backend("mtls", MTLS_HOST, extra_args=[
            *tls_args, "--tls-client-ca", pki.client_ca[0]]),
        "self-signed": launcher.echo_backend("self-signed", SELF_SIGNED_HOST, extra_args=[
            "--tls-cert", pki.self_signed[0], "--tls-key", pki.self_signed[1]]),
    }
    first = launcher.echo_backend("unlisted-ip", UNLISTED_IP_HOSTS[0], extra_args=tls_args)
    launcher.echo_backend("unlisted-ip-2", UNLISTED_IP_HOSTS[1], first.port, extra_args=tls_args)
    backends["unlisted-ip"] = first
    write_manifests(manifests, pki, {name: b.port for name, b in backends.items()})
    controller = launcher.controller(manifests.path)
    os.environ["SSL_CERT_FILE"] = pki.ca[0]  # the proxy's "system" trust store
    proxy = launcher.proxy(controller, 2)
    proxy.wait_ready(10 * scale)

    def get(host):
        return get_once("127.0.0.1", proxy.web_port, "/", host_header=host, timeout_s=5 * scale)

    wait_until(lambda: get("verify.test").status == 200, 5 * scale, "verify.test served",
               retry_on=HTTP_ERRORS)

    def expect(host, status, backend=None, body_has=()):
        started = time.monotonic()
        response = get(host)
        took = time.monotonic() - started
        assert response.status == status, \
            f"{host}: expected {status}, got {response.status}: {response.body.strip()}"
        if backend is not None:
            assert response.backend == backend, f"{host}: answered by {response.backend}"
        for text in body_has:
            assert text in response.body, f"{host}: {text!r} not in {response.body!r}"
        return response, took

    def check_verified():
        expect("verify.test", 200, "verified", ["tls-sni: backend.tls.test"])
        expect("default-ip.test", 200, "verified", ["tls-sni: \n"])  # IP: no SNI, IP SAN checked
        return "rootCAs + serverName; an IP serverName checked against IP SANs, no SNI"

    def check_default_transport():
        expect("backend.tls.test", 200, "verified", ["tls-sni: backend.tls.test"])
        _, took = expect("default-unknown.test", 502, body_has=["TLS"])
        return f"trust store + Host as SNI; unknown CA refused in {took:.2f} s"

    def check_failures_fast():
        notes = []
        for host in ("unknown-ca.test", "wrong-name.test", "uri-wrong.test",
                     "no-client-cert.test"):
            _, took = expect(host, 502, body_has=["TLS to the backend failed"])
            assert took < 2 * scale, f"{host}: 502 took {took:.2f} s"
            notes.append(f"{host.split('.')[0]} {took * 1000:.0f} ms")
        proxy.process.wait_for_log(r"certificate verify failed", 2 * scale)
        return ", ".join(notes)

    def at(host):
        return get_once("127.0.0.1", proxy.web_port, "/any-host", host_header=host,
                        timeout_s=5 * scale)

    def check_nameless_host():
        # A Host that names nothing must not mean "verify no name": the
        # certificate below is trusted but holds neither name nor address.
        assert at("backend.tls.test").status == 200
        for host in ("[]", "[]:80", "[x]"):
            response = at(host)
            assert response.status == 400, f"Host {host}: {response.status} {response.body!r}"
        response = at("[::1]")
        assert response.status == 502, f"Host [::1]: {response.status} {response.body!r}"
        return "Host [] and [x] → 400; [::1] verified as ::1 → 502; a listed name → 200"

    def check_client_names_eject_nobody():
        # The name verified is the client's Host here: a client sending
        # names the backends' certificate lacks must not get them ejected.
        for _ in range(12):
            response = at("evil.test")
            assert response.status == 502, f"evil.test: {response.status}"
        seen = {at("backend.tls.test").backend for _ in range(8)}
        assert seen == {"unlisted-ip", "unlisted-ip-2"}, f"served by {sorted(seen)} only"
        return "12 refused certificates for evil.test, then both endpoints still serve"

    def check_resumption():
        # Each answer under /close/ ends its backend connection, so each
        # request needs a new one; every worker pays one full handshake,
        # then resumes with the session the backend gave it.
        workers, total = 2, 8
        resumed = 0
        for _ in range(total):
            response = get_once("127.0.0.1", proxy.web_port, "/close/x", host_header="verify.test",
                                timeout_s=5 * scale)
            assert response.status == 200, f"{response.status} {response.body!r}"
            assert "tls-resumed: " in response.body, response.body
            resumed += "tls-resumed: yes" in response.body
        assert resumed >= total - workers, f"only {resumed} of {total} new connections resumed"
        return f"{resumed} of {total} new backend connections resumed ({workers} workers)"

    def check_skip_verify():
        expect("skip.test", 200, "self-signed")
        return "insecureSkipVerify reaches a self-signed backend"

    def check_mtls():
        expect("mtls.test", 200, "mtls", ["tls-client: portico-client"])
        return "the client certificate of certificatesSecrets is presented"

    def check_peer_uri():
        expect("uri.test", 200, "verified")
        return "peerCertURI matched against the URI SAN"

    def check_pool_per_identity():
        # A pooled connection made without verification must never serve a
        # transport that verifies: the wrong name still fails after it.
        first, _ = expect("skip-verified.test", 200, "verified")
        expect("skip-verified.test", 200, "verified")
        expect("wrong-name.test", 502)
        again, _ = expect("verify.test", 200, "verified", ["tls-sni: backend.tls.test"])
        return "insecure, wrong-name and verifying connections kept apart"

    def check_ingress_https_port():
        expect("ingress.tls.test", 200, "verified", ["tls-sni: ingress.tls.test"])
        return "Ingress backend on a port named https: TLS, verified, SNI = Host"

    def check_broken_transport():
        response, _ = expect("broken.test", 503)
        controller.process.wait_for_log(
            r"InvalidServersTransport.*ServersTransport default/broken: "
            r"spec\.rootCAs\[0\]\.secret: Secret default/no-such-secret not found", 2 * scale)
        expect("verify.test", 200, "verified")
        return "503, reason logged on the route and the transport; others unaffected"

    def check_no_private_keys():
        with open(pki.client[1]) as f:
            key_lines = [line for line in f.read().splitlines() if line and "-----" not in line]
        dumps = {"proxy /config": proxy.admin_get("/config").body,
                 "controller /snapshot": controller.admin_get("/snapshot").body}
        dumps.update({f"{p.name} log": p.log_text() for p in launcher.processes.processes})
        client_key_b64 = b64(pki.client[1])
        for where, text in dumps.items():
            assert client_key_b64 not in text, f"the client key (base64) leaked in {where}"
            for line in key_lines:
                assert line not in text, f"a line of the client key leaked in {where}"
        return f"{len(dumps)} dumps and logs checked"

    runner.run("verification against rootCAs, SNI = serverName", check_verified)
    runner.run("default transport: verification on, system trust store, SNI = Host",
               check_default_transport)
    runner.run("unknown CA, wrong name, wrong peerCertURI, missing client cert: 502 at once",
               check_failures_fast)
    runner.run("a Host without a name is refused, never verified as no name",
               check_nameless_host)
    runner.run("certificates refused for a client's Host eject no endpoint",
               check_client_names_eject_nobody)
    runner.run("new backend connections resume TLS sessions", check_resumption)
    runner.run("insecureSkipVerify", check_skip_verify)
    runner.run("mutual TLS to the backend", check_mtls)
    runner.run("peerCertURI", check_peer_uri)
    runner.run("pooled connections are kept per TLS identity", check_pool_per_identity)
    runner.run("Ingress: a Service port named https is reached over TLS", check_ingress_https_port)
    runner.run("a transport with a missing Secret: its route 503, the rest served",
               check_broken_transport)
    runner.run("no private key in the proxy's /config, the controller's /snapshot or any log", check_no_private_keys)


def main():
    return run_scenario("e2e upstream TLS", "portico-e2e-upstream-tls-", run)


if __name__ == "__main__":
    sys.exit(main())
