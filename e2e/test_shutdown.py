#!/usr/bin/env python3
"""Graceful shutdown of portico-proxy, end to end: SIGTERM turns /ready to 503
at once; the listeners keep accepting for --drain-delay, then close; requests
in flight finish within --grace-period; one that outlives the grace period
is cut; an idle keep-alive connection is closed; the process exits 0.

    e2e/test_shutdown.py --bin-dir build/bin
"""

import socket
import sys
import threading
import time

from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, HttpClient, get_once
from lib.polling import wait_until
from lib.scenario import run_scenario

DRAIN_DELAY_S = 0.8
GRACE_PERIOD_S = 2.5
IN_FLIGHT_MS = 1500  # finishes inside the grace period
TOO_LONG_MS = 20000  # does not


class InFlight(threading.Thread):
    """One request on its own connection; remembers the outcome and when it ended."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.port = port
        self.path = path
        self.status = None
        self.error = None
        self.ended_at = None

    def run(self):
        client = HttpClient("127.0.0.1", self.port, timeout_s=30)
        try:
            self.status = client.get(self.path, host="app.test").status
        except HTTP_ERRORS as error:
            self.error = error
        finally:
            self.ended_at = time.monotonic()
            client.close()


def connect_refused(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def run_shutdown(launcher, manifests, scale, runner):
    backend = launcher.echo_backend("backend-2", "127.0.0.2")
    manifests.write("app.yaml",
                    k8s.service("app", port=80),
                    k8s.endpoint_slice("app", ["127.0.0.2"], backend.port),
                    k8s.ingress("app", k8s.rule("app.test", k8s.path("/", "app"))))
    controller = launcher.controller(manifests.path)
    proxy = launcher.proxy(controller, workers=2, extra_args=[
        f"--drain-delay={int(DRAIN_DELAY_S * 1000)}ms",
        f"--grace-period={int(GRACE_PERIOD_S * 1000)}ms"])
    proxy.wait_ready(10 * scale)
    wait_until(lambda: get_once("127.0.0.1", proxy.web_port, "/", "app.test").status == 200,
               5 * scale, "app.test to be served", retry_on=HTTP_ERRORS)

    idle = HttpClient("127.0.0.1", proxy.web_port)
    assert idle.get("/", host="app.test").status == 200
    finishing = InFlight(proxy.web_port, f"/slow/{IN_FLIGHT_MS}")
    cut = InFlight(proxy.web_port, f"/slow/{TOO_LONG_MS}")
    finishing.start()
    cut.start()
    time.sleep(0.3)  # both requests have reached the backend

    signalled = time.monotonic()
    proxy.process.popen.send_signal(15)
    timeline = {}

    def ready_is_503():
        try:
            return proxy.admin_get("/ready", timeout_s=1).status == 503
        except HTTP_ERRORS:
            return False

    def check_not_ready():
        wait_until(ready_is_503, 0.2 * scale, "/ready to answer 503 after SIGTERM")
        timeline["not ready"] = time.monotonic() - signalled
        return f"{timeline['not ready'] * 1000:.0f} ms after SIGTERM"

    def check_still_serving():
        # Within the drain delay, new connections and requests are still served.
        response = get_once("127.0.0.1", proxy.web_port, "/", "app.test")
        served_at = time.monotonic() - signalled
        assert response.status == 200, f"a new request during the drain delay got {response.status}"
        assert served_at < DRAIN_DELAY_S, f"checked too late ({served_at:.2f} s)"
        return f"new connection served {served_at * 1000:.0f} ms after SIGTERM"

    def check_listeners_close():
        wait_until(lambda: connect_refused(proxy.web_port), (DRAIN_DELAY_S + 1) * scale,
                   "the listener to close")
        closed_at = time.monotonic() - signalled
        assert closed_at >= DRAIN_DELAY_S, (f"listener closed {closed_at:.2f} s after SIGTERM, "
                                            f"before the {DRAIN_DELAY_S} s drain delay")
        return f"refused from {closed_at * 1000:.0f} ms"

    def check_idle_closed():
        # The idle keep-alive connection is closed by the proxy, not kept.
        sock = idle.connection.sock
        sock.settimeout(2 * scale)
        data = sock.recv(1)
        assert data == b"", f"the idle connection got {data!r} instead of a close"

    def check_in_flight_finishes():
        finishing.join(GRACE_PERIOD_S * 2 * scale)
        assert finishing.status == 200, (f"in-flight request: status {finishing.status}, "
                                         f"error {finishing.error}")
        return f"answered {(finishing.ended_at - signalled) * 1000:.0f} ms after SIGTERM"

    def check_exit_after_grace():
        # No second signal: that one means "exit now".
        wait_until(lambda: proxy.process.returncode() is not None,
                   (DRAIN_DELAY_S + GRACE_PERIOD_S + 3) * scale, "the proxy to exit by itself",
                   interval_s=0.02)
        exited_at = time.monotonic() - signalled
        status = proxy.process.returncode()
        assert status == 0, f"exit status {status}"
        cut.join(5 * scale)
        assert cut.status is None and cut.error is not None, (
            f"the request longer than the grace period was not cut: {cut.status}")
        assert exited_at < (DRAIN_DELAY_S + GRACE_PERIOD_S + 1.5) * scale, (
            f"exited {exited_at:.2f} s after SIGTERM")
        return f"exit 0 {exited_at * 1000:.0f} ms after SIGTERM; the longer request was cut"

    runner.run("SIGTERM: /ready answers 503 at once", check_not_ready)
    runner.run("drain delay: new connections still served", check_still_serving)
    runner.run("after the drain delay: listeners closed", check_listeners_close)
    runner.run("draining: idle keep-alive connections closed", check_idle_closed)
    runner.run("grace period: a request in flight completes", check_in_flight_finishes)
    runner.run("grace period over: longer requests cut, exit 0", check_exit_after_grace)
    idle.close()


def main():
    return run_scenario("e2e shutdown", "portico-e2e-shutdown-", run_shutdown)


if __name__ == "__main__":
    sys.exit(main())
