#!/usr/bin/env python3
"""The scenarios of the Kubernetes Ingress conformance suite
(kubernetes-sigs/ingress-controller-conformance: default backend, host rules,
path rules, load balancing, ingress class) end to end, in our own words.

portico-controller --source=kube reads the stand-in API server; the real
kubectl applies each feature's Ingresses, Services, EndpointSlices (and
Secret, IngressClasses) into a namespace of its own and deletes the
namespace afterwards, as the suite does; echo backends on 127.0.0.x stand for
the Services' pods; every request goes through portico-proxy. A feature's
background waits until every request it expects to be served is served and
every Ingress it expects Portico to take shows the published address in
`status.loadBalancer`; each scenario is then one request, checked for its
status, the Service whose backend answered, and what that backend saw
(method, path, Host, protocol, User-Agent).

Where Portico deliberately differs from the suite the scenario asserts
Portico's documented behaviour and its comment says why (docs/kubernetes.md,
"Ingress conformance").

    e2e/test_ingress_conformance.py --bin-dir build/bin [--kubectl kubectl]
"""

import base64
import collections
import http.client
import os
import socket
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass, field

from echo_backend import EchoServer
from kubeapi.client import Kubectl, start_kubeapi
from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, HttpClient
from lib.polling import WaitTimeout, wait_until
from lib.scenario import run_scenario
from lib.stack import Controller

PUBLISHED = "127.0.0.1"  # --publish-address: what every Ingress of ours must show
SERVICE_PORT = 8080  # the Services' port, as in the suite
USER_AGENT = "portico-conformance/1"
# One echo backend per Service name, on an address of its own; a Service of
# the same name in another feature's namespace reuses it.
SERVICES = ["echo-service", "rules-service", "wildcard-foo-com", "foo-bar-com", "foo-exact",
            "foo-prefix", "aaa-bbb-prefix", "aaa-prefix", "aaa-bbb-slash-prefix",
            "foo-slash-exact", "root-prefix", "impl-foo", "impl-any", "class-backend"]
LB_PODS = [f"127.0.0.{n}" for n in range(101, 111)]  # the ten replicas of load balancing


# The path rules scenarios: title, host (under .paths.test), path, the Service that
# answers (None: 404). Hosts: exact (Exact /foo), prefix (Prefix /foo, /aaa/bbb,
# /aaa), mixed (Prefix and Exact /foo), trailing (Prefix /aaa/bbb/, Exact /foo/),
# element (Prefix /aaa/bbb), root (Prefix /, /aaa, /aaa/bbb), impl
# (ImplementationSpecific /foo), impl-any (ImplementationSpecific, no path).
PATH_SCENARIOS = [
    ("Exact /foo takes /foo", "exact", "/foo", "foo-exact"),
    ("Exact /foo does not take /foo/", "exact", "/foo/", None),
    ("Exact /foo is case-sensitive (/FOO)", "exact", "/FOO", None),
    ("Exact /foo does not take /bar", "exact", "/bar", None),
    ("Prefix /foo takes /foo", "prefix", "/foo", "foo-prefix"),
    ("Prefix /foo takes /foo/", "prefix", "/foo/", "foo-prefix"),
    ("Prefix /foo is case-sensitive (/FOO)", "prefix", "/FOO", None),
    ("the longest prefix wins: /aaa/bbb", "prefix", "/aaa/bbb", "aaa-bbb-prefix"),
    ("the longest prefix wins for a sub-path", "prefix", "/aaa/bbb/ccc", "aaa-bbb-prefix"),
    ("Prefix /aaa takes /aaa/ccc", "prefix", "/aaa/ccc", "aaa-prefix"),
    ("Prefix /aaa does not take /aaaccc", "prefix", "/aaaccc", None),
    ("/aaa/bbbxyz is under /aaa, not /aaa/bbb", "prefix", "/aaa/bbbxyz", "aaa-prefix"),
    ("Exact beats Prefix for the same path", "mixed", "/foo", "foo-exact"),
    ("the Prefix twin takes /foo/", "mixed", "/foo/", "foo-prefix"),
    ("Prefix /aaa/bbb/ takes /aaa/bbb", "trailing", "/aaa/bbb", "aaa-bbb-slash-prefix"),
    ("Prefix /aaa/bbb/ takes /aaa/bbb/", "trailing", "/aaa/bbb/", "aaa-bbb-slash-prefix"),
    ("Exact /foo/ does not take /foo", "trailing", "/foo", None),
    ("Exact /foo/ takes /foo/", "trailing", "/foo/", "foo-slash-exact"),
    ("Prefix /aaa/bbb does not take /aaa/bbbxyz", "element", "/aaa/bbbxyz", None),
    ("Prefix /aaa/bbb does not take /aaa/bb", "element", "/aaa/bb", None),
    ("Prefix /aaa/bbb takes /aaa/bbb/", "element", "/aaa/bbb/", "aaa-bbb-prefix"),
    ("/, /aaa, /aaa/bbb: /aaa/bbb goes to /aaa/bbb", "root", "/aaa/bbb", "aaa-bbb-prefix"),
    ("/, /aaa, /aaa/bbb: /aaa/ccc goes to /aaa", "root", "/aaa/ccc", "aaa-prefix"),
    ("/, /aaa, /aaa/bbb: /ccc goes to /", "root", "/ccc", "root-prefix"),
    ("/, /aaa, /aaa/bbb: /aaaccc goes to /", "root", "/aaaccc", "root-prefix"),
    ("ImplementationSpecific /foo takes /foo", "impl", "/foo", "impl-foo"),
    ("ImplementationSpecific /foo takes /foo/bar", "impl", "/foo/bar", "impl-foo"),
    ("ImplementationSpecific /foo does not take /foobar", "impl", "/foobar", None),
    ("ImplementationSpecific without a path takes everything", "impl-any", "/any/thing",
     "impl-any"),
    # Not in the suite: routes match the path percent-decoded, except for
    # reserved characters (docs/rules.md, "The routing path"); the backend
    # gets the path as sent.
    ("an escaped unreserved character matches decoded", "exact", "/fo%6f", "foo-exact"),
    ("escapes are decoded under a prefix too", "prefix", "/%61aa/bbb/c", "aaa-bbb-prefix"),
    ("an escaped / is no path separator", "prefix", "/aaa%2Fbbb", None),
    ("the query string is not part of the path", "exact", "/foo?x=/bar", "foo-exact"),
    ("a second Ingress adds its paths to the host", "prefix", "/ccc/x", "root-prefix"),
    ("the losing Ingress's other path is served", "exact", "/other", "impl-any"),
    ("one host and path in two Ingresses: the first wins", "exact", "/foo",
     "foo-exact"),
]


# ---- objects -------------------------------------------------------------------------------

def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def in_namespace(ns, *documents):
    """The documents with metadata.namespace set (the builders of lib.manifests say default)."""
    for document in documents:
        document["metadata"]["namespace"] = ns
    return list(documents)


def service_objects(ns, name, addresses, port):
    """A Service on SERVICE_PORT (port name http) and its EndpointSlice."""
    return in_namespace(ns, k8s.service(name, port=SERVICE_PORT),
                        k8s.endpoint_slice(name, addresses, port))


def ingress(name, *rules, default_backend=None, class_name=None, annotations=None, tls=None):
    document = k8s.ingress(name, *rules, default_backend=default_backend)
    if class_name is not None:
        document["spec"]["ingressClassName"] = class_name
    if annotations:
        document["metadata"]["annotations"] = annotations
    if tls:
        document["spec"]["tls"] = tls
    return document


def path(value, service, path_type="Prefix", port=SERVICE_PORT):
    """An Ingress path; value None leaves `path` out (allowed for ImplementationSpecific)."""
    entry = k8s.path(value or "/", service, port=port, path_type=path_type)
    if value is None:
        del entry["path"]
    return entry


def ingress_class(name, controller, default=False):
    document = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                "metadata": {"name": name}, "spec": {"controller": controller}}
    if default:
        document["metadata"]["annotations"] = {
            "ingressclass.kubernetes.io/is-default-class": "true"}
    return document


def tls_secret(ns, name, crt_path, key_path):
    def b64(file_path):
        with open(file_path, "rb") as f:
            return base64.b64encode(f.read()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": ns},
            "data": {"tls.crt": b64(crt_path), "tls.key": b64(key_path)}}


def self_signed(folder, host):
    """A self-signed ECDSA certificate for `host` (openssl CLI); returns (crt, key) paths."""
    os.makedirs(folder, exist_ok=True)
    crt, key = os.path.join(folder, f"{host}.crt"), os.path.join(folder, f"{host}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=DNS:{host}", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return crt, key


# ---- requests ------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    version: int  # 11 for HTTP/1.1, as http.client reports it
    headers: http.client.HTTPMessage
    seen: dict  # what the echo backend reported; empty when no backend answered

    @property
    def service(self):
        """The Service whose backend answered (the echo backend's name), or None."""
        return self.headers.get("X-Backend")


def parse_echo(body):
    seen = {"headers": {}}
    for line in body.splitlines():
        key, _, value = line.partition(": ")
        if key == "header":
            name, _, header_value = value.partition(": ")
            seen["headers"][name.lower()] = header_value
        else:
            seen[key] = value
    return seen


@dataclass
class Request:
    """One scenario's request and what must come back: `service` names the Service whose
    backend must answer (a set: any of these pods); None: no backend may answer (the
    status is Portico's own)."""
    title: str
    host: str
    path: str
    status: int
    service: str = None
    method: str = "GET"
    tls: bool = False
    tls_ca: str = None  # with tls: the certificate the connection must verify


def send(port, request, host_header):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        if request.tls:
            context = ssl.create_default_context(cafile=request.tls_ca)  # checks the host name
            raw = socket.create_connection(("127.0.0.1", port), timeout=3)
            try:
                # SNI carries no trailing dot (RFC 6066), as curl sends it.
                connection.sock = context.wrap_socket(
                    raw, server_hostname=request.host.rstrip("."))
            except BaseException:
                raw.close()
                raise
        connection.request(request.method, request.path, headers={
            "Host": host_header, "User-Agent": USER_AGENT, "Connection": "close"})
        raw_response = connection.getresponse()
        body = raw_response.read().decode(errors="replace")
        seen = parse_echo(body) if raw_response.headers.get("X-Backend") else {}
        return Answer(raw_response.status, raw_response.version, raw_response.headers, seen)
    finally:
        connection.close()


def mismatch(answer, request, host_header):
    """What is wrong with the answer, or None."""
    got = f"{answer.status} from {answer.service or 'the proxy'}"
    if answer.status != request.status:
        return f"status {answer.status}, wanted {request.status} ({got})"
    if request.service is None:
        return f"answered by {answer.service}" if answer.service else None
    wanted_services = request.service if isinstance(request.service, frozenset) else {
        request.service}
    if answer.service not in wanted_services:
        return f"served by {answer.service}, wanted {request.service}"
    wanted = {"method": request.method, "path": request.path, "version": "HTTP/1.1",
              "host": host_header, "user-agent": USER_AGENT}
    seen = {key: answer.seen.get(key) for key in ("method", "path", "version")}
    seen.update(host=answer.seen["headers"].get("host"),
                **{"user-agent": answer.seen["headers"].get("user-agent")})
    if seen != wanted:
        return f"the backend saw {seen}, wanted {wanted}"
    if answer.version != 11:
        return f"answered in HTTP version {answer.version}, not 1.1"
    missing = [h for h in ("Content-Length", "Content-Type", "Date", "Server")
               if answer.headers.get(h) is None]
    if missing:
        return f"response headers {missing} missing"
    if request.tls and answer.seen["headers"].get("x-forwarded-proto") != "https":
        return "X-Forwarded-Proto: https missing over TLS"
    return None


# ---- the run -------------------------------------------------------------------------------

@dataclass
class Feature:
    title: str
    namespace: str
    objects: list  # applied after the Namespace, in this order
    ours: list  # names of Ingresses that must show the published address
    not_ours: list = field(default_factory=list)  # names of Ingresses that must not
    requests: list = field(default_factory=list)


def start_controller(processes, binary, kubeconfig, timeout_s):
    process = processes.start("controller", [
        binary, "--source=kube", f"--kubeconfig={kubeconfig}", "--grpc-listen=127.0.0.1:0",
        "--grpc-insecure", "--admin-listen=127.0.0.1:0", "--lease=default/portico-controller",
        f"--publish-address={PUBLISHED}",
    ])
    _, grpc_port = process.wait_for_listening("controller: grpc listening on ", timeout_s)
    _, admin_port = process.wait_for_listening("controller: admin listening on ", timeout_s)
    return Controller(process, grpc_port, admin_port)


class EchoBackends:
    """The echo backend's server (e2e/echo_backend.py), run in threads of this process:
    24 of them start in milliseconds where 24 interpreters take seconds on a busy
    machine. Each listens on an address of its own and port 0, or a given port."""

    def __init__(self):
        self.servers = []

    def start(self, name, address, port=0):
        server = EchoServer((address, port), name, verbose=False)
        self.servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         name=name, daemon=True).start()
        return server.server_address[1]

    def stop(self):
        # shutdown() waits up to poll_interval for its loop: stop them all at once.
        stoppers = [threading.Thread(target=server.shutdown) for server in self.servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for server in self.servers:
            server.server_close()


def start_backends(echo):
    """{Service name: (address, port)}, and the load-balancing pods' names and port."""
    backends = {name: (f"127.0.0.{10 + n}", 0) for n, name in enumerate(SERVICES)}
    for name, (address, _) in backends.items():
        backends[name] = (address, echo.start(name, address))
    return backends, _start_pods(echo)


def _start_pods(echo, attempts=5):
    """The load-balancing pods, all on one port (an EndpointSlice has one port for all its
    endpoints): the first takes a free port, which another process may hold on the others'
    addresses; then it starts over on a new port."""
    for _ in range(attempts):
        started = len(echo.servers)
        port = echo.start(_pod_name(LB_PODS[0]), LB_PODS[0])
        try:
            for address in LB_PODS[1:]:
                echo.start(_pod_name(address), address, port)
            return port
        except OSError:
            for server in echo.servers[started:]:
                server.shutdown()
                server.server_close()
            del echo.servers[started:]
    raise AssertionError(f"no port was free on all of {LB_PODS} in {attempts} attempts")


def _pod_name(address):
    return "pod-" + address.rsplit(".", 1)[-1]


def run(launcher, kubectl_bin, work_dir, scale, runner):
    echo = EchoBackends()
    try:
        run_features(launcher, kubectl_bin, work_dir, scale, runner, echo)
    finally:
        echo.stop()


def run_features(launcher, kubectl_bin, work_dir, scale, runner, echo):
    api = start_kubeapi(launcher.processes, work_dir)
    client = api.client()
    kubectl = Kubectl(kubectl_bin, api.kubeconfig, os.path.join(work_dir, "kubectl-cache"))
    backends, pod_port = start_backends(echo)
    controller = start_controller(launcher.processes, launcher.controller_bin, api.kubeconfig,
                                  launcher.timeout_s)
    wait_until(lambda: controller.admin_get("/ready").status == 200, 10 * scale,
               "controller /ready", retry_on=HTTP_ERRORS)
    proxy = launcher.proxy(controller, workers=1)
    proxy.wait_ready(10 * scale)

    def services(ns, *names):
        objects = []
        for name in names:
            address, port = backends[name]
            objects += service_objects(ns, name, [address], port)
        return objects

    def host_header(request):
        # An empty host stands for a request to the proxy's address, as a client
        # given only the load balancer's IP sends it.
        return request.host or f"127.0.0.1:{proxy.web_port}"

    def problem(request):
        try:
            return mismatch(send(proxy.web_port, request, host_header(request)), request,
                            host_header(request))
        except HTTP_ERRORS as error:
            return f"{type(error).__name__}: {error}"

    def published(ns, name):
        response = client.get(f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/{name}")
        assert response.status == 200, f"GET Ingress {ns}/{name}: {response.status}"
        entries = response.body.get("status", {}).get("loadBalancer", {}).get("ingress", [])
        return [entry.get("ip") or entry.get("hostname") for entry in entries]

    def background(feature):
        kubectl.run("apply", "-f", "-", stdin=k8s.to_yaml(namespace(feature.namespace),
                                                           *feature.objects))
        for request in feature.requests:
            if request.service is not None:
                try:
                    wait_until(lambda r=request: problem(r) is None, 10 * scale,
                               f"{request.host}{request.path} served by {request.service}")
                except WaitTimeout as timeout:
                    raise AssertionError(f"{timeout}: {problem(request)}") from None
        for name in feature.ours:
            wait_until(lambda n=name: published(feature.namespace, n) == [PUBLISHED],
                       10 * scale, f"Ingress {feature.namespace}/{name} status shows {PUBLISHED}")
        for name in feature.not_ours:
            # The Ingresses of ours, applied after these, are served and published:
            # the controller has seen these and left them alone.
            assert published(feature.namespace, name) == [], \
                f"Ingress {feature.namespace}/{name} of another class got status"
        return (f"{len(feature.objects)} objects applied; status {PUBLISHED} on "
                f"{', '.join(feature.ours)}")

    def scenario(request):
        wrong = problem(request)
        assert wrong is None, f"{request.method} {request.host}{request.path}: {wrong}"

    def remove(feature, gone):
        kubectl.run("delete", "namespace", feature.namespace)
        wait_until(lambda: problem(gone) is None, 10 * scale,
                   f"{gone.host}{gone.path} answers {gone.status} once the namespace is gone")

    def run_feature(feature, gone, extra=()):
        before = len(runner.failed)
        runner.run(f"{feature.title}: background", background, feature)
        if len(runner.failed) == before:
            for request in feature.requests:
                runner.run(f"{feature.title}: {request.title}", scenario, request)
            for title, check in extra:
                runner.run(f"{feature.title}: {title}", check)
        runner.run(f"{feature.title}: the namespace deleted, its routes are gone",
                   remove, feature, gone)

    # -- default backend: an Ingress with only spec.defaultBackend takes every
    # method, host and path. A second Ingress with a rule shows the default
    # backend also taking what that rule does not match (the Ingress
    # documentation's "Prefix /aaa, request /ccc" example).
    ns = "conformance-default-backend"
    default_backend = Feature(
        "default backend", ns,
        services(ns, "echo-service", "rules-service") + in_namespace(
            ns, ingress("default-backend",
                        default_backend=k8s.backend("echo-service", SERVICE_PORT)),
            ingress("with-rules", k8s.rule("rules.default.test", path("/aaa", "rules-service"))),
            ingress("missing-service", k8s.rule("missing.default.test", path("/", "missing")))),
        ours=["default-backend", "with-rules", "missing-service"],
        requests=[
            Request("GET / on any host", "my-host.test", "/", 200, "echo-service"),
            Request("GET a sub-path", "my-host.test", "/sub-path", 200, "echo-service"),
            Request("POST /", "some-host.test", "/", 200, "echo-service", method="POST"),
            Request("PUT to the proxy's address, no host name", "", "/resource", 200,
                    "echo-service", method="PUT"),
            Request("DELETE", "some-host.test", "/resource", 200, "echo-service",
                    method="DELETE"),
            Request("PATCH", "my-host.test", "/resource", 200, "echo-service", method="PATCH"),
            Request("a rule's host, its path", "rules.default.test", "/aaa/x", 200,
                    "rules-service"),
            Request("a rule's host, a path no rule has: the default backend",
                    "rules.default.test", "/ccc", 200, "echo-service"),
            # Earlier suite versions wanted 404 for a backend Service that does
            # not exist; Portico keeps the route and answers 503 (no backend),
            # as docs/controller.md ("The compiler") says, so a typo never sends
            # a host's traffic to the default backend instead.
            Request("a rule whose Service does not exist: 503", "missing.default.test", "/",
                    503),
        ])
    run_feature(default_backend, Request("", "my-host.test", "/", 404))

    # -- host rules: exact and single-label wildcard hosts, one over TLS.
    ns = "conformance-host-rules"
    crt, key = self_signed(os.path.join(work_dir, "certs"), "foo.bar.com")
    host_rules = Feature(
        "host rules", ns,
        services(ns, "wildcard-foo-com", "foo-bar-com") + [
            tls_secret(ns, "foo-bar-com-tls", crt, key)] + in_namespace(ns, ingress(
                "host-rules",
                k8s.rule("*.foo.com", path("/", "wildcard-foo-com")),
                k8s.rule("foo.bar.com", path("/", "foo-bar-com", port="http")),  # port by name
                tls=[{"hosts": ["foo.bar.com"], "secretName": "foo-bar-com-tls"}])),
        ours=["host-rules"],
        requests=[
            Request("foo.bar.com over TLS: its certificate, its backend", "foo.bar.com", "/",
                    200, "foo-bar-com", tls=True, tls_ca=crt),
            # The suite expects the TLS host served over plain HTTP too. Portico
            # routes as Traefik does: the routes of a host in spec.tls serve TLS
            # requests only, and plain HTTP gets 404 (docs/tls.md, "Routing").
            Request("foo.bar.com over plain HTTP: 404, its routes are TLS-only",
                    "foo.bar.com", "/", 404),
            Request("another host of the same domain: 404", "subdomain.bar.com", "/", 404),
            Request("*.foo.com takes bar.foo.com", "bar.foo.com", "/", 200, "wildcard-foo-com"),
            Request("*.foo.com does not take two labels", "baz.bar.foo.com", "/", 404),
            Request("*.foo.com does not take foo.com", "foo.com", "/", 404),
            # Not in the suite: host names are case-insensitive, and a fully
            # qualified name's trailing dot (and a port) are ignored.
            Request("host names are case-insensitive", "BAR.Foo.com", "/", 200,
                    "wildcard-foo-com"),
            Request("a trailing dot and a port are ignored", "bar.foo.com.:8080", "/", 200,
                    "wildcard-foo-com"),
            Request("a trailing dot over TLS", "foo.bar.com.", "/", 200, "foo-bar-com",
                    tls=True, tls_ca=crt),
        ])
    run_feature(host_rules, Request("", "bar.foo.com", "/", 404))

    # -- path rules: the suite's hosts (exact, prefix, mixed, trailing slash)
    # and the element-wise cases of the Ingress documentation's table.
    ns = "conformance-path-rules"
    path_rules = Feature(
        "path rules", ns,
        services(ns, "foo-exact", "foo-prefix", "aaa-bbb-prefix", "aaa-prefix",
                 "aaa-bbb-slash-prefix", "foo-slash-exact", "root-prefix", "impl-foo",
                 "impl-any") + in_namespace(ns, ingress(
                     "path-rules",
                     k8s.rule("exact.paths.test", path("/foo", "foo-exact", "Exact")),
                     k8s.rule("prefix.paths.test", path("/foo", "foo-prefix"),
                              path("/aaa/bbb", "aaa-bbb-prefix"), path("/aaa", "aaa-prefix")),
                     k8s.rule("mixed.paths.test", path("/foo", "foo-prefix"),
                              path("/foo", "foo-exact", "Exact")),
                     k8s.rule("trailing.paths.test", path("/aaa/bbb/", "aaa-bbb-slash-prefix"),
                              path("/foo/", "foo-slash-exact", "Exact")),
                     k8s.rule("element.paths.test", path("/aaa/bbb", "aaa-bbb-prefix")),
                     k8s.rule("root.paths.test", path("/", "root-prefix"),
                              path("/aaa", "aaa-prefix"), path("/aaa/bbb", "aaa-bbb-prefix")),
                     # ImplementationSpecific is the implementation's to define;
                     # Portico documents it as Prefix (an absent path is /).
                     k8s.rule("impl.paths.test",
                              path("/foo", "impl-foo", "ImplementationSpecific")),
                     k8s.rule("impl-any.paths.test",
                              path(None, "impl-any", "ImplementationSpecific"))),
                     # Not in the suite: Ingresses sharing a host combine their
                     # paths; of two with one host, kind and path one wins: the
                     # lexically first namespace/name in Portico (docs/controller.md,
                     # "Conflicts"), the oldest by Kubernetes' custom; path-rules is
                     # both here.
                     ingress("path-rules-more",
                             k8s.rule("prefix.paths.test", path("/ccc", "root-prefix"))),
                     ingress("path-rules-zz-conflict",
                             k8s.rule("exact.paths.test", path("/foo", "impl-any", "Exact"),
                                      path("/other", "impl-any", "Exact")))),
        ours=["path-rules", "path-rules-more", "path-rules-zz-conflict"],
        requests=[Request(title, f"{host}.paths.test", request_path, 404 if not service else 200,
                          service) for title, host, request_path, service in PATH_SCENARIOS])
    run_feature(path_rules, Request("", "exact.paths.test", "/foo", 404))

    # -- load balancing: a Service of ten ready endpoints; 100 requests reach
    # all ten.
    ns = "conformance-load-balancing"
    load_balancing = Feature(
        "load balancing", ns,
        service_objects(ns, "echo-service", LB_PODS, pod_port) +
        in_namespace(ns, ingress("load-balancing",
                                 default_backend=k8s.backend("echo-service", SERVICE_PORT))),
        ours=["load-balancing"],
        requests=[Request("a request is served by one of the pods", "load-balancing.test", "/",
                          200, frozenset(map(_pod_name, LB_PODS)))])

    def check_all_pods():
        wanted = set(map(_pod_name, LB_PODS))
        http_client = HttpClient("127.0.0.1", proxy.web_port)
        try:
            answered = collections.Counter()
            for _ in range(100):
                response = http_client.get("/", host="load-balancing.test")
                assert response.status == 200, f"status {response.status}: {response.body}"
                answered[response.backend] += 1
        finally:
            http_client.close()
        assert set(answered) == wanted, f"answered by {dict(answered)}, wanted all of {wanted}"
        return "requests per pod: " + " ".join(str(n) for n in sorted(answered.values()))

    run_feature(load_balancing, Request("", "load-balancing.test", "/", 404), extra=[
        ("100 requests reach all ten pods", check_all_pods)])

    # -- ingress class: an Ingress naming a class that does not exist is not
    # served and gets no status. Portico's class rules (docs/controller.md,
    # "Ingress classes") add: a class of its own is served, another
    # controller's class or annotation is not, and with no default class a
    # class-less Ingress is Portico's until another controller's class is
    # marked default.
    ns = "conformance-ingress-class"

    def class_ingress(name, host, **kwargs):
        return in_namespace(ns, ingress(name, k8s.rule(host, path("/", "class-backend")),
                                        **kwargs))[0]

    # Not-ours first: once the later Ingresses are served, the controller has
    # seen these too (one watch, in order).
    ingress_classes = [ingress_class("portico", "portico.dev/ingress-controller"),
                       ingress_class("other", "example.com/other-controller")]
    ingress_class_feature = Feature(
        "ingress class", ns,
        services(ns, "class-backend") + ingress_classes + [
            class_ingress("unknown-class", "unknown.class.test",
                          class_name="some-unknown-class-name"),
            class_ingress("other-class", "other.class.test", class_name="other"),
            class_ingress("other-annotation", "annotated.class.test",
                          annotations={"kubernetes.io/ingress.class": "other"}),
            # The annotation wins over spec.ingressClassName.
            class_ingress("annotation-wins", "annotation-wins.class.test", class_name="other",
                          annotations={"kubernetes.io/ingress.class": "portico"}),
            class_ingress("portico-class", "portico.class.test", class_name="portico"),
            class_ingress("no-class", "none.class.test"),
        ],
        ours=["annotation-wins", "portico-class", "no-class"],
        not_ours=["unknown-class", "other-class", "other-annotation"],
        requests=[
            Request("an unknown class is not served", "unknown.class.test", "/", 404),
            Request("another controller's class is not served", "other.class.test", "/", 404),
            Request("another class by annotation is not served", "annotated.class.test", "/",
                    404),
            Request("Portico's class is served", "portico.class.test", "/", 200,
                    "class-backend"),
            Request("Portico's class by annotation beats another in the spec",
                    "annotation-wins.class.test", "/", 200, "class-backend"),
            Request("no class and no default class: served", "none.class.test", "/", 200,
                    "class-backend"),
        ])

    def check_other_default():
        kubectl.run("apply", "-f", "-", stdin=k8s.to_yaml(
            ingress_class("other", "example.com/other-controller", default=True)))
        wait_until(lambda: problem(Request("", "none.class.test", "/", 404)) is None,
                   10 * scale, "none.class.test no longer served")
        wait_until(lambda: published(ns, "no-class") == [], 10 * scale,
                   "the published address cleared from Ingress no-class")
        scenario(Request("", "portico.class.test", "/", 200, "class-backend"))
        assert published(ns, "portico-class") == [PUBLISHED]
        return "no-class left Portico's class and lost its status; portico-class stays"

    def check_portico_default_too():
        kubectl.run("apply", "-f", "-", stdin=k8s.to_yaml(
            ingress_class("portico", "portico.dev/ingress-controller", default=True)))
        scenario_soon = Request("", "none.class.test", "/", 200, "class-backend")
        wait_until(lambda: problem(scenario_soon) is None, 10 * scale,
                   "none.class.test served again")
        wait_until(lambda: published(ns, "no-class") == [PUBLISHED], 10 * scale,
                   "Ingress no-class published again")
        return "a default class of Portico's among the defaults takes class-less Ingresses"

    run_feature(ingress_class_feature, Request("", "portico.class.test", "/", 404), extra=[
        ("another controller's class marked default: the class-less Ingress leaves",
         check_other_default),
        ("Portico's class marked default too: it comes back", check_portico_default_too)])
    kubectl.run("delete", "ingressclass", "portico", "other")


if __name__ == "__main__":
    sys.exit(run_scenario("e2e ingress conformance", "portico-e2e-ingress-conformance-",
                          lambda launcher, manifests, scale, runner, kubectl_bin: run(
                              launcher, kubectl_bin, os.path.dirname(manifests.path), scale,
                              runner),
                          kubectl=True))
