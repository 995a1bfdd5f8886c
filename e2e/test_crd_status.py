#!/usr/bin/env python3
"""IngressRoute status end to end: two portico-controller --source=kube replicas
share one Lease on the stand-in API server. They start before Portico's CRDs
exist (ready all the same), pick the CRDs up once `kubectl apply -f crds/`
installs them, and the leader alone writes each IngressRoute's Ready condition:
True for a route that serves, False naming the field for one whose Service is
missing (the good route keeps serving), True again once it is fixed, with
observedGeneration following metadata.generation; an unrelated change causes
no status write; killed, the leader is replaced by the other replica, which
rewrites a stale condition.

    e2e/test_crd_status.py --bin-dir build/bin [--kubectl kubectl]
"""

import json
import os
import re
import signal
import socket
import sys

from kubeapi.client import Kubectl, start_kubeapi
from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, get_once
from lib.metrics import find_samples, parse_samples
from lib.polling import wait_until
from lib.scenario import run_scenario
from lib.stack import Controller

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEASE = "/apis/coordination.k8s.io/v1/namespaces/default/leases/portico-controller"
WRITES = "portico_controller_crd_status_writes_total"
ROUTE_PATH = "/apis/portico.dev/v1alpha1/namespaces/default/ingressroutes/good"
# The controllers look for a missing CRD again every 30 s ±20 %; a re-check may
# just miss the apply (kubectl 1.20 takes seconds for ten CRDs): two periods.
CRD_RECHECK_S = 2 * 36 + 3
ROUTES = "ingressroutes.portico.dev in namespace default"


def answer(proxy, host):
    """(status, backend) of GET http://HOST/ through the proxy, or (None, None)."""
    try:
        response = get_once("127.0.0.1", proxy.web_port, "/", host)
        return response.status, response.backend
    except HTTP_ERRORS:
        return None, None


def start_replica(processes, binary, kubeconfig, name, timeout_s):
    process = processes.start(name, [
        binary, "--source=kube", f"--kubeconfig={kubeconfig}", "--namespaces=default",
        "--grpc-listen=127.0.0.1:0", "--grpc-insecure", "--admin-listen=127.0.0.1:0",
        "--lease=default/portico-controller",
    ])
    _, grpc_port = process.wait_for_listening("controller: grpc listening on ", timeout_s)
    _, admin_port = process.wait_for_listening("controller: admin listening on ", timeout_s)
    return Controller(process, grpc_port, admin_port)


def status_writes(controller):
    samples = find_samples(parse_samples(controller.admin_get("/metrics").body), WRITES)
    return int(samples[0][1]) if samples else None


def run(launcher, kubectl_bin, work_dir, scale, runner):
    api = start_kubeapi(launcher.processes, work_dir)
    client = api.client()
    kubectl = Kubectl(kubectl_bin, api.kubeconfig, os.path.join(work_dir, "kubectl-cache"))
    backends = launcher.echo_backends_on_one_port(["127.0.0.2", "127.0.0.3"])
    port = backends[0].port

    def apply(*documents):
        kubectl.run("apply", "-f", "-", stdin=k8s.to_yaml(*documents))

    def route(name):
        """The IngressRoute as kubectl shows it (-o json)."""
        return json.loads(kubectl.run("get", "ingressroute", name, "-o", "json").stdout)

    def ready(name):
        """Ready's status as `kubectl get -o jsonpath` prints it."""
        return kubectl.run("get", "ingressroute", name, "-o",
                           'jsonpath={.status.conditions[?(@.type=="Ready")].status}').stdout

    def condition(name):
        obj = route(name)
        found = [c for c in obj.get("status", {}).get("conditions", []) if c["type"] == "Ready"]
        return obj, (found[0] if found else None)

    replicas = [start_replica(launcher.processes, launcher.controller_bin, api.kubeconfig, n,
                              launcher.timeout_s) for n in ("replica-a", "replica-b")]
    state = {}

    def check_ready_without_crds():
        for c in replicas:
            wait_until(lambda c=c: c.admin_get("/ready").status == 200, 10 * scale,
                       f"{c.process.name} /ready with no CRD installed", retry_on=HTTP_ERRORS)
            c.process.wait_for_log(re.escape(f"{ROUTES}: not served (CRD not installed)"),
                                   5 * scale)
            assert f"{ROUTES}: list: HTTP 404" not in c.process.log_text(), \
                "a missing CRD was logged as an error"
        return "both replicas ready; the missing CRDs logged once, as information"

    def check_crds_picked_up():
        kubectl.run("apply", "-f", os.path.join(REPO, "crds"))
        for c in replicas:
            c.process.wait_for_log(re.escape(f"{ROUTES}: now served"), CRD_RECHECK_S * scale)
        ids = {f"{socket.gethostname()}-{c.process.pid}": c for c in replicas}

        def holder():
            response = client.get(LEASE)
            return response.body["spec"].get("holderIdentity") if response.status == 200 else None
        leader_id = wait_until(lambda: holder() in ids and holder(), 10 * scale,
                               "a replica holds the lease")
        state["leader"] = ids[leader_id]
        state["follower"] = next(c for c in replicas if c is not ids[leader_id])
        state["proxy"] = launcher.proxy(state["leader"], workers=1)
        state["proxy"].wait_ready(10 * scale)
        return "both replicas watch the CRDs after kubectl apply -f crds/"

    def check_good_route():
        apply(k8s.service("web", port=80), k8s.endpoint_slice("web", ["127.0.0.2"], port),
              k8s.ingress_route("good", "good.test", "web"))
        wait_until(lambda: answer(state["proxy"], "good.test") == (200, "backend-2"), 10 * scale,
                   "good.test served by backend-2")
        wait_until(lambda: ready("good") == "True", 10 * scale, "kubectl shows good Ready True")
        obj, ready_condition = condition("good")
        generation = obj["metadata"]["generation"]
        assert ready_condition["reason"] == "Accepted", ready_condition
        assert ready_condition["observedGeneration"] == generation, (ready_condition, generation)
        assert obj["status"]["observedGeneration"] == generation, obj["status"]
        return f"Ready True, observedGeneration {generation}"

    def check_broken_route():
        apply(k8s.ingress_route("broken", "broken.test", "missing"))
        wait_until(lambda: ready("broken") == "False", 10 * scale,
                   "kubectl shows broken Ready False")
        _, ready_condition = condition("broken")
        message = ready_condition["message"]
        assert "spec.routes[0].services[0]" in message, message
        assert "missing" in message, message
        state["broken_time"] = ready_condition["lastTransitionTime"]
        assert answer(state["proxy"], "good.test") == (200, "backend-2"), "good.test stopped"
        assert ready("good") == "True"
        return f"Ready False ({ready_condition['reason']}): {message}"

    def check_fixed_route():
        apply(k8s.ingress_route("broken", "broken.test", "web"))
        wait_until(lambda: answer(state["proxy"], "broken.test") == (200, "backend-2"),
                   10 * scale, "broken.test served once fixed")
        wait_until(lambda: ready("broken") == "True", 10 * scale, "broken Ready True once fixed")
        obj, ready_condition = condition("broken")
        assert obj["metadata"]["generation"] == 2, obj["metadata"]
        assert ready_condition["observedGeneration"] == 2, ready_condition
        assert ready_condition["lastTransitionTime"] >= state["broken_time"], ready_condition
        return "Ready True, observedGeneration 2"

    def check_no_rewrite_when_unchanged():
        leader = state["leader"]
        before = status_writes(leader)
        # Endpoints move: a new snapshot, the same conditions.
        apply(k8s.endpoint_slice("web", ["127.0.0.3"], port))
        wait_until(lambda: answer(state["proxy"], "good.test") == (200, "backend-3"), 10 * scale,
                   "good.test served by backend-3")
        after = status_writes(leader)
        assert after == before, f"status written {after - before} times for no change"
        state["writes"] = after
        return f"{before} writes, none more after an endpoint change"

    def check_follower_never_writes():
        leader, follower = state["leader"], state["follower"]
        assert status_writes(follower) == 0, "the follower wrote status"
        assert "status: IngressRoute" not in follower.process.log_text(), \
            "the follower logged a status write"
        # Exactly good True, broken False, broken True: nothing late either.
        assert status_writes(leader) == state["writes"] == 3, status_writes(leader)
        return f"leader {status_writes(leader)} writes, follower 0"

    def check_takeover_fixes_stale_status():
        leader, follower = state["leader"], state["follower"]
        os.kill(leader.process.pid, signal.SIGKILL)
        # What a dying leader may leave behind: a stale condition.
        stale = {"status": {"observedGeneration": 1, "conditions": [{
            "type": "Ready", "status": "False", "reason": "Stale", "message": "stale",
            "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
        response = client.patch(ROUTE_PATH + "/status", stale)
        assert response.status == 200, f"PATCH: {response.status} {response.body}"
        wait_until(lambda: ready("good") == "True", 25 * scale,
                   f"{follower.process.name} takes over and writes good Ready True again")
        follower.process.wait_for_log(r"status: IngressRoute default/good: Ready True", 5 * scale)
        return f"{follower.process.name} rewrote the stale status after the takeover"

    runner.run("replicas are ready before the CRDs exist", check_ready_without_crds)
    runner.run("kubectl apply -f crds/: the replicas start watching", check_crds_picked_up)
    runner.run("a good IngressRoute serves and is Ready True", check_good_route)
    runner.run("a missing Service: Ready False naming the field; good still serves",
               check_broken_route)
    runner.run("the fix makes it Ready True", check_fixed_route)
    runner.run("no status write when nothing changed", check_no_rewrite_when_unchanged)
    runner.run("the follower never writes status", check_follower_never_writes)
    runner.run("SIGKILL the leader: the other takes over and fixes a stale status",
               check_takeover_fixes_stale_status)


def scenario(launcher, manifests, scale, runner, kubectl_bin):
    # The manifests folder is unused (objects go through kubectl); its parent is
    # the run's work folder.
    run(launcher, kubectl_bin, os.path.dirname(manifests.path), scale, runner)


if __name__ == "__main__":
    sys.exit(run_scenario("e2e crd status", "portico-e2e-crd-status-", scenario, kubectl=True))
