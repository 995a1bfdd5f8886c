#!/usr/bin/env python3
"""Route propagation with many routes loaded (issue 7): the real controller
(file source) and one proxy hold R Ingress routes to one echo backend; each
round adds one new Ingress file and times from the file's rename until the
proxy answers 200 for its host (polled every millisecond). Also times an
endpoint-only change (the backend's EndpointSlice gains an address) until the
proxy's applied version changes. The first new route after the load is
timed apart (it meets the background release of the initial compile).
Rounds are --gap-ms apart (default 100 ms, beyond the controller's 20 ms
debounce window), so that each change is an isolated one, which is what
issue 7's target is about; --gap-ms 0 fires them back to back, where a
change may meet the debounce of the one before (a burst, by design).
Prints p50/p90/p99/max, and the CPU time
the controller and the proxy spent per change (from /proc: steadier than
wall time on a shared machine).

    bench/propagation.py --bin-dir build/bin --routes 10000 --rounds 30
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from lib import manifests as k8s  # noqa: E402
from lib.http_client import HTTP_ERRORS, HttpClient  # noqa: E402
from lib.manifests import ManifestDir  # noqa: E402
from lib.polling import wait_until  # noqa: E402
from lib.processes import ProcessSet  # noqa: E402
from lib.stack import Launcher  # noqa: E402


def ingress_doc(name, host):
    return k8s.ingress(name, k8s.rule(host, k8s.path("/", "app")))


def cpu_seconds(pid):
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU milliseconds per change of each named process over a series."""

    def __init__(self, pids):
        self.pids = pids
        self.start = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def report(self, label, changes):
        parts = [f"{name} {1000 * (cpu_seconds(pid) - self.start[name]) / changes:.1f} ms"
                 for name, pid in self.pids.items()]
        return f"{label}: CPU per change: " + ", ".join(parts)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(label, seconds):
    ms = [s * 1000 for s in seconds]
    return (f"{label}: n={len(ms)} p50 {percentile(ms, 50):.1f} ms, p90 {percentile(ms, 90):.1f} ms, "
            f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms (round {ms.index(max(ms))}), "
            f"mean {statistics.mean(ms):.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default="build/bin")
    parser.add_argument("--routes", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-file", type=int, default=1000)
    parser.add_argument("--gap-ms", type=float, default=100.0,
                        help="pause before each change (isolated changes)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="portico-propagation-")
    try:
        with ProcessSet(work) as processes:
            launcher = Launcher(processes, os.path.join(args.bin_dir, "portico-controller"),
                                os.path.join(args.bin_dir, "portico-proxy"))
            manifests = ManifestDir(os.path.join(work, "manifests"))
            backend = launcher.echo_backend("backend-2", "127.0.0.2")
            manifests.write("app.yaml", k8s.service("app", port=80),
                            k8s.endpoint_slice("app", ["127.0.0.2"], backend.port))
            for start in range(0, args.routes, args.per_file):
                docs = [ingress_doc(f"r{i}", f"r{i}.bench.test")
                        for i in range(start, min(args.routes, start + args.per_file))]
                manifests.write(f"routes-{start:06d}.yaml", *docs)
            controller = launcher.controller(manifests.path)
            proxy = launcher.proxy(controller, workers=1)
            client = HttpClient("127.0.0.1", proxy.web_port, timeout_s=2.0)

            def status(host):
                try:
                    return client.get("/", host=host).status
                except HTTP_ERRORS:
                    client.close()
                    return None

            loaded = time.monotonic()
            last = f"r{args.routes - 1}.bench.test"
            wait_until(lambda: status(last) == 200, 120, f"{last} served")
            print(f"{args.routes} routes served {time.monotonic() - loaded:.2f} s after start",
                  flush=True)

            pids = {"controller": controller.process.pid, "proxy": proxy.process.pid}

            def add_route(name):
                host = f"{name}.bench.test"
                time.sleep(args.gap_ms / 1000)  # spacing the changes, not waiting for one
                changed_at = manifests.write(f"{name}.yaml", ingress_doc(name, host))
                while status(host) != 200:
                    if time.monotonic() - changed_at > 30:
                        raise SystemExit(f"{host} not served within 30 s")
                    time.sleep(0.001)
                return time.monotonic() - changed_at

            # The first change after the initial load is reported apart: it
            # meets the background release of the initial decode and compile.
            first = add_route("warmup")
            print(f"first new route after the load: {1000 * first:.1f} ms", flush=True)
            adds = []
            meter = CpuMeter(pids)
            for n in range(args.rounds):
                adds.append(add_route(f"p{n}"))

            add_cpu = meter.report(f"new route, {args.routes} loaded", args.rounds)
            endpoint_changes = []
            addresses = ["127.0.0.2"]
            meter = CpuMeter(pids)
            for n in range(args.rounds):
                before = proxy.snapshot_version()
                addresses.append(f"127.0.1.{n + 1}")
                time.sleep(args.gap_ms / 1000)
                changed_at = manifests.write(
                    "app.yaml", k8s.service("app", port=80),
                    k8s.endpoint_slice("app", addresses, backend.port))
                while proxy.snapshot_version() == before:
                    if time.monotonic() - changed_at > 30:
                        raise SystemExit("endpoint change not applied within 30 s")
                    time.sleep(0.001)
                endpoint_changes.append(time.monotonic() - changed_at)
            endpoint_cpu = meter.report(f"endpoint change, {args.routes} loaded", args.rounds)
            client.close()
            print(summary(f"new route, {args.routes} loaded", adds))
            print(add_cpu)
            print(summary(f"endpoint change, {args.routes} loaded", endpoint_changes))
            print(endpoint_cpu)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
