#!/usr/bin/env python3
"""End to end for TLS options (Traefik's TLSOption) chosen by SNI.

Certificates, a client CA and client certificates are generated at test time
with the openssl CLI into the run's folder (never printed). Python's ssl
client checks: a TLS 1.2-only client refused by an option with minVersion
VersionTLS13 (named by an Ingress annotation) while the default option on
another host still takes it; ALPN http/1.1 negotiated although the option
lists h2 first; every clientAuthType (NoClientCert, RequestClientCert,
RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)
against no client certificate, one of another CA and one the CA signed;
cipherSuites and curvePreferences of a TLS 1.2 option (negotiated cipher,
a client without the suite refused, the server's ECDHE group seen by
openssl s_client); sniStrict refusing a name with no certificate; 421 when the Host is not the
SNI across options or under sniStrict. Prints PASS/FAIL per check.

    e2e/test_tls_options.py --bin-dir build/bin
"""

import base64
import os
import socket
import ssl
import subprocess
import sys

from lib import manifests as k8s
from lib.polling import wait_until
from lib.scenario import run_scenario
from test_tls import CertMaker, client_context, connect, https_get, tls_secret

BACKEND_HOST = "127.0.0.2"
# clientAuthType → (host, outcome without a certificate, with one of another
# CA, with one the CA signed): True = proxied, False = refused. Go's
# crypto/tls semantics, which Traefik follows.
CLIENT_AUTH = {
    "NoClientCert": ("none.opt.test", True, True, True),
    "RequestClientCert": ("request.opt.test", True, True, True),
    "RequireAnyClientCert": ("any.opt.test", False, True, True),
    "VerifyClientCertIfGiven": ("ifgiven.opt.test", True, False, True),
    "RequireAndVerifyClientCert": ("mtls.opt.test", False, False, True),
}
HOSTS = ["modern.opt.test", "strict.opt.test", "other.opt.test", "suites.opt.test",
         *(host for host, *_ in CLIENT_AUTH.values())]

ROUTES = """\
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: {name: tls13, namespace: default}
spec:
  minVersion: VersionTLS13
  alpnProtocols: [h2, http/1.1]
---
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: {name: suites, namespace: default}
spec:
  maxVersion: VersionTLS12
  cipherSuites: [TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
  curvePreferences: [CurveP384]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: suites, namespace: default}
spec:
  routes:
  - {match: Host(`suites.opt.test`), services: [{name: app, port: 80}]}
  tls: {secretName: site-cert, options: {name: suites}}
---
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: {name: strict, namespace: default}
spec: {sniStrict: true}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: strict, namespace: default}
spec:
  routes:
  - match: Host(`strict.opt.test`) || Host(`nocert.opt.test`)
    services: [{name: app, port: 80}]
  tls: {secretName: site-cert, options: {name: strict}}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: other, namespace: default}
spec:
  routes:
  - {match: Host(`other.opt.test`), services: [{name: app, port: 80}]}
  tls: {secretName: site-cert}
"""


def client_auth_manifests():
    """A TLSOption and an IngressRoute per clientAuthType (CLIENT_AUTH)."""
    parts = []
    for auth_type, (host, *_) in CLIENT_AUTH.items():
        name = host.split(".")[0]
        parts.append(f"""\
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: {{name: {name}, namespace: default}}
spec:
  clientAuth: {{secretNames: [clients-ca], clientAuthType: {auth_type}}}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {{name: {name}, namespace: default}}
spec:
  routes:
  - {{match: Host(`{host}`), services: [{{name: app, port: 80}}]}}
  tls: {{secretName: site-cert, options: {{name: {name}}}}}
""")
    return "---\n".join(parts)


def make_ca_and_clients(maker):
    """A CA, a client certificate it signs, and one of another CA; paths by name."""
    folder = maker.folder

    def run(*argv):
        subprocess.run(argv, check=True, capture_output=True)

    paths = {}
    for ca in ("ca", "other-ca"):
        crt, key = os.path.join(folder, f"{ca}.crt"), os.path.join(folder, f"{ca}.key")
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "2", "-subj", f"/CN={ca}", "-addext",
            "basicConstraints=critical,CA:TRUE", "-keyout", key, "-out", crt)
        client = os.path.join(folder, f"client-of-{ca}")
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-subj", "/CN=alice", "-keyout", client + ".key", "-out", client + ".csr")
        run("openssl", "x509", "-req", "-in", client + ".csr", "-CA", crt, "-CAkey", key,
            "-CAcreateserial", "-days", "2", "-out", client + ".crt")
        paths[ca] = crt
        paths[f"client-of-{ca}"] = (client + ".crt", client + ".key")
    return paths


def ca_secret(name, crt_path):
    with open(crt_path, "rb") as f:
        pem = base64.b64encode(f.read()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": k8s.NAMESPACE}, "data": {"ca.crt": pem}}


def get_over_tls(port, sni, host=None, ctx=None):
    """(status, body) of one GET, or the exception the handshake or read raised."""
    try:
        with connect(port, sni, ctx) as s:
            return https_get(s, host or sni)
    except (ssl.SSLError, OSError, AssertionError) as error:
        return error


def run(launcher, manifests, scale, runner):
    maker = CertMaker(os.path.join(os.path.dirname(manifests.path), "certs"))
    site_crt, site_key = maker.make("site", HOSTS)
    clients = make_ca_and_clients(maker)
    backend = launcher.echo_backend("backend-2", BACKEND_HOST)
    modern = k8s.ingress("modern", k8s.rule("modern.opt.test", k8s.path("/", "app")))
    modern["metadata"]["annotations"] = {"portico.dev/tls-options": "default/tls13"}
    modern["spec"]["tls"] = [{"hosts": ["modern.opt.test"], "secretName": "site-cert"}]
    manifests.write("app.yaml", k8s.service("app"),
                    k8s.endpoint_slice("app", [BACKEND_HOST], backend.port), modern,
                    tls_secret("site-cert", site_crt, site_key),
                    ca_secret("clients-ca", clients["ca"]))
    with open(os.path.join(manifests.path, "routes.yaml"), "w") as f:
        f.write(ROUTES + "---\n" + client_auth_manifests())
    controller = launcher.controller(manifests.path)
    proxy = launcher.proxy(controller, workers=2)
    proxy.wait_ready(10 * scale)
    port = proxy.web_port
    tls12_only = client_context(max_version=ssl.TLSVersion.TLSv1_2)

    def served(result):
        return isinstance(result, tuple) and result[0] == 200 and "name: backend-2" in result[1]

    wait_until(lambda: isinstance(get_over_tls(port, "modern.opt.test", ctx=tls12_only),
                                  Exception), 5 * scale, "the tls13 option applied")

    def versions():
        refused = get_over_tls(port, "modern.opt.test", ctx=tls12_only)
        assert isinstance(refused, ssl.SSLError), f"TLS 1.2 to modern: {refused!r}"
        assert served(get_over_tls(port, "modern.opt.test")), "TLS 1.3 to modern not served"
        result = get_over_tls(port, "other.opt.test", ctx=tls12_only)
        assert served(result), f"TLS 1.2 on the default option: {result!r}"
        return "VersionTLS13 refuses TLS 1.2 on its host only"

    def alpn():
        ctx = client_context(alpn=("h2", "http/1.1"))
        with connect(port, "modern.opt.test", ctx) as s:
            assert s.selected_alpn_protocol() == "http/1.1", s.selected_alpn_protocol()
            assert s.version() == "TLSv1.3"
        proxy.process.wait_for_log("ALPN protocol h2 is not served by this proxy", 2 * scale)
        return "http/1.1 negotiated; h2 left out with a warning"

    def client_auth():
        outcomes = []
        for auth_type, (host, *expected) in CLIENT_AUTH.items():
            for certificate, expect in zip((None, "other-ca", "ca"), expected):
                ctx = client_context()
                if certificate:
                    ctx.load_cert_chain(*clients[f"client-of-{certificate}"])
                # TLS 1.3 clients finish before the server judges their
                # certificate: a refusal may only show on the first read.
                result = get_over_tls(port, host, ctx=ctx)
                assert served(result) == expect, (
                    f"{auth_type}, client certificate {certificate or 'none'}: expected "
                    f"{'proxied' if expect else 'refused'}, got {result!r}")
                outcomes.append(expect)
        result = get_over_tls(port, "other.opt.test")
        assert served(result), f"the default option asks for no certificate: {result!r}"
        return (f"{len(CLIENT_AUTH)} types x 3 clients: {outcomes.count(True)} proxied, "
                f"{outcomes.count(False)} refused as expected")

    def suites_and_curves():
        ctx = client_context(max_version=ssl.TLSVersion.TLSv1_2)
        with connect(port, "suites.opt.test", ctx) as s:
            assert s.version() == "TLSv1.2", s.version()
            cipher = s.cipher()[0]
            assert cipher == "ECDHE-ECDSA-CHACHA20-POLY1305", cipher
        aes_only = client_context(max_version=ssl.TLSVersion.TLSv1_2)
        aes_only.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384")
        refused = get_over_tls(port, "suites.opt.test", ctx=aes_only)
        assert isinstance(refused, ssl.SSLError), f"a client without the suite: {refused!r}"
        # The ECDHE group is not in Python's ssl API; openssl s_client shows it.
        out = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
             "suites.opt.test", "-tls1_2", "-brief"],
            input=b"", capture_output=True, timeout=10 * scale)
        text = out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace")
        temp_key = [line for line in text.splitlines() if "Temp Key" in line]
        assert temp_key and ("P-384" in temp_key[0] or "secp384r1" in temp_key[0]), (
            f"ECDHE group of the suites option: {temp_key or text[-300:]}")
        return f"{cipher}; AES-only client refused; {temp_key[0].strip()}"

    def sni_strict():
        refused = get_over_tls(port, "nocert.opt.test")
        assert isinstance(refused, ssl.SSLError), f"nocert under sniStrict: {refused!r}"
        assert "UNRECOGNIZED_NAME" in str(refused).upper(), str(refused)
        assert served(get_over_tls(port, "strict.opt.test"))
        # Names of the default option still get the default certificate.
        with connect(port, "nobody.opt.test") as s:
            assert s.getpeercert(binary_form=True) != CertMaker.der(site_crt)
        return "a name without a certificate refused with unrecognized_name"

    def misdirected():
        cases = [("strict.opt.test", "other.opt.test", 421),   # sniStrict, other option
                 ("other.opt.test", "strict.opt.test", 421),
                 ("other.opt.test", "modern.opt.test", 421),   # different options
                 ("strict.opt.test", "nocert.opt.test", 421),  # same option, sniStrict
                 ("other.opt.test", "nobody.opt.test", 404),   # both default: routed
                 ("other.opt.test", "other.opt.test", 200)]
        for sni, host, expected in cases:
            result = get_over_tls(port, sni, host=host)
            assert isinstance(result, tuple) and result[0] == expected, (
                f"SNI {sni}, Host {host}: expected {expected}, got {result!r}")
        return f"{len(cases)} SNI/Host pairs"

    runner.run("minVersion VersionTLS13 (Ingress annotation): TLS 1.2 refused; default "
               "option unaffected", versions)
    runner.run("alpnProtocols: http/1.1 negotiated", alpn)
    runner.run("clientAuth: every clientAuthType x {none, another CA's, the CA's}", client_auth)
    runner.run("cipherSuites and curvePreferences (TLS 1.2)", suites_and_curves)
    runner.run("sniStrict: unknown name refused", sni_strict)
    runner.run("Host and SNI under different options or sniStrict: 421", misdirected)


def main():
    return run_scenario("e2e TLS options", "portico-e2e-tls-options-", run)


if __name__ == "__main__":
    sys.exit(main())
