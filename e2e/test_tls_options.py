#!/usr/bin/env python3
"""End to end for TLS options (Traefik's TLSOption) chosen by SNI.

Certificates, a client CA and client certificates are generated at test time
with the openssl CLI into the run's folder (never printed). Python's ssl
client checks: a TLS 1.2-only client refused by an option with minVersion
VersionTLS13 (named by an Ingress annotation) while the default option on
another host still takes it; ALPN http/1.1 negotiated although the option
lists h2 first; RequireAndVerifyClientCert refusing a handshake without a
certificate or with one of another CA and proxying with one the CA signed;
sniStrict refusing a name with no certificate; 421 when the Host is not the
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
HOSTS = ["modern.opt.test", "mtls.opt.test", "strict.opt.test", "other.opt.test"]

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
metadata: {name: mtls, namespace: default}
spec:
  clientAuth: {secretNames: [clients-ca], clientAuthType: RequireAndVerifyClientCert}
---
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: {name: strict, namespace: default}
spec: {sniStrict: true}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: mtls, namespace: default}
spec:
  routes:
  - {match: Host(`mtls.opt.test`), services: [{name: app, port: 80}]}
  tls: {secretName: site-cert, options: {name: mtls}}
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
        f.write(ROUTES)
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
        without = get_over_tls(port, "mtls.opt.test")
        assert isinstance(without, Exception), f"no client certificate: {without!r}"
        for ca, expect in (("ca", True), ("other-ca", False)):
            ctx = client_context()
            ctx.load_cert_chain(*clients[f"client-of-{ca}"])
            result = get_over_tls(port, "mtls.opt.test", ctx=ctx)
            assert served(result) == expect, f"client certificate of {ca}: {result!r}"
        result = get_over_tls(port, "other.opt.test")
        assert served(result), f"the default option asks for no certificate: {result!r}"
        return "no certificate and another CA's refused; the CA's proxied"

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
    runner.run("clientAuth RequireAndVerifyClientCert", client_auth)
    runner.run("sniStrict: unknown name refused", sni_strict)
    runner.run("Host and SNI under different options or sniStrict: 421", misdirected)


def main():
    return run_scenario("e2e TLS options", "portico-e2e-tls-options-", run)


if __name__ == "__main__":
    sys.exit(main())
