#!/usr/bin/env python3
"""A proxy with two controller replicas (`--controller=A,B`), end to end: it
serves from one; when that one stops, it moves to the other within a second,
keeps serving throughout, stays ready, and takes the next change from the
replica still running.

    e2e/test_controller_failover.py --bin-dir build/bin
"""

import re
import sys
import time

from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, get_once
from lib.polling import wait_until
from lib.scenario import run_scenario
from lib.stack import Proxy
from lib.traffic import BackgroundTraffic


def status_of(proxy, host):
    try:
        return get_once("127.0.0.1", proxy.web_port, "/", host).status
    except HTTP_ERRORS:
        return None


def run(launcher, manifests, scale, runner):
    backend = launcher.echo_backend("backend-2", "127.0.0.2")
    manifests.write("app.yaml", k8s.service("app", port=80),
                    k8s.endpoint_slice("app", ["127.0.0.2"], backend.port),
                    k8s.ingress("app", k8s.rule("app.test", k8s.path("/", "app"))))
    first = launcher.controller(manifests.path, name="controller-a")
    second = launcher.controller(manifests.path, name="controller-b")
    addresses = f"{first.grpc_address},{second.grpc_address}"
    proxy_process = launcher.processes.start("proxy", [
        launcher.proxy_bin, f"--controller={addresses}", "--grpc-insecure",
        "--entrypoint=web=127.0.0.1:0", "--admin-listen=127.0.0.1:0", "--workers=1"])
    _, web_port = proxy_process.wait_for_listening("proxy: entrypoint web listening on ", 10)
    _, admin_port = proxy_process.wait_for_listening("proxy: admin listening on ", 10)
    proxy = Proxy(proxy_process, web_port, admin_port)
    proxy.wait_ready(10 * scale)
    wait_until(lambda: status_of(proxy, "app.test") == 200, 5 * scale, "app.test served")
    phase = {"now": "failover"}
    traffic = BackgroundTraffic(proxy.web_port, "app.test", "/", ["backend-2"],
                                lambda: phase["now"])

    def check_first_serves():
        proxy_process.wait_for_log(r"connected to controller " + re.escape(first.grpc_address),
                                   5 * scale)
        return f"connected to {first.grpc_address}"

    def check_failover():
        traffic.start()
        time.sleep(0.3)
        stopped = time.monotonic()
        first.process.stop(timeout_s=5)
        proxy_process.wait_for_log(r"connected to controller " + re.escape(second.grpc_address),
                                   2 * scale)
        moved_in = time.monotonic() - stopped
        assert proxy.admin_get("/ready").status == 200, "the proxy stopped being ready"
        assert moved_in < 1.0 * scale, f"took {moved_in:.2f} s"
        return f"on {second.grpc_address} {moved_in * 1000:.0f} ms after the first one stopped"

    def check_change_from_second():
        manifests.write("more.yaml",
                        k8s.ingress("more", k8s.rule("more.test", k8s.path("/", "app"))))
        started = time.monotonic()
        wait_until(lambda: status_of(proxy, "more.test") == 200, 2 * scale,
                   "more.test served (a change after the failover)")
        traffic.stop()
        assert not traffic.failures, "; ".join(map(str, traffic.failures[:5]))
        return (f"served {(time.monotonic() - started) * 1000:.0f} ms after the write; "
                f"{traffic.total} requests during the failover, 0 failed")

    runner.run("the proxy takes its snapshot from the first replica", check_first_serves)
    runner.run("first replica stops: the proxy moves to the second, ready throughout",
               check_failover)
    runner.run("a change afterwards comes from the second replica", check_change_from_second)


def main():
    return run_scenario("e2e controller failover", "portico-e2e-failover-", run)


if __name__ == "__main__":
    sys.exit(main())
