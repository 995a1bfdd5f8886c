#!/usr/bin/env python3
"""IngressRoute end to end: manifests with Traefik rules in a folder, the real
controller and proxy, echo backends on 127.0.0.2 and 127.0.0.3. Checks that
rules route by host, path prefix, method, header and query, that priority
decides between overlapping rules (explicit, then rule length), that
entryPoints keep a route to its listener, that a route
whose middleware the proxy cannot run answers 503 instead of passing traffic,
that a broken rule leaves the others serving (in a traefik.io object, read
with --traefik-compat), and that an edit is followed.

    e2e/test_ingress_route.py --bin-dir build/bin
"""

import os
import sys

from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, HttpClient
from lib.polling import wait_until
from lib.scenario import run_scenario

ROUTES = """\
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: shop, namespace: default}
spec:
  routes:
  - match: Host(`shop.test`) && PathPrefix(`/api`)
    services: [{name: two, port: 80}]
  - match: Host(`shop.test`)
    services: [{name: three, port: 80}]
  - match: Host(`shop.test`) && Method(`POST`) && Header(`X-Canary`, `yes`)
    priority: 1000
    services: [{name: three, port: 80}]
  - match: Host(`shop.test`) && Query(`beta`, `1`)
    priority: 900
    services: [{name: two, port: 80}]
  - match: Host(`guarded.test`)
    middlewares: [{name: auth}]
    services: [{name: two, port: 80}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: internal, namespace: default}
spec:
  entryPoints: [internal]
  routes:
  - match: Host(`shop.test`) && PathPrefix(`/internal`)
    services: [{name: three, port: 80}]
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: {name: auth, namespace: default}
spec:
  basicAuth: {secret: users}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: broken, namespace: default}
spec:
  routes:
  - match: Host(`broken.test`) && PathPrefix(`/x`
    services: [{name: two, port: 80}]
  - match: Host(`fine.test`)
    services: [{name: two, port: 80}]
"""


def run(launcher, manifests, scale, runner):
    backends = launcher.echo_backends_on_one_port(["127.0.0.2", "127.0.0.3"])
    port = backends[0].port
    manifests.write("backends.yaml",
                    k8s.service("two", port=80), k8s.endpoint_slice("two", ["127.0.0.2"], port),
                    k8s.service("three", port=80),
                    k8s.endpoint_slice("three", ["127.0.0.3"], port))
    with open(os.path.join(manifests.path, "routes.yaml"), "w") as f:
        f.write(ROUTES)
    controller = launcher.controller(manifests.path, extra_args=["--traefik-compat"])
    proxy = launcher.proxy(controller, workers=2,
                           extra_args=["--entrypoint=internal=127.0.0.1:0"])
    _, internal_port = proxy.process.wait_for_listening("proxy: entrypoint internal listening on ",
                                                       10 * scale)
    proxy.wait_ready(10 * scale)
    client = HttpClient("127.0.0.1", proxy.web_port, timeout_s=2.0 * scale)
    internal_client = HttpClient("127.0.0.1", internal_port, timeout_s=2.0 * scale)

    def backend_of(method, path, host, headers=None):
        try:
            response = client.request(method, path, host=host, headers=headers)
        except HTTP_ERRORS:
            return None
        return response.backend if response.status == 200 else response.status

    wait_until(lambda: backend_of("GET", "/", "shop.test") == "backend-3", 5 * scale,
               "shop.test served")

    def check_rules():
        cases = [
            (("GET", "/api/orders", "shop.test"), "backend-2"),  # longer rule wins
            (("GET", "/apiary", "shop.test"), "backend-2"),      # PathPrefix is a string prefix
            (("GET", "/", "shop.test"), "backend-3"),
            (("GET", "/?beta=1", "shop.test"), "backend-2"),     # Query, priority 900
            (("POST", "/api", "shop.test", {"X-Canary": "yes"}), "backend-3"),  # priority 1000
            (("POST", "/api", "shop.test", {"X-Canary": "no"}), "backend-2"),
            (("GET", "/", "other.test"), 404),
        ]
        for args, expected in cases:
            got = backend_of(*args)
            assert got == expected, f"{args}: expected {expected}, got {got}"
        return f"{len(cases)} requests routed as the rules say"

    def check_entrypoints():
        on_web = backend_of("GET", "/internal/x", "shop.test")
        assert on_web == "backend-3", f"/internal on web: expected shop's catch-all, got {on_web}"
        response = internal_client.get("/internal/x", host="shop.test")
        assert response.status == 200 and response.backend == "backend-3", response.status
        response = internal_client.get("/api/orders", host="shop.test")
        assert response.backend == "backend-2", "routes without entryPoints serve everywhere"
        return "an entryPoints route serves on its entrypoint only"

    def check_unservable_middleware():
        got = backend_of("GET", "/", "guarded.test")
        assert got == 503, f"guarded.test: expected 503, got {got}"
        return "a route with a middleware the proxy cannot run answers 503"

    def check_broken_rule_isolated():
        got = backend_of("GET", "/", "fine.test")
        assert got == "backend-2", f"fine.test: expected backend-2, got {got}"
        got = backend_of("GET", "/x", "broken.test")
        assert got == 404, f"broken.test: expected 404, got {got}"
        controller.process.wait_for_log(r"InvalidRule: spec\.routes\[0\]\.match: column", 2 * scale)
        return "the broken rule is reported and left out; its neighbour serves"

    def check_edit_followed():
        with open(os.path.join(manifests.path, "routes.yaml"), "w") as f:
            f.write(ROUTES.replace("Host(`shop.test`) && PathPrefix(`/api`)",
                                   "Host(`shop.test`) && PathPrefix(`/v2`)"))
        wait_until(lambda: backend_of("GET", "/v2/x", "shop.test") == "backend-2", 2 * scale,
                   "the edited rule served")
        got = backend_of("GET", "/api/orders", "shop.test")
        assert got == "backend-3", f"/api/orders after the edit: expected backend-3, got {got}"
        return "an edited rule is served and the old one gone"

    runner.run("rules route by host, path prefix, method, header, query and priority",
               check_rules)
    runner.run("entryPoints: a route serves on its listeners only", check_entrypoints)
    runner.run("unservable middleware: 503, never a bypass", check_unservable_middleware)
    runner.run("a broken rule does not take down other routes", check_broken_rule_isolated)
    runner.run("edits are followed", check_edit_followed)
    client.close()
    internal_client.close()


def main():
    return run_scenario("e2e IngressRoute", "portico-e2e-ingressroute-", run)


if __name__ == "__main__":
    sys.exit(main())
