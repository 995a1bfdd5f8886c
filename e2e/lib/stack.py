"""Starting the pieces of a Portico setup as child processes: echo backends, controller, proxy.

Every piece listens on port 0 and the test reads the bound port from its log.
"""

import json
import os
import sys
from dataclasses import dataclass

from .http_client import HTTP_ERRORS, get_once
from .metrics import find_samples, parse_samples
from .polling import wait_until
from .processes import ManagedProcess, ProcessExited, ProcessSet

ECHO_BACKEND = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "echo_backend.py")


@dataclass
class EchoBackend:
    name: str
    host: str
    port: int
    process: ManagedProcess


@dataclass
class Controller:
    process: ManagedProcess
    grpc_port: int
    admin_port: int

    @property
    def grpc_address(self):
        return f"127.0.0.1:{self.grpc_port}"

    def admin_get(self, path, timeout_s=2.0):
        return get_once("127.0.0.1", self.admin_port, path, timeout_s=timeout_s)

    def snapshot(self):
        """The controller's current snapshot, parsed from /snapshot."""
        response = self.admin_get("/snapshot")
        if response.status != 200:
            raise AssertionError(f"controller /snapshot answered {response.status}: {response.body}")
        return json.loads(response.body)


@dataclass
class Proxy:
    process: ManagedProcess
    web_port: int
    admin_port: int

    def admin_get(self, path, timeout_s=2.0):
        return get_once("127.0.0.1", self.admin_port, path, timeout_s=timeout_s)

    def snapshot_version(self):
        """The version of the snapshot the proxy applied (from /metrics), or None."""
        samples = find_samples(parse_samples(self.admin_get("/metrics").body),
                               "portico_proxy_snapshot_info")
        return samples[0][0].get("version") if samples else None

    def wait_ready(self, timeout_s):
        return wait_until(lambda: self.admin_get("/ready").status == 200, timeout_s,
                          "proxy /ready to answer 200", retry_on=HTTP_ERRORS)


class Launcher:
    """Starts echo backends, controllers and proxies into one ProcessSet; each listens
    on port 0 unless told otherwise, and is returned once its ports are known."""

    def __init__(self, processes: ProcessSet, controller_bin=None, proxy_bin=None,
                 log_level="info", timeout_s=10.0):
        self.processes = processes
        self.controller_bin = controller_bin
        self.proxy_bin = proxy_bin
        self.log_level = log_level
        self.timeout_s = timeout_s

    def echo_backend(self, name, host, port=0, extra_args=()):
        process = self.processes.start(name, [sys.executable, ECHO_BACKEND,
                                              "--listen", f"{host}:{port}", "--name", name,
                                              *extra_args])
        bound_host, bound_port = process.wait_for_listening("listening on ", self.timeout_s)
        return EchoBackend(name, bound_host, bound_port, process)

    def echo_backends_on_one_port(self, hosts, attempts=5):
        """Echo backends named backend-<last octet>, one per host, all on the same free port.

        The first binds port 0; the others take its port, which another process
        may hold on their address: then they are all stopped and it starts over.
        """
        for _ in range(attempts):
            first = self.echo_backend(_backend_name(hosts[0]), hosts[0])
            started = [first]
            try:
                for host in hosts[1:]:
                    started.append(self.echo_backend(_backend_name(host), host, first.port))
                return started
            except ProcessExited:
                for backend in started:
                    self.processes.discard(backend.process)
        raise AssertionError(f"no port was free on all of {hosts} in {attempts} attempts")

    def controller(self, manifest_dir, grpc_port=0, name="controller", extra_args=()):
        process = self.processes.start(name, [
            self.controller_bin, f"--source=file:{manifest_dir}",
            f"--grpc-listen=127.0.0.1:{grpc_port}", "--grpc-insecure",
            "--admin-listen=127.0.0.1:0", f"--log-level={self.log_level}", *extra_args,
        ])
        _, grpc_port = process.wait_for_listening("controller: grpc listening on ", self.timeout_s)
        _, admin_port = process.wait_for_listening("controller: admin listening on ",
                                                   self.timeout_s)
        return Controller(process, grpc_port, admin_port)

    def proxy(self, controller: Controller, workers, name="proxy", extra_args=()):
        process = self.processes.start(name, [
            self.proxy_bin, f"--controller={controller.grpc_address}", "--grpc-insecure",
            "--entrypoint=web=127.0.0.1:0", "--admin-listen=127.0.0.1:0", f"--workers={workers}",
            f"--log-level={self.log_level}", *extra_args,
        ])
        _, web_port = process.wait_for_listening("proxy: entrypoint web listening on ",
                                                 self.timeout_s)
        _, admin_port = process.wait_for_listening("proxy: admin listening on ", self.timeout_s)
        return Proxy(process, web_port, admin_port)


def _backend_name(host):
    return "backend-" + host.rsplit(".", 1)[-1]
