#!/usr/bin/env python3
"""Tests of the stand-in Kubernetes API server (e2e/kubeapi), which the Kubernetes
source's end-to-end tests rely on.

    e2e/test_kubeapi.py --suite http                   # raw HTTP: watch, 409, 410, faults...
    e2e/test_kubeapi.py --suite kubectl --kubectl /usr/bin/kubectl
    KUBECTL=/path/to/kubectl e2e/test_kubeapi.py       # both suites

The kubectl suite drives the real kubectl: apply -f of a multi-document file,
get as a table and as YAML/JSON, an edited apply, a CRD then an object of it,
delete -f, and a request retried after an injected 429.
"""

import argparse
import os
import shutil
import socket
import sys
import tempfile
import unittest

from kubeapi.client import KUBEAPI_DIR, ApiClient, Kubectl, start_kubeapi
from lib.polling import wait_until
from lib.processes import ProcessSet

CONFIG = {"kubectl": None, "scale": 1.0}
TESTDATA = os.path.join(KUBEAPI_DIR, "testdata")
NS = "/api/v1/namespaces/default"
INGRESSES = "/apis/networking.k8s.io/v1/namespaces/default/ingresses"


def configmap(name, data=None, labels=None):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}, "data": data or {"k": "v"}}


def ingress(name, host="a.test"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name},
            "spec": {"rules": [{"host": host, "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "app", "port": {"number": 80}}}}]}}]}}


def crd(plural, kind, scope="Namespaced", status=True, group="example.portico.dev"):
    version = {"name": "v1", "served": True, "storage": True,
               "schema": {"openAPIV3Schema": {"type": "object",
                                              "x-kubernetes-preserve-unknown-fields": True}}}
    if status:
        version["subresources"] = {"status": {}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope, "versions": [version],
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind}}}


class ServerTestCase(unittest.TestCase):
    """One server per test class, in a temporary folder kept when a test fails."""
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.work_dir = tempfile.mkdtemp(prefix="portico-kubeapi-test-")
        cls.processes = ProcessSet(cls.work_dir)
        cls.processes.__enter__()
        cls.server = start_kubeapi(cls.processes, cls.work_dir, extra_args=cls.server_args)
        cls.api = cls.server.client()
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        cls.processes.stop_all()
        if cls.failed:
            cls.processes.print_log_tails(lines=60)
            print(f"kept {cls.work_dir}")
        else:
            shutil.rmtree(cls.work_dir, ignore_errors=True)

    def run(self, result=None):
        result = super().run(result)
        if result is not None and not result.wasSuccessful():
            type(self).failed = True
        return result

    def tearDown(self):
        self.api.fault("clear")

    def create(self, path, obj, expect=201):
        response = self.api.post(path, obj)
        self.assertEqual(response.status, expect, response.body)
        return response.body

    def watch(self, path, **kwargs):
        reader = self.server.watch(path, **kwargs)
        self.addCleanup(reader.close)
        return reader

    def wait_open_watches(self, count):
        wait_until(lambda: self.api.state()["openWatches"] == count, 5 * CONFIG["scale"],
                   f"{count} open watches")

    def assert_status(self, response, code, reason):
        self.assertEqual(response.status, code, response.body)
        self.assertEqual(response.body.get("kind"), "Status", response.body)
        self.assertEqual((response.body["code"], response.body["reason"]), (code, reason))


class WatchTest(ServerTestCase):
    def test_events_arrive_in_order_and_a_watch_resumes_after_any_of_them(self):
        listed = self.api.get(f"{NS}/configmaps?labelSelector=suite%3Dorder").body
        reader = self.watch(f"{NS}/configmaps?watch=1&labelSelector=suite%3Dorder"
                            f"&resourceVersion={listed['metadata']['resourceVersion']}")
        first = self.create(f"{NS}/configmaps", configmap("order-a", labels={"suite": "order"}))
        first["data"] = {"k": "changed"}
        self.assertEqual(self.api.put(f"{NS}/configmaps/order-a", first).status, 200)
        self.create(f"{NS}/configmaps", configmap("order-b", labels={"suite": "order"}))
        self.assertEqual(self.api.delete(f"{NS}/configmaps/order-a").status, 200)
        events = reader.take(4)
        seen = [(e["type"], e["object"]["metadata"]["name"]) for e in events]
        self.assertEqual(seen, [("ADDED", "order-a"), ("MODIFIED", "order-a"),
                                ("ADDED", "order-b"), ("DELETED", "order-a")])
        versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        self.assertEqual(versions, sorted(versions))
        self.assertEqual(len(set(versions)), 4)
        self.assertEqual(events[1]["object"]["data"], {"k": "changed"})
        self.assertEqual(events[0]["object"]["kind"], "ConfigMap")

        resumed = self.watch(f"{NS}/configmaps?watch=1&labelSelector=suite%3Dorder"
                             f"&resourceVersion={versions[1]}")
        again = [(e["type"], e["object"]["metadata"]["name"]) for e in resumed.take(2)]
        self.assertEqual(again, [("ADDED", "order-b"), ("DELETED", "order-a")])

    def test_a_watch_without_resource_version_starts_with_the_current_objects(self):
        self.create(f"{NS}/configmaps", configmap("current-a", labels={"suite": "current"}))
        reader = self.watch(f"{NS}/configmaps?watch=true&labelSelector=suite%3Dcurrent")
        event = reader.next()
        self.assertEqual((event["type"], event["object"]["metadata"]["name"]),
                         ("ADDED", "current-a"))

    def test_a_label_change_moves_an_object_into_and_out_of_a_selection(self):
        reader = self.watch(f"{NS}/configmaps?watch=1&labelSelector=tier%3Dfront"
                            f"&resourceVersion={self.api.state()['resourceVersion']}")
        obj = self.create(f"{NS}/configmaps", configmap("moving", labels={"tier": "back"}))
        patch = {"metadata": {"labels": {"tier": "front"}}}
        self.assertEqual(self.api.patch(f"{NS}/configmaps/moving", patch).status, 200)
        patch = {"metadata": {"labels": {"tier": "back"}}}
        self.assertEqual(self.api.patch(f"{NS}/configmaps/moving", patch).status, 200)
        seen = [e["type"] for e in reader.take(2)]
        self.assertEqual(seen, ["ADDED", "DELETED"])
        self.assertTrue(obj["metadata"]["uid"])

    def test_bookmarks_only_for_watches_that_allow_them(self):
        rv = self.api.state()["resourceVersion"]
        with_bookmarks = self.watch(f"{NS}/configmaps?watch=1&allowWatchBookmarks=true"
                                    f"&resourceVersion={rv}")
        without = self.watch(f"{NS}/configmaps?watch=1&resourceVersion={rv}")
        self.wait_open_watches(2)
        self.api.fault("bookmark")
        event = with_bookmarks.next()
        self.assertEqual(event["type"], "BOOKMARK")
        self.assertEqual(event["object"]["kind"], "ConfigMap")
        self.assertEqual(int(event["object"]["metadata"]["resourceVersion"]), rv)
        self.create(f"{NS}/configmaps", configmap("after-bookmark"))
        self.assertEqual(without.next()["type"], "ADDED")  # no BOOKMARK came before it
        # The periodic bookmark carries the latest resourceVersion.
        self.api.fault("settings", bookmarkInterval="0.1")
        self.addCleanup(self.api.fault, "settings", bookmarkInterval="1")
        event = with_bookmarks.next()
        while event["type"] != "BOOKMARK":
            event = with_bookmarks.next()
        self.assertGreater(int(event["object"]["metadata"]["resourceVersion"]), rv)

    def test_send_initial_events_ends_with_an_annotated_bookmark(self):
        self.create(f"{NS}/configmaps", configmap("initial-a", labels={"suite": "initial"}))
        reader = self.watch(f"{NS}/configmaps?watch=1&sendInitialEvents=true"
                            "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
                            "&labelSelector=suite%3Dinitial")
        added, bookmark = reader.take(2)
        self.assertEqual(added["type"], "ADDED")
        self.assertEqual(bookmark["type"], "BOOKMARK")
        self.assertEqual(bookmark["object"]["metadata"]["annotations"],
                         {"k8s.io/initial-events-end": "true"})

    def test_a_watch_ends_cleanly_after_timeout_seconds(self):
        reader = self.watch(f"{NS}/configmaps?watch=1&timeoutSeconds=1"
                            f"&resourceVersion={self.api.state()['resourceVersion']}")
        self.assertIsNone(reader.next(timeout_s=5 * CONFIG["scale"]))


class ExpiryTest(ServerTestCase):
    server_args = ("--history", "5")

    def test_a_watch_from_before_the_history_gets_410_expired(self):
        old_rv = self.api.state()["resourceVersion"]
        for n in range(6):  # more changes than the history keeps
            self.create(f"{NS}/configmaps", configmap(f"churn-{n}"))
        reader = self.watch(f"{NS}/configmaps?watch=1&resourceVersion={old_rv}")
        self.assertEqual(reader.status, 200)
        event = reader.next()
        self.assertEqual(event["type"], "ERROR")
        self.assertEqual((event["object"]["code"], event["object"]["reason"]), (410, "Expired"))
        self.assertIsNone(reader.next())

    def test_expire_history_switch_and_410_as_an_http_status(self):
        rv = self.api.state()["resourceVersion"]
        self.create(f"{NS}/configmaps", configmap("before-expiry"))
        answer = self.api.fault("expire-history")
        self.assertEqual(answer["floor"], self.api.state()["resourceVersion"])
        self.assertEqual(self.watch(f"{NS}/configmaps?watch=1&resourceVersion={rv}")
                         .next()["type"], "ERROR")
        self.api.fault("settings", goneAs="http")
        self.addCleanup(self.api.fault, "settings", goneAs="event")
        self.assert_status(self.api.get(f"{NS}/configmaps?watch=1&resourceVersion={rv}"),
                           410, "Expired")
        # From the current resourceVersion a watch still works.
        current = self.api.state()["resourceVersion"]
        reader = self.watch(f"{NS}/configmaps?watch=1&resourceVersion={current}")
        self.create(f"{NS}/configmaps", configmap("after-expiry"))
        self.assertEqual(reader.next()["object"]["metadata"]["name"], "after-expiry")

    def test_expire_with_notify_ends_open_watches_with_an_error(self):
        reader = self.watch(f"{NS}/configmaps?watch=1"
                            f"&resourceVersion={self.api.state()['resourceVersion']}")
        self.wait_open_watches(1)
        self.assertEqual(self.api.fault("expire-history", notify="true")["notified"], 1)
        event = reader.next()
        self.assertEqual((event["type"], event["object"]["code"]), ("ERROR", 410))
        self.assertIsNone(reader.next())

    def test_a_continue_token_from_before_the_history_is_410(self):
        for n in range(3):
            self.create(f"{NS}/secrets", {"metadata": {"name": f"page-{n}"}})
        first = self.api.get(f"{NS}/secrets?limit=1").body
        self.create(f"{NS}/configmaps", configmap("after-page"))
        self.api.fault("expire-history")  # compacts the revision the first page was read at
        response = self.api.get(f"{NS}/secrets?limit=1&continue={first['metadata']['continue']}")
        self.assert_status(response, 410, "Expired")


class ObjectTest(ServerTestCase):
    def test_a_stale_update_is_409_conflict(self):
        obj = self.create(f"{NS}/configmaps", configmap("stale"))
        fresh = dict(obj, data={"k": "one"})
        updated = self.api.put(f"{NS}/configmaps/stale", fresh)
        self.assertEqual(updated.status, 200, updated.body)
        self.assertGreater(int(updated.body["metadata"]["resourceVersion"]),
                           int(obj["metadata"]["resourceVersion"]))
        stale = dict(obj, data={"k": "two"})
        self.assert_status(self.api.put(f"{NS}/configmaps/stale", stale), 409, "Conflict")
        patch = {"metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]}}
        self.assert_status(self.api.patch(f"{NS}/configmaps/stale", patch), 409, "Conflict")
        precondition = {"preconditions": {"resourceVersion": obj["metadata"]["resourceVersion"]}}
        self.assert_status(self.api.delete(f"{NS}/configmaps/stale", precondition), 409,
                           "Conflict")
        self.assert_status(self.api.post(f"{NS}/configmaps", configmap("stale")), 409,
                           "AlreadyExists")

    def test_an_unchanged_update_keeps_the_resource_version(self):
        obj = self.create(f"{NS}/configmaps", configmap("same"))
        again = self.api.put(f"{NS}/configmaps/same", obj).body
        self.assertEqual(again["metadata"]["resourceVersion"], obj["metadata"]["resourceVersion"])

    def test_status_subresource_of_a_built_in_kind(self):
        body = ingress("status-ing")
        body["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}
        created = self.create(INGRESSES, body)
        self.assertEqual(created["status"], {"loadBalancer": {}})  # status is the server's
        self.assertEqual(created["metadata"]["generation"], 1)
        status = dict(created, status={"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}})
        status["spec"] = {"defaultBackend": {"service": {"name": "x", "port": {"number": 1}}}}
        written = self.api.put(f"{INGRESSES}/status-ing/status", status).body
        self.assertEqual(written["status"]["loadBalancer"]["ingress"], [{"ip": "192.0.2.7"}])
        self.assertEqual(written["spec"], created["spec"])  # spec ignored by /status
        self.assertEqual(written["metadata"]["generation"], 1)
        main = dict(written, status={"loadBalancer": {}})
        main["spec"] = ingress("x", host="b.test")["spec"]
        updated = self.api.put(f"{INGRESSES}/status-ing", main).body
        self.assertEqual(updated["status"], written["status"])  # status ignored by main
        self.assertEqual(updated["metadata"]["generation"], 2)
        patched = self.api.patch(f"{INGRESSES}/status-ing/status",
                                 {"status": {"loadBalancer": None}}).body
        self.assertNotIn("loadBalancer", patched["status"])
        self.assertEqual(patched["metadata"]["generation"], 2)

    def test_a_crd_is_served_once_created_with_its_status_subresource(self):
        self.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                    crd("widgets", "Widget"))
        self.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                    crd("globes", "Globe", scope="Cluster", status=False))
        resources = self.api.get("/apis/example.portico.dev/v1").body["resources"]
        names = {(r["name"], r["namespaced"]) for r in resources}
        self.assertEqual(names, {("widgets", True), ("widgets/status", True),
                                 ("globes", False)})
        groups = [g["name"] for g in self.api.get("/apis").body["groups"]]
        self.assertIn("example.portico.dev", groups)
        widgets = "/apis/example.portico.dev/v1/namespaces/default/widgets"
        widget = self.create(widgets, {"apiVersion": "example.portico.dev/v1", "kind": "Widget",
                                       "metadata": {"name": "w"}, "spec": {"size": 1},
                                       "status": {"ready": True}})
        self.assertNotIn("status", widget)
        status = self.api.patch(f"{widgets}/w/status", {"status": {"ready": True},
                                                        "spec": {"size": 9}}).body
        self.assertEqual((status["status"], status["spec"]), ({"ready": True}, {"size": 1}))
        self.assert_status(self.api.patch(f"{widgets}/w", {"spec": {"size": 2}},
                                          "application/strategic-merge-patch+json"),
                           415, "UnsupportedMediaType")
        globes = "/apis/example.portico.dev/v1/globes"
        globe = self.create(globes, {"metadata": {"name": "g"}, "status": {"x": 1}})
        self.assertEqual(globe["status"], {"x": 1})  # no status subresource: part of the object
        self.assertEqual(self.api.get(f"{globes}/g/status").status, 404)
        listed = self.api.get(widgets).body
        self.assertEqual(listed["items"][0]["kind"], "Widget")
        self.assertEqual(self.api.delete("/apis/apiextensions.k8s.io/v1/"
                                         "customresourcedefinitions/widgets.example.portico.dev")
                         .status, 200)
        self.assertEqual(self.api.get(widgets).status, 404)

    def test_pagination_is_a_consistent_snapshot(self):
        for n in range(5):
            self.create(f"{NS}/configmaps", configmap(f"page-{n}", labels={"suite": "page"}))
        first = self.api.get(f"{NS}/configmaps?limit=2&labelSelector=suite%3Dpage").body
        self.create(f"{NS}/configmaps", configmap("page-2b", labels={"suite": "page"}))
        names = [i["metadata"]["name"] for i in first["items"]]
        token = first["metadata"]["continue"]
        while token:
            page = self.api.get(f"{NS}/configmaps?limit=2&labelSelector=suite%3Dpage"
                                f"&continue={token}").body
            self.assertEqual(page["metadata"]["resourceVersion"],
                             first["metadata"]["resourceVersion"])
            names += [i["metadata"]["name"] for i in page["items"]]
            token = page["metadata"].get("continue")
        self.assertEqual(names, [f"page-{n}" for n in range(5)])
        whole = self.api.get(f"{NS}/configmaps?limit=3").body
        self.assertGreater(whole["metadata"]["remainingItemCount"], 0)

    def test_field_and_label_selectors(self):
        self.create(f"{NS}/configmaps", configmap("sel-a", labels={"app": "a", "tier": "x"}))
        self.create(f"{NS}/configmaps", configmap("sel-b", labels={"app": "b"}))
        cases = {"labelSelector=app%3Da": ["sel-a"], "labelSelector=app+in+(a,b)": ["sel-a",
                                                                                     "sel-b"],
                 "labelSelector=app,!tier": ["sel-b"],
                 "fieldSelector=metadata.name%3Dsel-b": ["sel-b"],
                 "fieldSelector=metadata.name!%3Dsel-b&labelSelector=app": ["sel-a"]}
        for query, expected in cases.items():
            items = self.api.get(f"{NS}/configmaps?{query}").body["items"]
            self.assertEqual([i["metadata"]["name"] for i in items], expected, query)
        self.assert_status(self.api.get(f"{NS}/configmaps?labelSelector=a%3D%3D%3Db"), 400,
                           "BadRequest")
        self.assert_status(self.api.get(f"{NS}/configmaps?fieldSelector=spec.x%3D1"), 400,
                           "BadRequest")

    def test_strategic_merge_patch_merges_service_ports_by_port(self):
        service = {"metadata": {"name": "smp"}, "spec": {"ports": [
            {"name": "http", "port": 80}, {"name": "https", "port": 443}]}}
        created = self.create(f"{NS}/services", service)
        self.assertTrue(created["spec"]["clusterIP"].startswith("10.96."))
        patch = {"spec": {"$setElementOrder/ports": [{"port": 443}, {"port": 8080}],
                          "ports": [{"port": 443, "targetPort": 8443},
                                    {"name": "alt", "port": 8080}, {"port": 80,
                                                                    "$patch": "delete"}]}}
        patched = self.api.patch(f"{NS}/services/smp", patch,
                                 "application/strategic-merge-patch+json").body
        ports = [(p.get("name"), p["port"], p["targetPort"]) for p in patched["spec"]["ports"]]
        self.assertEqual(ports, [("https", 443, 8443), ("alt", 8080, 8080)])
        self.assertEqual(patched["spec"]["clusterIP"], created["spec"]["clusterIP"])
        json_patch = [{"op": "replace", "path": "/spec/ports/0/port", "value": 444}]
        patched = self.api.patch(f"{NS}/services/smp", json_patch,
                                 "application/json-patch+json").body
        self.assertEqual(patched["spec"]["ports"][0]["port"], 444)

    def test_a_deleted_namespace_terminates_then_goes_with_its_content(self):
        self.create("/api/v1/namespaces", {"metadata": {"name": "doomed"}})
        self.create("/api/v1/namespaces/doomed/configmaps", configmap("inside"))
        deleted = self.api.delete("/api/v1/namespaces/doomed").body
        self.assertEqual(deleted["status"]["phase"], "Terminating")
        self.assert_status(self.api.post("/api/v1/namespaces/doomed/configmaps",
                                         configmap("late")), 403, "Forbidden")
        wait_until(lambda: self.api.get("/api/v1/namespaces/doomed").status == 404,
                   5 * CONFIG["scale"], "namespace doomed gone")
        self.assertEqual(self.api.get("/api/v1/namespaces/doomed/configmaps/inside").status, 404)
        self.assert_status(self.api.post("/api/v1/namespaces/nowhere/configmaps",
                                         configmap("x")), 404, "NotFound")

    def test_bad_requests_get_a_status_never_a_traceback(self):
        api = self.api
        self.assert_status(api.post(f"{NS}/configmaps", b"{not json"), 400, "BadRequest")
        self.assert_status(api.post(f"{NS}/configmaps", [1, 2]), 400, "BadRequest")
        self.assert_status(api.post(f"{NS}/configmaps", {"kind": "Secret"}), 400, "BadRequest")
        self.assert_status(api.post(f"{NS}/configmaps", {"metadata": {"name": "Bad_Name"}}),
                           422, "Invalid")
        for wrong_type in ({"metadata": {"labels": {"a": 1}, "name": "x"}},
                           {"metadata": {"name": 1}},
                           {"metadata": {"name": "x"}, "data": []}):
            response = api.post(f"{NS}/configmaps", wrong_type)
            self.assert_status(response, 400, "BadRequest")
            self.assertIn("cannot be handled as a ConfigMap: ", response.body["message"])
        self.assert_status(api.post(f"{NS}/services", {"metadata": {"name": "s"},
                                                       "spec": {"ports": True}}),
                           400, "BadRequest")
        self.assert_status(api.post(INGRESSES, {"metadata": {"name": "i"}, "spec": {}}), 422,
                           "Invalid")
        self.assert_status(api.get("/apis/nothing.example/v1/things"), 404, "NotFound")
        self.assert_status(api.get(f"{NS}/configmaps/missing"), 404, "NotFound")
        self.assert_status(api.request("PUT", f"{NS}/configmaps", b"{}"), 405,
                           "MethodNotAllowed")
        self.assert_status(api.patch(f"{NS}/configmaps/missing", {}, "text/plain"), 415,
                           "UnsupportedMediaType")
        self.assert_status(api.get(f"{NS}/configmaps?limit=x"), 400, "BadRequest")
        self.assert_status(api.get(f"{NS}/configmaps?watch=1&resourceVersion=abc"), 400,
                           "BadRequest")
        self.create(f"{NS}/configmaps", configmap("patched"))
        self.assert_status(api.patch(f"{NS}/configmaps/patched", [{"op": "remove",
                                                                   "path": "/nope"}],
                                     "application/json-patch+json"), 422, "Invalid")
        self.assert_status(api.request("GET", "/version", headers={"Content-Length": "x"}),
                           400, "BadRequest")
        self.assert_status(api.request("POST", f"{NS}/configmaps",
                                       headers={"Content-Length": str(1 << 30)}), 413,
                           "RequestEntityTooLarge")
        answer = _raw_exchange(self.server.port, b"NONSENSE\r\n\r\n")
        self.assertIn(b'"kind":"Status"', answer)
        self.assertNotIn(b"Traceback", self.server.process.log_text().encode())


def _read(path):
    with open(path) as text:
        return text.read()


def _raw_exchange(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    return answer


class FaultTest(ServerTestCase):
    def test_drop_watches_cuts_every_open_watch(self):
        rv = self.api.state()["resourceVersion"]
        readers = [self.watch(f"{NS}/configmaps?watch=1&resourceVersion={rv}"),
                   self.watch(f"/apis/networking.k8s.io/v1/ingresses?watch=1&resourceVersion={rv}")]
        self.wait_open_watches(2)
        self.assertEqual(self.api.fault("drop-watches")["dropped"], 2)
        for reader in readers:
            with self.assertRaises(ConnectionError):
                reader.next()
        self.wait_open_watches(0)

    def test_fail_next_requests_then_recover(self):
        self.api.fault("fail-next", count=2, code=500, path="/api/v1/namespaces/default/secrets")
        self.assert_status(self.api.get(f"{NS}/secrets"), 500, "InternalError")
        self.assertEqual(self.api.get(f"{NS}/configmaps").status, 200)  # other paths unaffected
        self.assert_status(self.api.get(f"{NS}/secrets"), 500, "InternalError")
        self.assertEqual(self.api.get(f"{NS}/secrets").status, 200)
        self.api.fault("fail-next", code=429, retryAfter=3, verb="watch")
        self.assertEqual(self.api.get(f"{NS}/secrets").status, 200)  # a list, not a watch
        throttled = self.api.get(f"{NS}/secrets?watch=1&timeoutSeconds=1")
        self.assert_status(throttled, 429, "TooManyRequests")
        self.assertEqual(throttled.headers["Retry-After"], "3")
        self.assertEqual(throttled.body["details"]["retryAfterSeconds"], 3)
        self.assertEqual(self.api.state()["pendingFailures"], [])

    def test_bearer_token_when_required(self):
        self.api.fault("token", b"s3cret")
        self.addCleanup(self.api.fault, "token", b"")
        self.assert_status(self.api.get(f"{NS}/configmaps"), 401, "Unauthorized")
        self.assertEqual(ApiClient(self.server.port, token="s3cret").get(f"{NS}/configmaps")
                         .status, 200)


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.work_dir = tempfile.mkdtemp(prefix="portico-kubeapi-restart-")
        self.processes = ProcessSet(self.work_dir)
        self.processes.__enter__()
        self.addCleanup(shutil.rmtree, self.work_dir, True)
        self.addCleanup(self.processes.stop_all)

    def test_a_restart_keeps_the_state_file_and_watches_resume(self):
        state = os.path.join(self.work_dir, "state.json")
        first = start_kubeapi(self.processes, self.work_dir, "kubeapi-1", state_file=state)
        api = first.client()
        created = api.post(f"{NS}/configmaps", configmap("kept")).body
        rv = int(created["metadata"]["resourceVersion"])
        api.post(f"{NS}/configmaps", configmap("kept-2"))
        first.process.popen.kill()  # SIGKILL: the file was written before each answer
        first.process.popen.wait()
        second = start_kubeapi(self.processes, self.work_dir, "kubeapi-2", port=first.port,
                               state_file=state)
        api = second.client()
        self.assertEqual(api.get(f"{NS}/configmaps/kept").body["metadata"]["uid"],
                         created["metadata"]["uid"])
        reader = second.watch(f"{NS}/configmaps?watch=1&resourceVersion={rv}")
        self.addCleanup(reader.close)
        self.assertEqual(reader.next()["object"]["metadata"]["name"], "kept-2")
        newer = api.post(f"{NS}/configmaps", configmap("after-restart")).body
        self.assertGreater(int(newer["metadata"]["resourceVersion"]), rv + 1)

    def test_without_a_state_file_a_restart_starts_empty(self):
        first = start_kubeapi(self.processes, self.work_dir, "kubeapi-1")
        first.client().post(f"{NS}/configmaps", configmap("lost"))
        self.processes.discard(first.process)
        second = start_kubeapi(self.processes, self.work_dir, "kubeapi-2", port=first.port,
                               extra_args=("--start-resource-version", "1000"))
        self.assertEqual(second.client().get(f"{NS}/configmaps/lost").status, 404)
        self.assertGreater(second.client().state()["resourceVersion"], 1000)


class KubectlTest(ServerTestCase):
    """The real kubectl against the server: what the Kubernetes source's e2e tests do."""

    @classmethod
    def setUpClass(cls):
        if not CONFIG["kubectl"]:
            raise unittest.SkipTest("no kubectl given (--kubectl or KUBECTL)")
        super().setUpClass()
        cls.kubectl = Kubectl(CONFIG["kubectl"], cls.server.kubeconfig,
                              os.path.join(cls.work_dir, "kubectl-cache"))
        cls.manifests = {name: os.path.join(TESTDATA, f"{name}.yaml")
                         for name in ("shop", "shop-middleware")}

    def write(self, name, text):
        path = os.path.join(self.work_dir, name)
        with open(path, "w") as out:
            out.write(text)
        return path

    def test_apply_get_update_and_delete(self):
        kubectl, all_yaml = self.kubectl, self.manifests["shop"]
        out = kubectl.run("apply", "-f", all_yaml).stdout
        for line in ("namespace/shop created", "service/web created",
                     "endpointslice.discovery.k8s.io/web-1 created",
                     "ingress.networking.k8s.io/web created",
                     "customresourcedefinition.apiextensions.k8s.io/middlewares.portico.dev "
                     "created"):
            self.assertIn(line, out)
        kubectl.run("apply", "-f", self.manifests["shop-middleware"])

        table = kubectl.run("get", "-n", "shop", "ingress,service,mw").stdout
        self.assertRegex(table, r"NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE")
        self.assertRegex(table, r"ingress.networking.k8s.io/web\s+portico\s+shop.test")
        self.assertRegex(table, r"service/web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+"
                                r"80/TCP,9000/TCP")
        self.assertRegex(table, r"NAME\s+KIND-OF")
        self.assertRegex(table, r"middleware.portico.dev/strip\s+stripPrefix")
        yaml_text = kubectl.run("get", "-n", "shop", "endpointslice", "web-1", "-o",
                                "yaml").stdout
        self.assertIn("kind: EndpointSlice", yaml_text)
        self.assertIn("- 127.0.0.2", yaml_text)
        listed = kubectl.run("get", "ingresses", "-A", "-o", "json").stdout
        self.assertIn('"host": "shop.test"', listed)

        edited = (_read(all_yaml).replace("targetPort: 8080\n  - name: admin\n    port: 9000\n",
                                        "targetPort: 8081\n")
                  .replace("shop.test", "shop2.test"))
        self.assertNotIn("port: 9000", edited)  # the edit matched the manifest
        out = kubectl.run("apply", "-f", self.write("edited.yaml", edited)).stdout
        self.assertIn("service/web configured", out)
        self.assertIn("ingress.networking.k8s.io/web configured", out)
        self.assertIn("namespace/shop unchanged", out)
        service = self.api.get("/api/v1/namespaces/shop/services/web").body
        self.assertEqual([(p["port"], p["targetPort"]) for p in service["spec"]["ports"]],
                         [(80, 8081)])
        host = self.api.get("/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web").body
        self.assertEqual(host["spec"]["rules"][0]["host"], "shop2.test")
        self.assertEqual(host["metadata"]["generation"], 2)
        out = kubectl.run("apply", "-f", self.write("custom2.yaml", _read(self.manifests["shop-middleware"]).replace(
            "stripPrefix", "addPrefix"))).stdout
        self.assertIn("middleware.portico.dev/strip configured", out)
        custom = self.api.get("/apis/portico.dev/v1alpha1/namespaces/shop/middlewares/strip")
        self.assertEqual(custom.body["spec"]["type"], "addPrefix")

        out = kubectl.run("delete", "-f", self.manifests["shop-middleware"]).stdout
        self.assertIn('middleware.portico.dev "strip" deleted', out)
        out = kubectl.run("delete", "-f", all_yaml).stdout
        self.assertIn('ingress.networking.k8s.io "web" deleted', out)
        self.assertEqual(self.api.get("/api/v1/namespaces/shop").status, 404)
        self.assertEqual(self.api.get("/apis/portico.dev/v1alpha1").status, 404)

    def test_a_throttled_request_is_retried_by_kubectl(self):
        self.api.fault("fail-next", code=429, retryAfter=1, verb="list",
                       path="/api/v1/namespaces/default/configmaps")
        done = self.kubectl.run("get", "configmaps", "-n", "default")
        self.assertEqual(self.api.state()["pendingFailures"], [])
        self.assertEqual(done.returncode, 0)

    def test_kubectl_over_tls_with_a_bearer_token(self):
        secure = start_kubeapi(self.processes, self.work_dir, "kubeapi-tls", tls=True,
                               token="e2e-token")
        self.assert_status(ApiClient(secure.port, ca_file=secure.ca_file).get("/api/v1"),
                           401, "Unauthorized")
        kubectl = Kubectl(CONFIG["kubectl"], secure.kubeconfig,
                          os.path.join(self.work_dir, "tls-cache"))
        self.assertIn("kube-system", kubectl.run("get", "namespaces").stdout)
        self.assertEqual(secure.client().get("/api/v1/namespaces/default").status, 200)

    def test_kubectl_without_aggregated_discovery(self):
        plain = start_kubeapi(self.processes, self.work_dir, "kubeapi-plain",
                              extra_args=("--no-aggregated-discovery",))
        kubectl = Kubectl(CONFIG["kubectl"], plain.kubeconfig,
                          os.path.join(self.work_dir, "plain-cache"))
        kubectl.run("apply", "-f", self.write("ns.yaml", "apiVersion: v1\nkind: Namespace\n"
                                              "metadata:\n  name: plain\n"))
        self.assertIn("plain", kubectl.run("get", "namespaces").stdout)
        self.assertIn("ingresses", kubectl.run("api-resources").stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubectl", default=os.environ.get("KUBECTL"),
                        help="the kubectl binary of the kubectl suite (default: $KUBECTL)")
    parser.add_argument("--suite", choices=("all", "http", "kubectl"), default="all")
    parser.add_argument("--time-scale", type=float,
                        default=float(os.environ.get("PORTICO_E2E_TIME_SCALE", "1")))
    args, rest = parser.parse_known_args()
    CONFIG["kubectl"] = args.kubectl
    CONFIG["scale"] = args.time_scale
    loader = unittest.TestLoader()
    http_cases = (WatchTest, ExpiryTest, ObjectTest, FaultTest, RestartTest)
    cases = {"all": http_cases + (KubectlTest,), "http": http_cases,
             "kubectl": (KubectlTest,)}[args.suite]
    if args.suite == "kubectl" and not args.kubectl:
        parser.error("the kubectl suite needs --kubectl or KUBECTL")
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in cases)
    if args.kubectl:
        print(f"kubectl: {args.kubectl}", flush=True)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
