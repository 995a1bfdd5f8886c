#!/usr/bin/env python3
"""Leader election end to end: two portico-controller --source=kube replicas share
one Lease on the stand-in API server. Exactly one holds it and writes Ingress
status; killed (SIGKILL, by PID) the other takes over within 20 s, puts a
stale status right and clears it once the Ingress moves to another class; a
clean stop (SIGTERM) releases the lease so a third replica takes over at once.

    e2e/test_leader_election.py --bin-dir build/bin
"""

import os
import signal
import socket
import sys
import time

from kubeapi.client import start_kubeapi
from lib import manifests as k8s
from lib.polling import wait_until
from lib.scenario import run_scenario

LEASE = "/apis/coordination.k8s.io/v1/namespaces/default/leases/portico-controller"
INGRESS = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web"
PUBLISHED = [{"ip": "192.0.2.10"}, {"hostname": "lb.example.test"}]


def start_replica(processes, binary, kubeconfig, name, timeout_s):
    process = processes.start(name, [
        binary, "--source=kube", f"--kubeconfig={kubeconfig}", "--namespaces=default",
        "--grpc-listen=127.0.0.1:0", "--grpc-insecure", "--admin-listen=127.0.0.1:0",
        "--lease=default/portico-controller", "--publish-address=192.0.2.10,lb.example.test",
    ])
    process.wait_for_listening("controller: admin listening on ", timeout_s)
    return process


def identity(process):
    return f"{socket.gethostname()}-{process.pid}"


def run(processes, binary, work_dir, scale, runner):
    api = start_kubeapi(processes, work_dir)
    client = api.client()
    for path, body in [
            ("/api/v1/namespaces/default/services", k8s.service("web", port=80)),
            ("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
             k8s.endpoint_slice("web", ["127.0.0.2"], 8080)),
            ("/apis/networking.k8s.io/v1/namespaces/default/ingresses",
             k8s.ingress("web", k8s.rule("web.test", k8s.path("/", "web"))))]:
        response = client.post(path, body)
        assert response.status == 201, f"POST {path}: {response.status} {response.body}"

    def holder():
        response = client.get(LEASE)
        return response.body["spec"].get("holderIdentity") if response.status == 200 else None

    def status():
        return client.get(INGRESS).body.get("status", {}).get("loadBalancer", {}).get("ingress")

    replicas = [start_replica(processes, binary, api.kubeconfig, name, 10 * scale)
                for name in ("replica-a", "replica-b")]
    state = {}

    def check_one_leader():
        ids = {identity(p): p for p in replicas}
        leader_id = wait_until(lambda: holder() in ids and holder(), 10 * scale,
                               "a replica holds the lease")
        wait_until(lambda: status() == PUBLISHED, 10 * scale, "the leader publishes the address")
        # The API server answers the PUT before the leader logs it.
        ids[leader_id].wait_for_log("status: published the address of Ingress default/web",
                                    5 * scale)
        leading = [p.name for p in replicas if " leads (lease " in p.log_text()]
        writers = [p.name for p in replicas if "published the address" in p.log_text()]
        assert leading == [ids[leader_id].name], f"leading: {leading}"
        assert writers == [ids[leader_id].name], f"status writers: {writers}"
        state["leader"], state["follower"] = ids[leader_id], next(
            p for p in replicas if p is not ids[leader_id])
        return f"{ids[leader_id].name} leads and wrote the status"

    def check_takeover_after_kill():
        leader, follower = state["leader"], state["follower"]
        os.kill(leader.pid, signal.SIGKILL)
        killed = time.monotonic()
        # What a dying leader may leave behind: a stale address.
        ingress = client.get(INGRESS).body
        ingress["status"] = {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}}
        assert client.put(INGRESS + "/status", ingress).status == 200
        wait_until(lambda: holder() == identity(follower), 20 * scale,
                   f"{follower.name} takes the lease over")
        took = time.monotonic() - killed
        wait_until(lambda: status() == PUBLISHED, 5 * scale, "the new leader rewrites the status")
        state["leader"] = follower
        return f"{follower.name} leads {took:.1f} s after the kill; status right again"

    def check_cleared_when_not_ours():
        # Another class: no routes from it any more, so our address goes.
        response = client.patch(INGRESS, {"spec": {"ingressClassName": "nginx"}})
        assert response.status == 200, f"PATCH: {response.status} {response.body}"
        wait_until(lambda: status() is None, 5 * scale, "the leader clears our address")
        state["leader"].wait_for_log("status: cleared the address of Ingress default/web",
                                     5 * scale)
        return "cleared"

    def check_release_on_sigterm():
        leader = state["leader"]
        third = start_replica(processes, binary, api.kubeconfig, "replica-c", 10 * scale)
        stopped = time.monotonic()
        assert leader.stop(10 * scale) == 0, "the leader did not exit cleanly"
        wait_until(lambda: holder() == identity(third), 6 * scale,
                   "replica-c takes the released lease")
        took = time.monotonic() - stopped
        # Released, not expired: well under the 15 s lease duration.
        assert took < 6 * scale, f"took {took:.1f} s"
        return f"replica-c leads {took:.1f} s after SIGTERM"

    runner.run("exactly one replica leads and writes status", check_one_leader)
    runner.run("SIGKILL the leader: the other takes over within 20 s", check_takeover_after_kill)
    runner.run("an Ingress of another class loses our address", check_cleared_when_not_ours)
    runner.run("SIGTERM releases the lease: the next replica takes over at once",
               check_release_on_sigterm)


def scenario(launcher, manifests, scale, runner):
    # The manifests folder is unused (objects go to the API server); its
    # parent is the run's work folder.
    run(launcher.processes, launcher.controller_bin, os.path.dirname(manifests.path), scale,
        runner)


if __name__ == "__main__":
    sys.exit(run_scenario("e2e leader election", "portico-e2e-lease-", scenario))
