#!/usr/bin/env python3
"""Tests of e2e/echo_backend.py, which the other e2e tests and the demo rely on."""

import socket
import sys
import tempfile
import unittest

from lib.http_client import HttpClient
from lib.processes import ProcessExited, ProcessSet
from lib.stack import Launcher


class EchoBackendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.log_dir = tempfile.TemporaryDirectory(prefix="portico-echo-test-")
        cls.processes = ProcessSet(cls.log_dir.name)
        cls.processes.__enter__()
        cls.launcher = Launcher(cls.processes)
        cls.backend = cls.launcher.echo_backend("echo", "127.0.0.1")

    @classmethod
    def tearDownClass(cls):
        cls.processes.stop_all()
        cls.log_dir.cleanup()

    def setUp(self):
        self.client = HttpClient("127.0.0.1", self.backend.port)
        self.addCleanup(self.client.close)

    def raw_exchange(self, request_bytes):
        with socket.create_connection(("127.0.0.1", self.backend.port), timeout=2) as conn:
            conn.sendall(request_bytes)
            answer = b""
            while b"request-on-connection:" not in answer or not answer.endswith(b"\n"):
                data = conn.recv(4096)
                if not data:
                    break
                answer += data
        return answer.decode()

    def test_get_describes_the_request(self):
        response = self.client.get("/some/path?q=1", host="app.test")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.backend, "echo")
        lines = response.body.splitlines()
        self.assertEqual(lines[:3], ["name: echo", "method: GET", "path: /some/path?q=1"])
        self.assertIn("header: Host: app.test", lines)
        self.assertEqual(lines[-2:], ["body-bytes: 0", "request-on-connection: 1"])

    def test_connection_is_kept_alive_and_its_requests_counted(self):
        for n in range(1, 4):
            response = self.client.get("/")
            self.assertTrue(response.body.endswith(f"request-on-connection: {n}\n"), response.body)
        self.assertEqual(self.client.connections_opened, 1)

    def test_content_length_body_is_counted(self):
        response = self.client.request("POST", "/upload", body=b"x" * 100_000)
        self.assertIn("method: POST", response.body)
        self.assertIn("body-bytes: 100000\n", response.body)
        self.assertEqual(self.client.get("/after").status, 200)  # same connection still in sync

    def test_chunked_body_is_counted(self):
        answer = self.raw_exchange(
            b"PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
        self.assertTrue(answer.startswith("HTTP/1.1 200 "), answer)
        self.assertIn("body-bytes: 11\n", answer)

    def test_head_has_length_but_no_body(self):
        response = self.client.request("HEAD", "/h")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, "")
        self.assertGreater(int(response.headers["Content-Length"]), 0)

    def test_any_method_is_answered(self):
        for method in ("OPTIONS", "PATCH", "DELETE", "PURGE"):
            response = self.client.request(method, "/m")
            self.assertEqual(response.status, 200, method)
            self.assertIn(f"method: {method}\n", response.body)

    def test_taken_address_exits_with_a_message(self):
        with self.assertRaises(ProcessExited):
            self.launcher.echo_backend("echo-clash", "127.0.0.1", self.backend.port)
        clash = self.processes.processes[-1]
        self.assertEqual(clash.returncode(), 2)
        self.assertIn(f"cannot listen on 127.0.0.1:{self.backend.port}", clash.log_text())

    def test_sigterm_exits_zero_with_a_connection_open(self):
        backend = self.launcher.echo_backend("echo-stop", "127.0.0.1")
        client = HttpClient("127.0.0.1", backend.port)
        self.assertEqual(client.get("/").status, 200)
        self.assertEqual(backend.process.stop(timeout_s=5), 0)
        self.assertFalse(backend.process.killed)
        client.close()


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1] + ["-v"] + sys.argv[1:])
