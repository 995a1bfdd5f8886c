#!/usr/bin/env python3
"""examples/quickstart/ compiles into the routes its comments and `make run` promise.

Starts the real controller on the folder (ports 0) and reads /snapshot; no
traffic, because the quickstart's endpoints are the demo's fixed ports.

    e2e/test_quickstart.py --controller build/bin/portico-controller
"""

import argparse
import os
import sys
import tempfile
import unittest

from lib.processes import ProcessSet
from lib.stack import Launcher

QUICKSTART = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "examples", "quickstart")

# In match order: host, path kind, path, cluster.
EXPECTED_ROUTES = [
    ("whoami.localhost", "PREFIX", "/api", "default/api:http"),
    ("whoami.localhost", "PREFIX", "/", "default/whoami:http"),
    ("", "PREFIX", "/", "default/fallback:http"),
]
EXPECTED_ENDPOINTS = {
    "default/api:http": ["127.0.0.2:8082"],
    "default/fallback:http": ["127.0.0.3:8082"],
    "default/whoami:http": ["127.0.0.2:8081", "127.0.0.3:8081"],
}


class QuickstartTest(unittest.TestCase):
    controller_binary = None

    @classmethod
    def setUpClass(cls):
        cls.log_dir = tempfile.TemporaryDirectory(prefix="portico-quickstart-test-")
        cls.processes = ProcessSet(cls.log_dir.name)
        cls.processes.__enter__()
        cls.controller = Launcher(cls.processes, cls.controller_binary).controller(QUICKSTART)
        cls.snapshot = cls.controller.snapshot()

    @classmethod
    def tearDownClass(cls):
        cls.processes.stop_all()
        cls.log_dir.cleanup()

    def test_routes_in_match_order(self):
        routes = [(r.get("host", ""), r["path"].get("kind", "PREFIX"), r["path"]["path"],
                   r.get("cluster", "")) for r in self.snapshot["routes"]]
        self.assertEqual(routes, EXPECTED_ROUTES)

    def test_cluster_endpoints(self):
        endpoints = {c["name"]: sorted(f"{e['address']}:{e['port']}" for e in c.get("endpoints", []))
                     for c in self.snapshot["clusters"]}
        self.assertEqual(endpoints, EXPECTED_ENDPOINTS)

    def test_no_manifest_is_reported(self):
        complaints = [line for line in self.controller.process.log_text().splitlines()
                      if ".yaml" in line]
        self.assertEqual(complaints, [], "the controller reported problems in examples/quickstart")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--controller", default="build/bin/portico-controller")
    args, unittest_args = parser.parse_known_args()
    QuickstartTest.controller_binary = args.controller
    unittest.main(argv=sys.argv[:1] + ["-v"] + unittest_args)


if __name__ == "__main__":
    main()
