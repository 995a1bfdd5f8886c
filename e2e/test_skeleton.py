#!/usr/bin/env python3
"""End to end through the walking skeleton: a folder of manifests, the real
portico-controller watching it, one portico-proxy with two workers, and echo
backends on 127.0.0.2 and 127.0.0.3 (same port).

Checks routing and round robin, that route and endpoint changes made in the
folder are served within a second while steady traffic never sees a failure,
that a file rewritten slowly in place keeps its routes answering throughout,
the proxy's own error answers, a broken manifest, the admin endpoints, and a
clean exit on SIGTERM. Prints PASS/FAIL per check with timings; the last line
is `N passed, N failed`, and the exit status is non-zero on any failure.

    e2e/test_skeleton.py --bin-dir build/bin
"""

import argparse
import collections
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from lib import manifests as k8s
from lib.checks import CheckRunner
from lib.http_client import HttpClient
from lib.manifests import ManifestDir
from lib.metrics import find_samples, parse_samples
from lib.polling import wait_until
from lib.processes import ProcessSet
from lib.stack import Controller, Launcher, Proxy
from lib.traffic import BackgroundTraffic

BACKEND_HOSTS = ("127.0.0.2", "127.0.0.3")
NO_LISTENER_HOST = "127.0.0.4"  # an endpoint nobody listens on: the proxy answers 502
PROPAGATION_LIMIT_S = 1.0  # a change in the folder is served within this
SHORT_BODY_BYTES = 256  # the proxy's own error answers are one short line
MIN_BACKGROUND_REQUESTS = 300
CHURN_ROUNDS = 10  # of four changes each


@dataclass
class Setup:
    """What every check works with."""

    launcher: Launcher
    manifests: ManifestDir
    backends: list  # [EchoBackend], backend-2 then backend-3
    controller: Controller  # replaced when a check restarts it
    proxy: Proxy
    scale: float  # multiplies every deadline (slow sanitizer builds)

    @property
    def backend_port(self):
        return self.backends[0].port

    @property
    def backend_names(self):
        return {b.name for b in self.backends}

    def client(self):
        return HttpClient("127.0.0.1", self.proxy.web_port, timeout_s=2.0 * self.scale)

    def seconds(self, seconds):
        return seconds * self.scale


# ---- the manifests -------------------------------------------------------------------------

def app_ingress(*extra_rules):
    """app.test: "/" to app (port by number), "/two" to two (port by name), "/three" Exact to three."""
    return k8s.ingress("app", k8s.rule(
        "app.test",
        k8s.path("/", "app", 80),
        k8s.path("/two", "two", "http"),
        k8s.path("/three", "three", 80, path_type="Exact"),
    ), *extra_rules)


def app_endpoints(port, addresses):
    return k8s.endpoint_slice("app", addresses, port)


def write_initial_manifests(manifests: ManifestDir, backend_port):
    manifests.write("app.yaml", k8s.service("app"), app_ingress())
    manifests.write("app-endpoints.yaml", app_endpoints(backend_port, BACKEND_HOSTS))
    manifests.write("two.yaml", k8s.service("two"),
                    k8s.endpoint_slice("two", [BACKEND_HOSTS[0]], backend_port))
    # backend-2 listens but is not ready in this slice: it must get no traffic for "three".
    manifests.write("three.yaml", k8s.service("three"),
                    k8s.endpoint_slice("three", [BACKEND_HOSTS[1]], backend_port,
                                       not_ready=[BACKEND_HOSTS[0]]))
    manifests.write(
        "errors.yaml",
        k8s.service("empty"),  # and no EndpointSlice: 503
        k8s.service("dead"),
        k8s.endpoint_slice("dead", [NO_LISTENER_HOST], backend_port),  # nobody listens: 502
        k8s.ingress("errors",
                    k8s.rule("empty.test", k8s.path("/", "empty")),
                    k8s.rule("dead.test", k8s.path("/", "dead"))),
    )


# ---- small helpers ------------------------------------------------------------------------

def backends_answering(client, host, path, requests):
    """Counter of backend names over `requests` GETs; fails on any non-200."""
    seen = collections.Counter()
    for _ in range(requests):
        response = client.get(path, host=host)
        assert response.status == 200, (
            f"GET {host}{path}: expected 200, got {response.status}: {response.body.strip()[:200]!r}")
        seen[response.backend] += 1
    return seen


def assert_spread(seen, expected_backends, requests, how):
    for name in sorted(expected_backends):
        assert seen[name] >= requests / 3, (
            f"{how}: {name} answered {seen[name]} of {requests} requests, expected at least a third "
            f"(all answers: {dict(seen)})")
    return f"{how} " + "/".join(str(seen[n]) for n in sorted(expected_backends))


def wait_for_status(setup, client, host, status, changed_at, what):
    """Polls until GET host/ answers `status`; returns the propagation time in seconds,
    and fails if it took longer than the limit."""
    wait_until(lambda: client.get("/", host=host).status == status,
               setup.seconds(PROPAGATION_LIMIT_S) + 5, what, interval_s=0.005)
    return assert_propagated_in_time(setup, changed_at, what)


def assert_propagated_in_time(setup, changed_at, what):
    elapsed = time.monotonic() - changed_at
    limit = setup.seconds(PROPAGATION_LIMIT_S)
    assert elapsed < limit, f"{what} took {ms(elapsed)}, limit {ms(limit)}"
    return elapsed


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def assert_short_error(response, status, what):
    body = response.body.strip()
    assert response.status == status, (
        f"{what}: expected {status}, got {response.status}: {body[:200]!r}")
    assert 0 < len(response.body) <= SHORT_BODY_BYTES, (
        f"{what}: expected a short text body, got {len(response.body)} bytes: {body[:200]!r}")
    return f"{status} {body!r}"


def assert_exited_cleanly(name, process, status):
    """After process.stop(): it exited by itself, with status 0."""
    assert not process.killed, f"{name} was still running after SIGTERM and its deadline (killed)"
    reports = process.sanitizer_reports()
    assert status == 0, (f"{name} exited with status {status} on SIGTERM"
                         + (f"; sanitizer: {reports[-1]}, the first: {reports[0]}" if reports else ""))


def proxy_applied_a_new_version(setup, old_version):
    """True once the controller moved past old_version and the proxy serves what it has."""
    version = setup.controller.snapshot()["version"]
    return version != old_version and setup.proxy.snapshot_version() == version


# ---- the checks ---------------------------------------------------------------------------

def check_ready_and_spread(setup, proxy_started_at):
    setup.proxy.wait_ready(setup.seconds(10))
    ready_after = time.monotonic() - proxy_started_at
    client = setup.client()
    first = client.get("/", host="app.test")
    assert "path: /\n" in first.body and "header: Host: app.test\n" in first.body, (
        f"the backend did not see path / and Host app.test: {first.body[:300]!r}")
    keep_alive = backends_answering(client, "app.test", "/", 40)
    assert client.connections_opened == 1, (
        f"41 requests took {client.connections_opened} connections: keep-alive did not hold")
    fresh = collections.Counter()
    for _ in range(40):
        fresh_client = setup.client()
        fresh += backends_answering(fresh_client, "app.test", "/", 1)
        fresh_client.close()
    return ", ".join([f"ready {ms(ready_after)} after start",
                      assert_spread(keep_alive, setup.backend_names, 40, "keep-alive"),
                      assert_spread(fresh, setup.backend_names, 40, "new connections")])


def check_upstream_keep_alive(setup):
    """The echo backends count requests per connection: with upstream connections
    reused, the count passes 1."""
    client = setup.client()
    most = collections.Counter()
    for _ in range(20):
        response = client.get("/", host="app.test")
        match = re.search(r"^request-on-connection: (\d+)$", response.body, re.MULTILINE)
        assert match, f"no request-on-connection line in the answer: {response.body[:300]!r}"
        most[response.backend] = max(most[response.backend], int(match.group(1)))
    for name in sorted(setup.backend_names):
        assert most[name] >= 2, (
            f"{name} got every request on a new connection: upstream keep-alive is not used")
    return "most requests on one upstream connection: " + ", ".join(
        f"{name} {most[name]}" for name in sorted(setup.backend_names))


def check_path_routing(setup):
    client = setup.client()
    both = setup.backend_names
    cases = [  # path, the backends that may answer, why
        ("/two/x", {"backend-2"}, "Prefix /two to service two (port by name)"),
        ("/two", {"backend-2"}, "Prefix /two matches /two itself"),
        ("/twofold", both, "Prefix /two does not match /twofold: falls to /"),
        ("/three", {"backend-3"}, "Exact /three to service three, not to its not-ready endpoint"),
        ("/three/x", both, "Exact /three does not match /three/x: falls to /"),
    ]
    for path, expected, why in cases:
        seen = set(backends_answering(client, "app.test", path, 8))
        assert seen == expected, (
            f"GET app.test{path}: answered by {sorted(seen)}, expected {sorted(expected)} ({why})")
    return f"{len(cases)} cases"


def check_error_statuses(setup):
    dead = f"{NO_LISTENER_HOST}:{setup.backend_port}"
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex((NO_LISTENER_HOST, setup.backend_port)) != 0, (
            f"something listens on {dead}; the 502 case needs nobody there")
    client = setup.client()
    return "; ".join([
        assert_short_error(client.get("/", host="unknown.test"), 404, "unknown host"),
        assert_short_error(client.get("/", host="empty.test"), 503, "Service without endpoints"),
        assert_short_error(client.get("/", host="dead.test"), 502, f"endpoint {dead}, no listener"),
    ])


def check_add_route_atomic(setup, timings):
    client = setup.client()
    assert client.get("/", host="extra.test").status == 404, (
        "extra.test is routed before its Ingress exists")
    changed_at = setup.manifests.write(
        "extra.yaml", k8s.ingress("extra", k8s.rule("extra.test", k8s.path("/", "app", "http"))))
    took = wait_for_status(setup, client, "extra.test", 200, changed_at,
                           "new Ingress extra.test served")
    timings["add route (atomic rename)"] = took
    return ms(took)


def check_add_route_in_place(setup, timings):
    client = setup.client()
    assert client.get("/", host="inplace.test").status == 404, (
        "inplace.test is routed before its rule exists")
    new_rule = k8s.rule("inplace.test", k8s.path("/", "app", 80))
    changed_at = setup.manifests.write_in_place("app.yaml", k8s.service("app"), app_ingress(new_rule))
    took = wait_for_status(setup, client, "inplace.test", 200, changed_at,
                           "rule inplace.test added to app.yaml served")
    timings["add route (file rewritten in place)"] = took
    return ms(took)


def check_slow_rewrite_in_place(setup, timings):
    """app.yaml truncated, half of it written, 300 ms without a byte, then the rest: its
    routes answer 200 all along, and the rule the rewrite adds is served once it is closed."""
    client = setup.client()
    rules = (k8s.rule("inplace.test", k8s.path("/", "app", 80)),
             k8s.rule("slow.test", k8s.path("/", "app", 80)))
    closed = []
    writer = threading.Thread(target=lambda: closed.append(setup.manifests.write_slowly_in_place(
        "app.yaml", k8s.service("app"), app_ingress(*rules))))
    writer.start()
    polls = 0
    try:
        while writer.is_alive():
            for host in ("app.test", "inplace.test"):
                got = client.get("/", host=host).status
                assert got == 200, (
                    f"{host} answered {got} while app.yaml was being rewritten slowly in place")
            polls += 1
    finally:
        writer.join()
    took = wait_for_status(setup, client, "slow.test", 200, closed[0],
                           "rule slow.test served once app.yaml was closed")
    timings["add route (slow in-place rewrite)"] = took
    return f"{polls} polls of app.test and inplace.test during the write, all 200; {ms(took)}"


def check_drop_endpoint(setup, timings):
    """Timed to the first of 10 answers in a row from backend-2 alone."""
    client = setup.client()
    changed_at = setup.manifests.write("app-endpoints.yaml",
                                       app_endpoints(setup.backend_port, BACKEND_HOSTS[:1]))
    give_up_at = changed_at + setup.seconds(PROPAGATION_LIMIT_S) + 5
    run_started_at, run_length = None, 0
    while run_length < 10:
        assert time.monotonic() < give_up_at, (
            "backend-3 still answers 5 s after it left the EndpointSlice")
        asked_at = time.monotonic()
        response = client.get("/", host="app.test")
        if response.status == 200 and response.backend == "backend-2":
            run_started_at, run_length = run_started_at or asked_at, run_length + 1
        else:
            run_started_at, run_length = None, 0
    took = run_started_at - changed_at
    limit = setup.seconds(PROPAGATION_LIMIT_S)
    assert took < limit, f"only backend-2 answered after {ms(took)}, limit {ms(limit)}"
    after = backends_answering(client, "app.test", "/", 20)
    assert set(after) == {"backend-2"}, f"after the change: {dict(after)}, expected only backend-2"
    timings["drop an endpoint"] = took
    return ms(took)


def check_restore_endpoint(setup, timings):
    client = setup.client()
    changed_at = setup.manifests.write("app-endpoints.yaml",
                                       app_endpoints(setup.backend_port, BACKEND_HOSTS))
    wait_until(lambda: client.get("/", host="app.test").backend == "backend-3",
               setup.seconds(PROPAGATION_LIMIT_S) + 5, "backend-3 to answer again",
               interval_s=0.005)
    took = assert_propagated_in_time(setup, changed_at, "backend-3 answering again")
    timings["add an endpoint back"] = took
    spread = backends_answering(client, "app.test", "/", 30)
    return f"{ms(took)}, then {assert_spread(spread, setup.backend_names, 30, 'spread')}"


def check_remove_route(setup, timings):
    client = setup.client()
    changed_at = setup.manifests.remove("extra.yaml")
    took = wait_for_status(setup, client, "extra.test", 404, changed_at,
                           "extra.test answering 404 after extra.yaml was deleted")
    timings["remove route (file deleted)"] = took
    answer = assert_short_error(client.get("/", host="extra.test"), 404, "removed route")
    return f"{ms(took)}, {answer}"


def check_churn(setup):
    """Rounds of four changes (drop an endpoint, add a route, restore the endpoint,
    remove the route), each waited for until the proxy applied the controller's
    new snapshot: the background traffic goes through many config swaps."""
    port = setup.backend_port
    churn_ingress = k8s.ingress("churn", k8s.rule("churn.test", k8s.path("/", "app")))
    changes = [
        lambda: setup.manifests.write("app-endpoints.yaml", app_endpoints(port, BACKEND_HOSTS[:1])),
        lambda: setup.manifests.write("churn.yaml", churn_ingress),
        lambda: setup.manifests.write("app-endpoints.yaml", app_endpoints(port, BACKEND_HOSTS)),
        lambda: setup.manifests.remove("churn.yaml"),
    ]
    applied_in = []
    for _ in range(CHURN_ROUNDS):
        for change in changes:
            before = setup.controller.snapshot()["version"]
            changed_at = change()
            wait_until(lambda: proxy_applied_a_new_version(setup, before),
                       setup.seconds(PROPAGATION_LIMIT_S) + 5,
                       "the proxy to apply the controller's next snapshot", interval_s=0.005)
            applied_in.append(
                assert_propagated_in_time(setup, changed_at, "a change applied at the proxy"))
    applied_in.sort()
    return (f"{len(applied_in)} changes applied at the proxy: "
            f"median {ms(applied_in[len(applied_in) // 2])}, max {ms(applied_in[-1])}")


def check_background_traffic(traffic: BackgroundTraffic):
    traffic.stop()
    counts = ", ".join(f"{kind} {count}" for kind, count in traffic.counts.items())
    if traffic.failures:
        first = "\n     ".join(str(f) for f in traffic.failures[:5])
        raise AssertionError(f"{len(traffic.failures)} of {traffic.total} requests failed "
                             f"({counts}); the first:\n     {first}")
    assert traffic.total >= MIN_BACKGROUND_REQUESTS, (
        f"only {traffic.total} requests were sent ({counts}), "
        f"expected at least {MIN_BACKGROUND_REQUESTS}")
    return f"{traffic.total} requests, 0 failed ({counts})"


def check_broken_yaml(setup):
    version_before = setup.controller.snapshot()["version"]
    setup.manifests.write_text("broken.yaml", "kind: Ingress\nmetadata: {name: [unclosed\n")
    try:
        line = setup.controller.process.wait_for_log(
            r"^.*broken\.yaml.*$", setup.seconds(2), what="a line naming broken.yaml").group(0)
        client = setup.client()
        seen = set(backends_answering(client, "app.test", "/", 10))
        assert seen == setup.backend_names, (
            f"with broken.yaml present, app.test is served by {sorted(seen)}, "
            f"expected {sorted(setup.backend_names)}")
        for host, status in (("inplace.test", 200), ("empty.test", 503), ("dead.test", 502)):
            got = client.get("/", host=host).status
            assert got == status, f"with broken.yaml present, {host} answers {got}, expected {status}"
        version_after = setup.controller.snapshot()["version"]
        assert version_after == version_before, (
            f"a file that does not parse changed the snapshot: {version_before} -> {version_after}")
    finally:
        setup.manifests.remove("broken.yaml")
    return f"controller logged: {line.strip()[:160]!r}"


def check_proxy_admin(setup):
    ping = setup.proxy.admin_get("/ping")
    assert ping.status == 200, f"proxy /ping answered {ping.status}"
    version = setup.controller.snapshot()["version"]
    wait_until(lambda: setup.proxy.snapshot_version() == version, setup.seconds(2),
               f"the proxy's snapshot_info version to equal the controller's {version}")
    samples = parse_samples(setup.proxy.admin_get("/metrics").body)
    answered = {}
    for code in ("200", "404", "502", "503"):
        found = find_samples(samples, "portico_proxy_requests_total", entrypoint="web", code=code)
        assert found and found[0][1] > 0, (
            f"/metrics has no portico_proxy_requests_total{{entrypoint=\"web\",code=\"{code}\"}}")
        answered[code] = int(found[0][1])
    config = json.loads(setup.proxy.admin_get("/config").body)
    assert config.get("version") == version, (
        f"/config has version {config.get('version')}, the controller {version}")
    hosts = {route.get("host", "") for route in config.get("routes", [])}
    expected = {"app.test", "inplace.test", "empty.test", "dead.test"}
    assert expected <= hosts and "extra.test" not in hosts, (
        f"/config has routes for hosts {sorted(hosts)}, expected {sorted(expected)}")
    counts = ", ".join(f"{code}: {n}" for code, n in answered.items())
    return f"version {version[:12]}, {len(config['routes'])} routes, answers {counts}"


def check_controller_restart(setup):
    """While the controller is away the proxy keeps serving its last snapshot, and a
    proxy started meanwhile is not ready; once the controller is back on the same
    address, both apply its snapshot, which includes a change made while it was down."""
    old = setup.controller
    assert_exited_cleanly("the controller", old.process, old.process.stop(setup.seconds(5)))
    client = setup.client()
    seen = set(backends_answering(client, "app.test", "/", 20))
    assert seen == setup.backend_names, f"without a controller app.test is served by {sorted(seen)}"
    late_proxy = setup.launcher.proxy(old, workers=1, name="proxy-started-without-controller")
    try:
        ready = late_proxy.admin_get("/ready")
        assert ready.status == 503, (
            f"a proxy that never got a snapshot answers /ready with {ready.status}, expected 503")
        setup.manifests.write(
            "restart.yaml", k8s.ingress("restart", k8s.rule("restart.test", k8s.path("/", "app"))))
        restarted_at = time.monotonic()
        setup.controller = setup.launcher.controller(
            setup.manifests.path, grpc_port=old.grpc_port, name="controller-restarted")
        wait_until(lambda: client.get("/", host="restart.test").status == 200, setup.seconds(15),
                   "the proxy to serve restart.test from the restarted controller")
        reconnected_in = time.monotonic() - restarted_at
        late_proxy.wait_ready(setup.seconds(15))
        version = setup.controller.snapshot()["version"]
        late_version = late_proxy.snapshot_version()
        assert late_version == version, (
            f"the late proxy applied {late_version}, the controller serves {version}")
    finally:
        status = late_proxy.process.stop(timeout_s=setup.seconds(5))
    assert_exited_cleanly("the late proxy", late_proxy.process, status)
    return f"serving again {ms(reconnected_in)} after the controller restarted"


def check_sigterm_exits(setup):
    """Every process exits 0 on SIGTERM; the proxy with an idle keep-alive client
    connection still open, which draining must close rather than wait for."""
    idle_client = setup.client()
    assert idle_client.get("/", host="app.test").status == 200
    notes = []
    for name, process in [("proxy", setup.proxy.process),
                          ("controller", setup.controller.process),
                          *((b.name, b.process) for b in setup.backends)]:
        started = time.monotonic()
        status = process.stop(timeout_s=setup.seconds(5))
        assert_exited_cleanly(name, process, status)
        notes.append(f"{name} {ms(time.monotonic() - started)}")
    idle_client.close()
    return ", ".join(notes)


# ---- the run ------------------------------------------------------------------------------

def run_checks(setup, proxy_started_at, runner):
    """Runs every check in order; returns the propagation times measured."""
    timings = {}
    runner.run("a. proxy ready; app.test served by both backends",
               check_ready_and_spread, setup, proxy_started_at)
    runner.run("a. upstream connections are kept alive", check_upstream_keep_alive, setup)
    runner.run("a. routing by path (Prefix, Exact, port by name)", check_path_routing, setup)
    runner.run("f. error answers: 404 no route, 503 no endpoints, 502 no listener",
               check_error_statuses, setup)
    traffic = BackgroundTraffic(setup.proxy.web_port, "app.test", "/", setup.backend_names,
                                lambda: runner.current)
    traffic.start()
    try:
        runner.run("b. add a route (atomic rename): served within 1 s",
                   check_add_route_atomic, setup, timings)
        runner.run("b. add a route (file rewritten in place): served within 1 s",
                   check_add_route_in_place, setup, timings)
        runner.run("b. a file rewritten slowly in place: its routes never stop answering",
                   check_slow_rewrite_in_place, setup, timings)
        runner.run("c. drop an endpoint: only 127.0.0.2 within 1 s",
                   check_drop_endpoint, setup, timings)
        runner.run("c. add it back: both backends within 1 s",
                   check_restore_endpoint, setup, timings)
        runner.run("d. remove a route (file deleted): 404 within 1 s",
                   check_remove_route, setup, timings)
        runner.run(f"e. churn: {CHURN_ROUNDS * 4} more changes, each applied within 1 s",
                   check_churn, setup)
    finally:
        runner.run("e. steady traffic during b-d and the churn: not one failed request",
                   check_background_traffic, traffic)
    runner.run("g. broken YAML file: logged by name, nothing else changes",
               check_broken_yaml, setup)
    runner.run("h. proxy admin: /ping, /metrics and /config agree with the controller",
               check_proxy_admin, setup)
    runner.run("x. controller restart: the proxy serves on, then reconnects",
               check_controller_restart, setup)
    runner.run("i. SIGTERM: every process exits 0", check_sigterm_exits, setup)
    return timings


def find_binary(explicit, bin_dir, name):
    path = explicit or os.path.join(bin_dir, name)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"test_skeleton: {path} is not an executable; build it or pass --bin-dir")
    return path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default="build/bin",
                        help="where portico-controller and portico-proxy are")
    parser.add_argument("--controller",
                        help="portico-controller binary (default: BIN_DIR/portico-controller)")
    parser.add_argument("--proxy", help="portico-proxy binary (default: BIN_DIR/portico-proxy)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warn", "error"])
    parser.add_argument("--time-scale", type=float,
                        default=float(os.environ.get("PORTICO_E2E_TIME_SCALE", "1")),
                        help="multiply every deadline, for slow sanitizer builds "
                             "(default: env PORTICO_E2E_TIME_SCALE or 1)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (logs, manifests) after a success")
    return parser.parse_args()


def main():
    args = parse_args()
    controller_bin = find_binary(args.controller, args.bin_dir, "portico-controller")
    proxy_bin = find_binary(args.proxy, args.bin_dir, "portico-proxy")
    work_dir = tempfile.mkdtemp(prefix="portico-e2e-")
    print(f"e2e skeleton: logs and manifests in {work_dir}"
          + (f", deadlines x{args.time_scale:g}" if args.time_scale != 1 else ""), flush=True)
    runner = CheckRunner()
    timings = {}
    with ProcessSet(work_dir) as processes:
        try:
            manifests = ManifestDir(os.path.join(work_dir, "manifests"))
            launcher = Launcher(processes, controller_bin, proxy_bin, args.log_level)
            backends = launcher.echo_backends_on_one_port(BACKEND_HOSTS)
            write_initial_manifests(manifests, backends[0].port)
            controller = launcher.controller(manifests.path)
            proxy_started_at = time.monotonic()
            proxy = launcher.proxy(controller, args.workers)
            setup = Setup(launcher, manifests, backends, controller, proxy, args.time_scale)
            print(f"backends on port {backends[0].port}, controller grpc {controller.grpc_port} "
                  f"admin {controller.admin_port}, proxy web {proxy.web_port} "
                  f"admin {proxy.admin_port}", flush=True)
        except AssertionError as error:
            runner.fail("setup: start backends, controller and proxy", str(error))
        else:
            timings = run_checks(setup, proxy_started_at, runner)
        if runner.failed:
            processes.print_log_tails()
    for what, seconds in timings.items():
        print(f"propagation: {what}: {ms(seconds)}")
    if runner.failed or args.keep:
        print(f"kept {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(runner.summary(), flush=True)
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
