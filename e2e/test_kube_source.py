#!/usr/bin/env python3
"""The Kubernetes source end to end: portico-controller --source=kube reads the
stand-in API server (HTTPS, bearer token) while real kubectl applies and deletes
an Ingress, a Service and an EndpointSlice; traffic through portico-proxy
follows every change, including changes made while the controller's watches
were cut or their history expired (410 as an ERROR event and as HTTP status),
and across restarts of the API server with its watch history kept (the watches
resume: no list, each missed event applied once) or compacted (410, a relist
that synthesises the delete). The leader publishes the --publish-service
Service's addresses as Ingress status, follows their changes, clears them from
an Ingress that leaves the class, and writes nothing else; /metrics counts it.

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
from lib.kubeapi_restart import restart_kubeapi
from lib.metrics import find_samples, parse_samples
from lib.polling import wait_until
from lib.stack import Controller, Launcher
from lib.processes import ProcessSet

HOST = "web.test"
PUBLISH_NS, PUBLISH_NAME = "portico-system", "portico"
INGRESS_PATH = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web"
PUBLISH_PATH = f"/api/v1/namespaces/{PUBLISH_NS}/services/{PUBLISH_NAME}"


def answer(proxy, path="/"):
    """(status, backend) of GET http://HOST/path through the proxy, or (None, None)."""
    try:
        response = get_once("127.0.0.1", proxy.web_port, path, HOST)
        return response.status, response.backend
    except HTTP_ERRORS:
        return None, None


def start_controller(processes, binary, kubeconfig, timeout_s):
    # --namespaces leaves out the publish Service's namespace: it is watched on its own.
    process = processes.start("controller", [
        binary, "--source=kube", f"--kubeconfig={kubeconfig}", "--namespaces=default",
        f"--publish-service={PUBLISH_NS}/{PUBLISH_NAME}", f"--lease={PUBLISH_NS}/portico",
        "--grpc-listen=127.0.0.1:0", "--grpc-insecure", "--admin-listen=127.0.0.1:0",
    ])
    _, grpc_port = process.wait_for_listening("controller: grpc listening on ", timeout_s)
    _, admin_port = process.wait_for_listening("controller: admin listening on ", timeout_s)
    return Controller(process, grpc_port, admin_port)


def metric_samples(controller):
    response = controller.admin_get("/metrics")
    if response.status != 200:
        raise AssertionError(f"controller /metrics answered {response.status}")
    return parse_samples(response.body)


def metric(samples, name, **labels):
    """The sum of the samples of `name` carrying every given label."""
    return sum(value for _, value in find_samples(samples, name, **labels))


def published_service():
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": PUBLISH_NAME, "namespace": PUBLISH_NS},
        "spec": {"type": "LoadBalancer",
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
    }


def run(launcher, kubectl_bin, work_dir, scale, runner):
    state_file = os.path.join(work_dir, "kubeapi-state.json")
    api = start_kubeapi(launcher.processes, work_dir, tls=True, token="e2e-token",
                        state_file=state_file)
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
    apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PUBLISH_NS}},
          published_service())
    cluster_ip = client.get(PUBLISH_PATH).body["spec"]["clusterIP"]
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
        status_becomes([{"ip": "203.0.113.8"}], "the Ingress created again gets our address")

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

    def ingress_status():
        response = client.get(INGRESS_PATH)
        if response.status != 200:
            return None
        return response.body.get("status", {}).get("loadBalancer", {}).get("ingress")

    # Status writes the API server should see, counted as the checks expect them.
    expected_writes = [0]

    def status_becomes(wanted, what):
        expected_writes[0] += 1
        wait_until(lambda: ingress_status() == wanted, 10 * scale, what)

    def set_load_balancer(entries):
        response = client.patch(f"{PUBLISH_PATH}/status",
                                {"status": {"loadBalancer": {"ingress": entries}}})
        assert response.status == 200, f"patching the Service status: {response.status}"

    def check_publish_service():
        # Written by check_apply's Ingress: the Service has no load balancer yet.
        status_becomes([{"ip": cluster_ip}], f"Ingress status = the cluster IP {cluster_ip}")
        lb = [{"ip": "203.0.113.7"}, {"hostname": "lb.portico.test"}]
        set_load_balancer(lb)
        status_becomes(lb, "Ingress status = the Service's load-balancer addresses")
        set_load_balancer([{"ip": "203.0.113.8"}])
        status_becomes([{"ip": "203.0.113.8"}], "Ingress status follows the load balancer")
        samples = metric_samples(controller)
        assert metric(samples, "portico_controller_leader") == 1, "not the leader"
        assert metric(samples, "portico_controller_reflector_events_total",
                      kind="Service", namespace=PUBLISH_NS) >= 2, "Service events not counted"

    def check_leaves_class():
        apply(dict(ingress, spec=dict(ingress["spec"], ingressClassName="other")))
        wait_until(lambda: answer(proxy)[0] == 404, 5 * scale, "/ unrouted in class other")
        status_becomes(None, "our address cleared from the Ingress of class other")
        apply(ingress)
        serves("backend-2")
        status_becomes([{"ip": "203.0.113.8"}], "our address back on the Ingress")

    def counters():
        samples = metric_samples(controller)
        return {
            "relists": metric(samples, "portico_controller_reflector_relists_total"),
            "events": metric(samples, "portico_controller_reflector_events_total"),
            "slice_events": metric(samples, "portico_controller_reflector_events_total",
                                   kind="EndpointSlice"),
            "slice_relists": metric(samples, "portico_controller_reflector_relists_total",
                                    kind="EndpointSlice"),
            "restarts": metric(samples, "portico_controller_reflector_watch_restarts_total"),
        }

    def hold_slices_watch():
        """Cuts every watch and refuses the slices' next one for 4 s (429, Retry-After)."""
        client.fault("fail-next", count=1, code=429, retryAfter=4, verb="watch", path=slices)
        client.fault("drop-watches")
        wait_until(lambda: not client.state()["pendingFailures"], 5 * scale,
                   "the controller's watch of the slices refused with 429")

    def web_endpoints():
        clusters = controller.snapshot().get("clusters", [])
        return sorted(e["address"] for c in clusters if c["name"].startswith("default/web:")
                      for e in c.get("endpoints", []))

    def lists_in_log(server):
        """Lists the server saw, but those of Portico's CRDs (not installed here: they are
        tried again every ~30 s)."""
        return [line for line in server.process.log_text().splitlines()
                if "limit=" in line and "/apis/portico.dev/" not in line]

    def check_restart_history_kept():
        nonlocal api, client
        hold_slices_watch()
        before = counters()
        apply(k8s.endpoint_slice("web", ["127.0.0.3"], port))  # missed until the restart
        api = restart_kubeapi(launcher.processes, work_dir, api)
        client = api.client()
        serves("backend-3")
        wait_until(lambda: counters()["restarts"] > before["restarts"], 5 * scale,
                   "watches started again")
        after = counters()
        assert after["relists"] == before["relists"], f"relisted: {before} -> {after}"
        assert lists_in_log(api) == [], f"lists after the restart: {lists_in_log(api)}"
        assert after["events"] - before["events"] == 1, \
            f"the one missed change applied {after['events'] - before['events']} times"
        assert web_endpoints() == ["127.0.0.3"], web_endpoints()

    def check_restart_history_compacted():
        nonlocal api, client
        hold_slices_watch()
        before = counters()
        # Missed until the restart, and forgotten by the compaction: the relist must
        # notice that web-slice vanished and web-slice-2 appeared.
        kubectl.run("delete", "endpointslice", "web-slice")
        apply(k8s.endpoint_slice("web", ["127.0.0.2"], port, name="web-slice-2"))
        api = restart_kubeapi(launcher.processes, work_dir, api, compact_history=True)
        client = api.client()
        wait_until(lambda: counters()["slice_relists"] > before["slice_relists"], 10 * scale,
                   "the slices listed again after 410")
        serves("backend-2")
        wait_until(lambda: web_endpoints() == ["127.0.0.2"], 5 * scale,
                   "only web-slice-2's endpoint left (the vanished slice deleted)")
        for _ in range(4):
            assert answer(proxy) == (200, "backend-2"), "a vanished endpoint still served"
        assert counters()["slice_events"] == before["slice_events"], \
            "the relist was counted as watch events"

    def check_status_writes_counted():
        # Everything since (restarts, relists) left the status alone: no extra write.
        samples = metric_samples(controller)
        writes = metric(samples, "portico_controller_ingress_status_writes_total")
        assert writes == expected_writes[0], \
            f"{writes:.0f} Ingress status writes, expected {expected_writes[0]}"
        puts = [line for line in api.process.log_text().splitlines()
                if f"PUT {INGRESS_PATH}/status" in line]
        assert puts == [], f"status written after the restarts: {puts}"
        assert metric(samples, "portico_controller_ingress_status_write_failures_total") == 0
        assert metric(samples, "portico_controller_lease_transitions_total") == 1
        assert ingress_status() == [{"ip": "203.0.113.8"}], ingress_status()

    def check_token_never_logged():
        for process in (controller.process,):
            assert "e2e-token" not in process.log_text(), "the bearer token reached a log"

    runner.run("kubectl apply: Ingress + Service + EndpointSlice served", check_apply)
    runner.run("--publish-service: its cluster IP, then its load-balancer addresses",
               check_publish_service)
    runner.run("updates: endpoints move, the path changes", check_update)
    runner.run("kubectl delete: the route goes, and comes back on apply", check_delete)
    runner.run("changes while watches were cut and history expired (ERROR event)",
               check_missed_while_expired, "event")
    runner.run("changes while watches were cut and history expired (HTTP 410)",
               check_missed_while_expired, "http")
    runner.run("an Ingress that leaves the class loses our address, and gets it back",
               check_leaves_class)
    runner.run("API server restart, history kept: watches resume, no list, no duplicate",
               check_restart_history_kept)
    runner.run("API server restart, history compacted: 410, relist, vanished slice deleted",
               check_restart_history_compacted)
    runner.run("Ingress status written only when it changed", check_status_writes_counted)
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
