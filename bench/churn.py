#!/usr/bin/env python3
"""Churn under load (issue 7): while wrk drives steady traffic through one proxy to a
route that exists throughout (host steady.test), apply N route and endpoint changes
(default 1 000) to the controller's manifest folder; the steady host must see zero
non-2xx responses and zero socket errors.

    bench/churn.py --bin-dir build/bin --changes 1000 [--workers 1]

Set-up: echo backends on 127.0.0.2..(1+--backends), all on one port and up the
whole run; the real controller on the file source; one proxy. The steady
Service's EndpointSlice always keeps 127.0.0.2 ready; the other backends
rotate in and out of its ready set.

Each change rewrites or removes one file atomically (temp file + rename, or
unlink), drawn from a seeded mix:

- endpoints: the steady slice gets a different ready set (127.0.0.2 plus a
  random subset of the others, never the same set twice in a row); each
  backend left out is either absent, present with ready: false, or present as
  terminating (ready: false, serving: true, terminating: true);
- add-route: a new file with one route for another host (other-K.test), as an
  Ingress or an IngressRoute, alternately;
- remove-route: one of those files is deleted (an add when there is none);
- steady-edit: the steady Ingress gains or loses a second rule (host
  steady-extra.test); the steady.test rule itself stays.

Pacing. By default each change waits until the proxy's applied snapshot
version (portico_proxy_snapshot_info on its admin /metrics) differs from the
one before the write, so every change is a distinct applied version (every
change alters the compiled snapshot: the ready set, the routes, or the steady
Ingress's rules). With --interval-ms N the changes are written every N ms
without waiting instead, and the controller may coalesce several into one
snapshot; the report then counts the applies seen.

wrk (-t1 -c32 by default, --timeout 2s) runs with a Lua script that sets the
Host header and counts responses per status in a response() hook; it is
stopped with SIGINT --tail-s after the last change has been applied, and
prints its summary. Exit status 1 if any response was not 2xx or wrk saw any
socket error (connect, read, write, timeout), if a change was not applied
within --apply-timeout-s or rejected by the proxy, or if at the end an other
route whose file remains does not answer 200 (or a removed one not 404).

The echo backends listen with a backlog of 4096 (Python's socketserver
default is 5): with 5, the SYNs the proxy sends to a backend that just joined
the slice overflow its accept queue, each drop costs 1 s (3 s for two, past
wrk's 2 s timeout), and the latency tail is the backend's. The report prints
the machine's TcpExt ListenDrops while wrk ran. --self-check empties the
steady slice for one change: that run must fail (it did: 503s, exit 1).
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from lib import manifests as k8s  # noqa: E402
from lib.http_client import HTTP_ERRORS, HttpClient  # noqa: E402
from lib.manifests import ManifestDir  # noqa: E402
from lib.metrics import find_samples, parse_samples  # noqa: E402
from lib.polling import wait_until  # noqa: E402
from lib.processes import ProcessSet  # noqa: E402
from lib.stack import Launcher  # noqa: E402

STEADY_HOST = "steady.test"
STEADY_ADDRESS = "127.0.0.2"  # in the steady slice as ready from start to end

# Sets the Host header, counts responses per status in each thread, and prints
# one machine-readable line per status and one for wrk's error counters.
WRK_SCRIPT = """\
wrk.headers["Host"] = "%(host)s"
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("CHURN status %%d %%d\\n", status, count))
  end
  local e = summary.errors
  io.write(string.format(
    "CHURN summary requests=%%d duration_us=%%d connect=%%d read=%%d write=%%d timeout=%%d status=%%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status))
  io.write(string.format("CHURN latency p50_us=%%d p99_us=%%d max_us=%%d\\n",
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def steady_ingress(extra_rule):
    rules = [k8s.rule(STEADY_HOST, k8s.path("/", "steady"))]
    if extra_rule:
        rules.append(k8s.rule("steady-extra.test", k8s.path("/", "other")))
    return k8s.ingress("steady", *rules)


def steady_slice(ready, not_ready, terminating, port):
    """The steady Service's slice: ready endpoints, ready: false ones, and terminating
    ones (ready: false, serving: true, terminating: true)."""
    doc = k8s.endpoint_slice("steady", sorted(ready), port, not_ready=sorted(not_ready))
    doc["endpoints"] += [
        {"addresses": [a], "conditions": {"ready": False, "serving": True, "terminating": True}}
        for a in sorted(terminating)
    ]
    return doc


class Churn:
    """The state of the manifest folder and the next change to make to it."""

    def __init__(self, manifests, rotating, port, seed, max_other_routes, outage_at=None):
        self.manifests = manifests
        self.rotating = rotating
        self.port = port
        self.rng = random.Random(seed)
        self.max_other_routes = max_other_routes
        self.ready = set(rotating[:2])  # with STEADY_ADDRESS: 3 ready endpoints to start
        self.other_routes = []  # file names, oldest first
        self.next_route = 0
        self.extra_rule = False
        self.kinds = {}
        self.outage_at = outage_at
        self.made = 0

    def write_initial(self):
        self.manifests.write("steady-service.yaml", k8s.service("steady", port=80))
        self._write_slice(set(), set())
        self.manifests.write("steady-ingress.yaml", steady_ingress(self.extra_rule))
        self.manifests.write("other.yaml", k8s.service("other", port=80),
                             k8s.endpoint_slice("other", [STEADY_ADDRESS], self.port))

    def _write_slice(self, not_ready, terminating):
        return self.manifests.write(
            "steady-slice.yaml",
            steady_slice({STEADY_ADDRESS} | self.ready, not_ready, terminating, self.port))

    def apply_one(self):
        """Makes one change; returns its kind."""
        self.made += 1
        if self.made - 1 == self.outage_at:
            # --self-check: the steady slice without any endpoint, on purpose.
            self.manifests.write("steady-slice.yaml", steady_slice(set(), set(), set(), self.port))
            self.kinds["outage"] = 1
            return "outage"
        draw = self.rng.random()
        if draw < 0.5:
            kind = "endpoints"
        elif draw < 0.7:
            kind = "add-route"
        elif draw < 0.9:
            kind = "remove-route"
        else:
            kind = "steady-edit"
        if kind == "remove-route" and not self.other_routes:
            kind = "add-route"
        if kind == "add-route" and len(self.other_routes) >= self.max_other_routes:
            kind = "remove-route"
        getattr(self, "_" + kind.replace("-", "_"))()
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        return kind

    def _endpoints(self):
        while True:
            ready = {a for a in self.rotating if self.rng.random() < 0.5}
            if ready != self.ready:
                break
        self.ready = ready
        not_ready, terminating = set(), set()
        for address in self.rotating:
            if address in ready:
                continue
            fate = self.rng.randrange(3)
            if fate == 1:
                not_ready.add(address)
            elif fate == 2:
                terminating.add(address)
        self._write_slice(not_ready, terminating)

    def _add_route(self):
        n = self.next_route
        self.next_route += 1
        name = f"other-{n:04d}.yaml"
        host = f"other-{n}.test"
        if n % 2 == 0:
            doc = k8s.ingress(f"other-{n}", k8s.rule(host, k8s.path("/", "other")))
        else:
            doc = k8s.ingress_route(f"other-{n}", host, "other")
        self.manifests.write(name, doc)
        self.other_routes.append(name)

    def _remove_route(self):
        name = self.other_routes.pop(self.rng.randrange(len(self.other_routes)))
        self.manifests.remove(name)

    def _steady_edit(self):
        self.extra_rule = not self.extra_rule
        self.manifests.write("steady-ingress.yaml", steady_ingress(self.extra_rule))


def proxy_counters(proxy):
    samples = parse_samples(proxy.admin_get("/metrics").body)
    out = {}
    for name in ("portico_proxy_snapshot_applies_total",
                 "portico_proxy_snapshot_endpoint_only_applies_total",
                 "portico_proxy_snapshot_rejections_total"):
        found = find_samples(samples, name)
        out[name] = int(found[0][1]) if found else 0
    info = find_samples(samples, "portico_proxy_snapshot_info")
    out["version"] = info[0][0].get("version") if info else None
    return out


def listen_drops():
    """TcpExt ListenDrops from /proc/net/netstat: SYNs dropped by full accept queues,
    on the whole machine (each costs its client a 1 s retransmission), or None."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:]))
            return int(table["ListenDrops"]) if "ListenDrops" in table else None
    return None


def parse_wrk(text):
    statuses = {int(s): int(c) for s, c in re.findall(r"^CHURN status (\d+) (\d+)$", text, re.M)}
    summary = re.search(r"^CHURN summary (.*)$", text, re.M)
    latency = re.search(r"^CHURN latency (.*)$", text, re.M)
    if summary is None:
        raise SystemExit("wrk printed no summary:\n" + text)
    fields = dict(kv.split("=") for kv in summary.group(1).split())
    fields = {k: int(v) for k, v in fields.items()}
    lat = {k: int(v) for k, v in (kv.split("=") for kv in latency.group(1).split())} \
        if latency else {}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return statuses, fields, lat, int(non2xx.group(1)) if non2xx else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default="build/bin")
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backends", type=int, default=5,
                        help="echo backends on 127.0.0.2.. (the first stays ready throughout)")
    parser.add_argument("--max-other-routes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--interval-ms", type=float, default=0,
                        help="write a change every N ms without waiting for it (0: wait for each)")
    parser.add_argument("--apply-timeout-s", type=float, default=10.0)
    parser.add_argument("--wrk", default="wrk")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--wrk-connections", type=int, default=32)
    parser.add_argument("--wrk-timeout", default="2s")
    parser.add_argument("--warmup-s", type=float, default=1.0,
                        help="traffic before the first change")
    parser.add_argument("--tail-s", type=float, default=1.0,
                        help="traffic after the last change was applied")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--self-check", action="store_true",
                        help="make the middle change empty the steady slice: the run must fail")
    args = parser.parse_args()
    if args.backends < 2:
        parser.error("--backends must be at least 2")
    work = tempfile.mkdtemp(prefix="portico-churn-")
    failed = False
    try:
        with ProcessSet(work) as processes:
            launcher = Launcher(processes, os.path.join(args.bin_dir, "portico-controller"),
                                os.path.join(args.bin_dir, "portico-proxy"))
            addresses = [f"127.0.0.{2 + i}" for i in range(args.backends)]
            backends = launcher.echo_backends_on_one_port(addresses)
            port = backends[0].port
            manifests = ManifestDir(os.path.join(work, "manifests"))
            churn = Churn(manifests, addresses[1:], port, args.seed, args.max_other_routes,
                          outage_at=args.changes // 2 if args.self_check else None)
            churn.write_initial()
            controller = launcher.controller(manifests.path)
            proxy = launcher.proxy(controller, workers=args.workers)
            client = HttpClient("127.0.0.1", proxy.web_port, timeout_s=2.0)
            wait_until(lambda: client.get("/", host=STEADY_HOST).status == 200, 20,
                       f"{STEADY_HOST} served", retry_on=HTTP_ERRORS)
            client.close()

            script = os.path.join(work, "churn.lua")
            with open(script, "w") as out:
                out.write(WRK_SCRIPT % {"host": STEADY_HOST})
            drops_before = listen_drops()
            baseline = proxy_requests(proxy)
            wrk = processes.start("wrk", [
                args.wrk, f"-t{args.wrk_threads}", f"-c{args.wrk_connections}", "-d3600s",
                f"--timeout={args.wrk_timeout}", "--latency", "-s", script,
                f"http://127.0.0.1:{proxy.web_port}/"])
            wait_until(lambda: proxy_requests(proxy) > baseline or wrk.returncode() is not None, 10,
                       "wrk's first requests")
            if wrk.returncode() is not None:
                raise SystemExit("wrk exited at once:\n" + wrk.log_text())
            time.sleep(args.warmup_s)  # traffic before the churn, by design (not a wait)

            before = proxy_counters(proxy)
            started = time.monotonic()
            apply_ms = []
            not_applied = 0
            for n in range(args.changes):
                version = proxy.snapshot_version()
                written_at = time.monotonic()
                churn.apply_one()
                if wrk.returncode() is not None:
                    raise SystemExit(f"wrk exited during the churn:\n{wrk.log_text()}")
                if args.interval_ms > 0:
                    next_at = started + (n + 1) * args.interval_ms / 1000
                    time.sleep(max(0.0, next_at - time.monotonic()))  # the fixed pace
                    continue
                while proxy.snapshot_version() == version:
                    if time.monotonic() - written_at > args.apply_timeout_s:
                        not_applied += 1
                        print(f"change {n} ({churn.kinds}) not applied within "
                              f"{args.apply_timeout_s} s", file=sys.stderr, flush=True)
                        break
                    time.sleep(0.001)
                else:
                    apply_ms.append((time.monotonic() - written_at) * 1000)
            churn_s = time.monotonic() - started
            time.sleep(args.tail_s)  # traffic after the churn, by design (not a wait)
            after = proxy_counters(proxy)
            final_state_errors = [] if args.interval_ms > 0 else check_final_state(proxy, churn)

            wrk.popen.send_signal(signal.SIGINT)
            try:
                wrk.popen.wait(30)
            except subprocess.TimeoutExpired:
                raise SystemExit("wrk did not stop within 30 s of SIGINT")
            drops_after = listen_drops()
            text = wrk.log_text()
            statuses, fields, latency, non2xx_wrk = parse_wrk(text)

            applies = after["portico_proxy_snapshot_applies_total"] - \
                before["portico_proxy_snapshot_applies_total"]
            endpoint_only = after["portico_proxy_snapshot_endpoint_only_applies_total"] - \
                before["portico_proxy_snapshot_endpoint_only_applies_total"]
            rejections = after["portico_proxy_snapshot_rejections_total"] - \
                before["portico_proxy_snapshot_rejections_total"]
            non2xx = sum(c for s, c in statuses.items() if not 200 <= s < 300)
            socket_errors = sum(fields[k] for k in ("connect", "read", "write", "timeout"))
            seconds = fields["duration_us"] / 1e6

            pace = (f"every {args.interval_ms:g} ms, not waiting" if args.interval_ms > 0
                    else "each waited for until applied")
            print(f"changes written: {args.changes} ({pace}); kinds: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(churn.kinds.items())))
            print(f"proxy applies during the churn: {applies} "
                  f"({endpoint_only} endpoint-only, {rejections} rejected); "
                  f"changes not applied in time: {not_applied}")
            if apply_ms:
                ordered = sorted(apply_ms)
                print(f"write-to-applied: p50 {ordered[len(ordered) // 2]:.1f} ms, "
                      f"p99 {ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]:.1f} ms, "
                      f"max {ordered[-1]:.1f} ms")
            print(f"churn elapsed: {churn_s:.2f} s; wrk ran {seconds:.2f} s "
                  f"(warm-up {args.warmup_s:g} s, tail {args.tail_s:g} s)")
            print(f"wrk: {fields['requests']} requests ({fields['requests'] / seconds:.0f}/s), "
                  f"p50 {latency.get('p50_us', 0) / 1000:.2f} ms, "
                  f"p99 {latency.get('p99_us', 0) / 1000:.2f} ms, "
                  f"max {latency.get('max_us', 0) / 1000:.2f} ms")
            print("statuses: " + ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items())))
            print(f"non-2xx: {non2xx} (wrk's 'Non-2xx or 3xx': {non2xx_wrk}); socket errors: "
                  f"{socket_errors} (connect {fields['connect']}, read {fields['read']}, "
                  f"write {fields['write']}, timeout {fields['timeout']})")
            if drops_before is not None and drops_after is not None:
                print(f"SYNs dropped by full listen queues while wrk ran (TcpExt ListenDrops, "
                      f"whole machine): {drops_after - drops_before}")
            for problem in final_state_errors:
                print(f"final state: {problem}")
            failed = final_state_errors or non2xx > 0 or socket_errors > 0 or not_applied > 0 or rejections > 0
            if failed:
                print(f"FAIL; logs in {work}", flush=True)
                args.keep = True
                processes.print_log_tails(20)
            else:
                print("OK: no non-2xx response and no socket error")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def check_final_state(proxy, churn):
    """After the churn the proxy serves exactly the other routes whose files remain
    (an Ingress or IngressRoute each): 200 for those, 404 for the removed ones.
    Returns the mismatches (only with waiting for each change: with --interval-ms the
    last changes may still be on their way)."""
    client = HttpClient("127.0.0.1", proxy.web_port, timeout_s=2.0)
    problems = []
    remaining = set(churn.other_routes)
    for n in range(churn.next_route):
        expected = 200 if f"other-{n:04d}.yaml" in remaining else 404
        status = client.get("/", host=f"other-{n}.test").status
        if status != expected:
            problems.append(f"other-{n}.test answered {status}, expected {expected}")
    client.close()
    return problems


def proxy_requests(proxy):
    samples = parse_samples(proxy.admin_get("/metrics").body)
    return sum(v for _, v in find_samples(samples, "portico_proxy_requests_total"))


if __name__ == "__main__":
    sys.exit(main())
