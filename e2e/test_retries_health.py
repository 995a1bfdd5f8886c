#!/usr/bin/env python3
"""Retries and active health checks, end to end: two echo backends on
127.0.0.2-3 (one port), an IngressRoute with a `retry` middleware and a
`healthCheck`, the real controller and proxy (passive health off, so only
the active checks decide), and two client threads that never pause.

1. A backend killed (SIGKILL) under load: not one client request fails (the
   requests it held, and those sent to it before the checks see it down, are
   retried on the other one), and the checks mark it down.
2. It comes back on the same address: it gets traffic again once a check
   passes, with no failed request meanwhile.

    e2e/test_retries_health.py --bin-dir build/bin
"""

import signal
import sys
import time

from lib import manifests as k8s
from lib.metrics import find_samples, parse_samples
from lib.polling import wait_until
from lib.scenario import run_scenario
from lib.traffic import BackgroundTraffic, seen_backends, wait_backends

HOSTS = ("127.0.0.2", "127.0.0.3")
CHECK_INTERVAL_MS = 200

ROUTE = f"""apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata:
  name: retry
  namespace: default
spec:
  retry:
    attempts: 3
    initialInterval: 10ms
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata:
  name: app
  namespace: default
spec:
  routes:
    - match: Host(`app.test`)
      kind: Rule
      middlewares:
        - name: retry
      services:
        - name: app
          port: 80
          healthCheck:
            path: /health
            interval: {CHECK_INTERVAL_MS}ms
            timeout: 500ms
"""


class Scenario:
    def __init__(self, launcher, manifests, scale):
        self.launcher = launcher
        self.scale = scale
        self.backends = launcher.echo_backends_on_one_port(list(HOSTS))
        self.port = self.backends[0].port
        manifests.write("service.yaml", k8s.service("app", port=80),
                        k8s.endpoint_slice("app", list(HOSTS), self.port))
        manifests.write_text("route.yaml", ROUTE)
        self.controller = launcher.controller(manifests.path)
        self.proxy = launcher.proxy(self.controller, workers=2, extra_args=[
            "--passive-health-failures=0", "--connect-timeout=1s"])
        self.proxy.wait_ready(10 * scale)
        self.wait_backends({b.name for b in self.backends})
        self.phase = "setup"
        self.traffic = BackgroundTraffic(self.proxy.web_port, "app.test", "/",
                                         [b.name for b in self.backends], lambda: self.phase)

    def seen_backends(self):
        return seen_backends(self.proxy.web_port, "app.test")

    def wait_backends(self, names, timeout_s=5):
        wait_backends(self.proxy.web_port, "app.test", names, timeout_s * self.scale)

    def metric(self, name):
        samples = find_samples(parse_samples(self.proxy.admin_get("/metrics").body), name)
        return samples[0][1] if samples else 0

    def failures_in(self, phase):
        return [f for f in self.traffic.failures if f.phase == phase]

    def check_kill(self):
        self.phase = "kill"
        victim = self.backends[1]
        time.sleep(0.5)
        before = self.traffic.total
        failed_checks = self.metric("portico_proxy_health_check_failures_total")
        victim.process.popen.send_signal(signal.SIGKILL)
        victim.process.popen.wait()
        # The checks see it down within an interval or two.
        wait_until(lambda: self.metric("portico_proxy_health_check_failures_total") > failed_checks,
                   2 * self.scale, "a failed health check of the killed backend")
        time.sleep(1.0)
        failures = self.failures_in("kill")
        assert not failures, f"{len(failures)} failed: " + "; ".join(map(str, failures[:5]))
        assert self.seen_backends() == {self.backends[0].name}, "traffic still goes to the dead one"
        return f"0 failed of {self.traffic.total - before} requests around the kill"

    def check_comes_back(self):
        self.phase = "comeback"
        old = self.backends[1]
        self.launcher.processes.discard(old.process)
        back = self.launcher.echo_backend(old.name, old.host, self.port)
        self.backends[1] = back
        started = time.monotonic()
        self.wait_backends({self.backends[0].name, back.name}, timeout_s=5)
        took = time.monotonic() - started
        failures = self.failures_in("comeback")
        assert not failures, "; ".join(map(str, failures[:5]))
        return f"serving again {took:.2f} s after it restarted (checks every {CHECK_INTERVAL_MS} ms)"


def run(launcher, manifests, scale, runner):
    scenario = Scenario(launcher, manifests, scale)
    scenario.traffic.start()
    try:
        runner.run("a backend killed under load with retries: no failed request",
                   scenario.check_kill)
        runner.run("the killed backend comes back: traffic again once its check passes",
                   scenario.check_comes_back)
    finally:
        scenario.traffic.stop()
    print(f"traffic: {scenario.traffic.counts}", flush=True)


def main():
    return run_scenario("e2e retries and health checks", "portico-e2e-retries-", run)


if __name__ == "__main__":
    sys.exit(main())
