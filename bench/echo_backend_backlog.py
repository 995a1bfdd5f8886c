#!/usr/bin/env python3
"""e2e/echo_backend.py with a longer listen backlog (PORTICO_ECHO_BACKLOG, default 4096;
the kernel caps it at net.core.somaxconn). Python's socketserver listens with a
backlog of 5: under wrk, a proxy opening connections to a backend newly added to
a Service overflows it, and every dropped SYN costs the client 1 s (3 s for a
second drop), which is the backend's delay, not the proxy's. Used by churn.py."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

import echo_backend  # noqa: E402

echo_backend.EchoServer.request_queue_size = int(os.environ.get("PORTICO_ECHO_BACKLOG", "4096"))

if __name__ == "__main__":
    sys.exit(echo_backend.main(sys.argv[1:]))
