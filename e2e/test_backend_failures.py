#!/usr/bin/env python3
"""Backends failing and being replaced under steady load, end to end: echo
backends on 127.0.0.2-5 (one port), the real controller and proxy, and two
client threads that never pause (one keep-alive, one new connection per
request).

1. A backend killed (SIGKILL) under load: at most the requests it held fail,
   none after the kill has been seen (connect failures go to the next
   endpoint; passive health takes the dead one out).
2. It comes back on the same address: it gets traffic again once its
   ejection ends.
3. A rolling replacement of every endpoint, as a Deployment rollout does it
   (a new EndpointSlice with the new pods, the old ones marked serving and
   terminating, then stopped, then removed): not one non-2xx answer.

    e2e/test_backend_failures.py --bin-dir build/bin
"""

import signal
import sys
import time

from lib import manifests as k8s
from lib.scenario import run_scenario
from lib.traffic import BackgroundTraffic, seen_backends, wait_backends

HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
EJECTION_S = 1.0  # --passive-health-ejection for this test


def slice_with(name, port, ready=(), terminating=()):
    """An EndpointSlice of "app": ready endpoints, then serving-but-terminating ones."""
    doc = k8s.endpoint_slice("app", list(ready), port, name=name)
    doc["endpoints"] += [{"addresses": [a],
                          "conditions": {"ready": False, "serving": True, "terminating": True}}
                         for a in terminating]
    return doc


class Scenario:
    def __init__(self, launcher, manifests, scale):
        self.launcher = launcher
        self.manifests = manifests
        self.scale = scale
        self.backends = launcher.echo_backends_on_one_port(list(HOSTS))
        self.port = self.backends[0].port
        self.by_host = {b.host: b for b in self.backends}
        manifests.write("service.yaml", k8s.service("app", port=80),
                        k8s.ingress("app", k8s.rule("app.test", k8s.path("/", "app"))))
        manifests.write("slice-old.yaml", slice_with("app-old", self.port, ready=HOSTS[:2]))
        self.controller = launcher.controller(manifests.path)
        self.proxy = launcher.proxy(self.controller, workers=2, extra_args=[
            f"--passive-health-ejection={int(EJECTION_S * 1000)}ms", "--connect-timeout=1s"])
        self.proxy.wait_ready(10 * scale)
        self.wait_backends({self.backends[0].name, self.backends[1].name})
        self.phase = "setup"
        self.traffic = BackgroundTraffic(self.proxy.web_port, "app.test", "/",
                                         [b.name for b in self.backends], lambda: self.phase)

    def seen_backends(self):
        return seen_backends(self.proxy.web_port, "app.test")

    def wait_backends(self, names, timeout_s=5):
        wait_backends(self.proxy.web_port, "app.test", names, timeout_s * self.scale)

    def failures_in(self, phase):
        return [f for f in self.traffic.failures if f.phase == phase]

    def check_kill(self):
        self.phase = "kill"
        victim = self.by_host["127.0.0.3"]
        time.sleep(0.5)
        before = self.traffic.total
        victim.process.popen.send_signal(signal.SIGKILL)
        victim.process.popen.wait()
        killed_at = time.monotonic()
        time.sleep(0.3)
        self.phase = "after kill"
        time.sleep(1.5)
        during = self.failures_in("kill")
        after = self.failures_in("after kill")
        assert len(during) <= 4, "more failures than requests in flight: " + "; ".join(
            map(str, during[:5]))
        assert not after, "failures after the kill was seen: " + "; ".join(map(str, after[:5]))
        served = self.traffic.total - before
        assert self.seen_backends() == {self.backends[0].name}, "traffic still goes to the dead one"
        return (f"{len(during)} failed during the kill, 0 of the next ~{served} requests "
                f"({(time.monotonic() - killed_at):.1f} s)")

    def check_comes_back(self):
        self.phase = "comeback"
        host = "127.0.0.3"
        old = self.by_host[host]
        self.launcher.processes.discard(old.process)
        back = self.launcher.echo_backend(old.name, host, self.port)
        self.by_host[host] = back
        self.backends[1] = back
        started = time.monotonic()
        self.wait_backends({self.backends[0].name, back.name}, timeout_s=EJECTION_S * 10 + 5)
        failures = self.failures_in("comeback")
        assert not failures, "; ".join(map(str, failures[:5]))
        return f"serving again {time.monotonic() - started:.1f} s after it restarted"

    def check_rolling_replacement(self):
        self.phase = "rollout"
        old_hosts, new_hosts = list(HOSTS[:2]), list(HOSTS[2:])
        steps = []
        for i, (old, new) in enumerate(zip(old_hosts, new_hosts)):
            # A new pod becomes ready.
            self.manifests.write("slice-new.yaml",
                                 slice_with("app-new", self.port, ready=new_hosts[:i + 1]))
            # The old pod is told to stop: serving, terminating, not ready.
            remaining = old_hosts[i + 1:]
            self.manifests.write("slice-old.yaml",
                                 slice_with("app-old", self.port, ready=remaining,
                                            terminating=[old]))
            time.sleep(0.5)  # the proxy has the change (propagation is ~50 ms)
            self.by_host[old].process.stop(timeout_s=5)  # the pod exits
            time.sleep(0.3)
            self.manifests.write("slice-old.yaml",
                                 slice_with("app-old", self.port, ready=remaining))
            steps.append(f"{old}->{new}")
            time.sleep(0.3)
        self.wait_backends({self.by_host[h].name for h in new_hosts})
        failures = self.failures_in("rollout")
        assert not failures, f"{len(failures)} failed: " + "; ".join(map(str, failures[:5]))
        return f"{', '.join(steps)}: 0 failures"


def run(launcher, manifests, scale, runner):
    scenario = Scenario(launcher, manifests, scale)
    scenario.traffic.start()
    try:
        runner.run("a backend killed under load: failures stop at once", scenario.check_kill)
        runner.run("the killed backend comes back: traffic again after its ejection",
                   scenario.check_comes_back)
        runner.run("rolling replacement of every endpoint: no failed request",
                   scenario.check_rolling_replacement)
    finally:
        scenario.traffic.stop()
    print(f"traffic: {scenario.traffic.counts}", flush=True)


def main():
    return run_scenario("e2e backend failures", "portico-e2e-failures-", run)


if __name__ == "__main__":
    sys.exit(main())
