#!/usr/bin/env python3
"""The Kubernetes source end to end: portico-controller --source=kube reads the
stand-in API server (HTTPS, bearer token) while real kubectl applies and deletes
an Ingress, a Service and an EndpointSlice; traffic through portico-proxy
follows every change, including changes made while the controller's watches
were cut or their history expired (410 as an ERROR event and as HTTP status).

    e2e/test_kube_source.py --bin-dir build/bin [--kubectl kubectl]
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

from kubeapi.client import Kubectl, start_kubeapi
from lib import manifests as k8s
from lib.checks import CheckRunner
from lib.http_client import HTTP_ERRORS, get_once
from lib.polling import wait_until
from lib.stack import Controller, Launcher
from lib.processes import ProcessSet

HOST = "web.test"


def answer(proxy, path="/"):
    """(status, backend) of GET http://HOST/path through the proxy, or (None, None)."""
    try:
        response = get_once("127.0.0.1", proxy.web_port, path, HOST)
        return response.status, response.backend
    except HTTP_ERRORS:
        return None, None


def start_controller(processes, binary, kubeconfig, timeout_s):
    process = processes.start("controller", [
        binary, "--source=kube", f"--kubeconfig={kubeconfig}", "--namespaces=default",
        "--grpc-listen=127.0.0.1:0", "--grpc-insecure", "--admin-listen=127.0.0.1:0",
    ])
    _, grpc_port = process.wait_for_listening("controller: grpc listening on ", timeout_s)
    _, admin_port = process.wait_for_listening("controller: admin listening on ", timeout_s)
    return Controller(process, grpc_port, admin_port)


def run(launcher, kubectl_bin, work_dir, scale, runner):
    api = start_kubeapi(launcher.processes, work_dir, tls=True, token="e2e-token")
    client = api.client()
    kubectl = Kubectl(kubectl_bin, api.kubeconfig, os.path.join(work_dir, "kubectl-cache"))
    backends = launcher.echo_backends_on_one_port(["127.0.0.2", "127.0.0.3"])
    port = backends[0].port

    def apply(*documents):
        kubectl.run("apply", "-f", "-", stdin=k8s.to_yaml(*documents))

    def serves(backend, path="/"):
        wait_until(lambda: answer(proxy, path) == (200, backend), 5 * scale,
                   f"{HOST}{path} served by {backend}")

    service = k8s.service("web", port=80)
    ingress = k8s.ingress("web", k8s.rule(HOST, k8s.path("/", "web")))
    controller = start_controller(launcher.processes, launcher.controller_bin, api.kubeconfig,
                                  launcher.timeout_s)
    wait_until(lambda: controller.admin_get("/ready").status == 200, 10 * scale,
               "controller /ready (every collection listed, first compile done)",
               retry_on=HTTP_ERRORS)
    proxy = launcher.proxy(controller, workers=1)
    proxy.wait_ready(10 * scale)

    def check_apply():
        apply(service, k8s.endpoint_slice("web", ["127.0.0.2"], port), ingress)
        started = time.monotonic()  # kubectl itself takes ~0.5 s to start and discover
        serves("backend-2")
        return f"served {(time.monotonic() - started) * 1000:.0f} ms after kubectl apply returned"

    def check_update():
        apply(k8s.endpoint_slice("web", ["127.0.0.3"], port))
        serves("backend-3")
        apply(k8s.ingress("web", k8s.rule(HOST, k8s.path("/v2", "web", path_type="Exact"))))
        serves("backend-3", "/v2")
        wait_until(lambda: answer(proxy)[0] == 404, 5 * scale, "/ no longer routed")

    def check_delete():
        kubectl.run("delete", "ingress", "web")
        wait_until(lambda: answer(proxy, "/v2")[0] == 404, 5 * scale, "/v2 gone after delete")
        apply(ingress)
        serves("backend-3")

    slices = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"

    def relists_of_slices():
        return sum(1 for line in controller.process.log_text().splitlines()
                   if "endpointslices" in line and "listing again" in line)

    def check_missed_while_expired(gone_as):
        # The slices' watch is cut and kept down (429, Retry-After 4 s); the slice
        # is deleted meanwhile and the history expired, so the resumed watch is
        # told 410 and the relist must synthesise the delete.
        before = relists_of_slices()
        client.fault("settings", goneAs=gone_as)
        client.fault("fail-next", count=1, code=429, retryAfter=4, verb="watch", path=slices)
        client.fault("drop-watches")
        wait_until(lambda: not client.state()["pendingFailures"], 5 * scale,
                   "the controller's watch of the slices refused with 429")
        kubectl.run("delete", "endpointslice", "web-slice")
        client.fault("expire-history")
        wait_until(lambda: answer(proxy)[0] == 503, 10 * scale,
                   "no endpoint left once the missed delete was synthesised (503)")
        assert relists_of_slices() > before, "the slices were never listed again"
        apply(k8s.endpoint_slice("web", ["127.0.0.2"], port))
        serves("backend-2")

    def check_token_never_logged():
        for process in (controller.process,):
            assert "e2e-token" not in process.log_text(), "the bearer token reached a log"

    runner.run("kubectl apply: Ingress + Service + EndpointSlice served", check_apply)
    runner.run("updates: endpoints move, the path changes", check_update)
    runner.run("kubectl delete: the route goes, and comes back on apply", check_delete)
    runner.run("changes while watches were cut and history expired (ERROR event)",
               check_missed_while_expired, "event")
    runner.run("changes while watches were cut and history expired (HTTP 410)",
               check_missed_while_expired, "http")
    runner.run("the token never appears in the controller's log", check_token_never_logged)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default="build/bin")
    parser.add_argument("--kubectl", default=os.environ.get("KUBECTL", "kubectl"))
    parser.add_argument("--time-scale", type=float,
                        default=float(os.environ.get("PORTICO_E2E_TIME_SCALE", "1")))
    args = parser.parse_args()
    work_dir = tempfile.mkdtemp(prefix="portico-e2e-kube-")
    print(f"e2e kube source: logs in {work_dir}", flush=True)
    runner = CheckRunner()
    with ProcessSet(work_dir) as processes:
        launcher = Launcher(processes, os.path.join(args.bin_dir, "portico-controller"),
                            os.path.join(args.bin_dir, "portico-proxy"))
        try:
            run(launcher, args.kubectl, work_dir, args.time_scale, runner)
        except AssertionError as error:
            runner.fail(runner.current, str(error))
        if runner.failed:
            processes.print_log_tails()
    if runner.failed:
        print(f"kept {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(runner.summary(), flush=True)
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
