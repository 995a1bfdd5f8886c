#!/usr/bin/env python3
"""The controller ⇄ proxy channel over mutual TLS (--grpc-cert, --grpc-key,
--grpc-ca on both sides): a proxy with a certificate from the CA gets its
snapshot and serves; one whose certificate another CA signed is refused; a
proxy that expects another controller name refuses the controller; a
certificate whose key does not match stops the controller at start with a
precise error. Certificates are made at test time with the openssl CLI.

    e2e/test_channel_tls.py --bin-dir build/bin
"""

import os
import shutil
import subprocess
import sys
import time

from lib import manifests as k8s
from lib.http_client import HTTP_ERRORS, get_once
from lib.pki import Pki
from lib.polling import wait_until
from lib.scenario import run_scenario
from lib.stack import Controller, Proxy

SERVER_NAME = "controller.portico.test"


def run(launcher, manifests, scale, runner):
    pki = Pki(os.path.join(os.path.dirname(manifests.path), "pki"), "portico")
    rogue = Pki(os.path.join(os.path.dirname(manifests.path), "rogue"), "rogue")
    controller_crt, controller_key = pki.issue("controller", SERVER_NAME)
    proxy_crt, proxy_key = pki.issue("proxy", "proxy.portico.test")
    rogue_crt, rogue_key = rogue.issue("rogue-proxy", "proxy.portico.test")

    backend = launcher.echo_backend("backend-2", "127.0.0.2")
    manifests.write("app.yaml", k8s.service("app", port=80),
                    k8s.endpoint_slice("app", ["127.0.0.2"], backend.port),
                    k8s.ingress("app", k8s.rule("app.test", k8s.path("/", "app"))))
    # The controller's files are copies the rotation check replaces.
    live_crt, live_key = (os.path.join(pki.folder, "live-controller" + ext)
                          for ext in (".crt", ".key"))
    shutil.copyfile(controller_crt, live_crt)
    shutil.copyfile(controller_key, live_key)
    tls_args = [f"--grpc-cert={live_crt}", f"--grpc-key={live_key}",
                f"--grpc-ca={pki.ca_crt}", "--grpc-cert-refresh=1s"]
    process = launcher.processes.start("controller", [
        launcher.controller_bin, f"--source=file:{manifests.path}", "--grpc-listen=127.0.0.1:0",
        "--admin-listen=127.0.0.1:0", *tls_args])
    _, grpc_port = process.wait_for_listening("controller: grpc listening on ", 10 * scale)
    _, admin_port = process.wait_for_listening("controller: admin listening on ", 10 * scale)
    controller = Controller(process, grpc_port, admin_port)

    def start_proxy(name, crt, key, server_name=SERVER_NAME):
        p = launcher.processes.start(name, [
            launcher.proxy_bin, f"--controller={controller.grpc_address}",
            f"--grpc-cert={crt}", f"--grpc-key={key}", f"--grpc-ca={pki.ca_crt}",
            f"--grpc-server-name={server_name}", "--entrypoint=web=127.0.0.1:0",
            "--admin-listen=127.0.0.1:0", "--workers=1"])
        _, web = p.wait_for_listening("proxy: entrypoint web listening on ", 10 * scale)
        _, admin = p.wait_for_listening("proxy: admin listening on ", 10 * scale)
        return Proxy(p, web, admin)

    def check_trusted_proxy():
        proxy = start_proxy("proxy", proxy_crt, proxy_key)
        proxy.wait_ready(10 * scale)

        def served():
            try:
                return get_once("127.0.0.1", proxy.web_port, "/", "app.test").status == 200
            except HTTP_ERRORS:
                return False
        wait_until(served, 5 * scale, "app.test served through the TLS channel")
        return "connected over mutual TLS, snapshot applied, traffic served"

    def check_rogue_proxy_refused():
        proxy = start_proxy("rogue-proxy", rogue_crt, rogue_key)
        time.sleep(1.0 * scale)  # long enough for several connection attempts
        assert proxy.admin_get("/ready").status == 503, "a rogue proxy got a snapshot"
        assert "connected to controller" not in proxy.process.log_text()
        return "a certificate from another CA gets nothing"

    def check_wrong_controller_name():
        proxy = start_proxy("picky-proxy", proxy_crt, proxy_key, server_name="other.portico.test")
        time.sleep(1.0 * scale)
        assert proxy.admin_get("/ready").status == 503, "the proxy accepted a misnamed controller"
        return "a controller without the expected name is not trusted"

    def check_mismatched_key_refused():
        bad = launcher.processes.start("bad-controller", [
            launcher.controller_bin, f"--source=file:{manifests.path}",
            "--grpc-listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0",
            f"--grpc-cert={controller_crt}", f"--grpc-key={proxy_key}", f"--grpc-ca={pki.ca_crt}"])
        wait_until(lambda: bad.returncode() is not None, 5 * scale, "the controller exits")
        assert bad.returncode() == 2, f"exit status {bad.returncode()}"
        text = bad.log_text()
        assert "--grpc-cert=" in text and "with --grpc-key" in text, text[-400:]
        assert "PRIVATE KEY" not in text, "key material in the log"
        return "exit 2: " + text.strip().splitlines()[-1][:120]

    def replace_file(source, target):
        # As a Secret volume update: the new content appears at once, whole.
        shutil.copyfile(source, target + ".new")
        os.replace(target + ".new", target)

    def served_certificate():
        """The PEM certificate the controller's port presents now."""
        result = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{grpc_port}",
             "-servername", SERVER_NAME, "-cert", proxy_crt, "-key", proxy_key,
             "-CAfile", pki.ca_crt],
            input=b"", capture_output=True, timeout=10 * scale)
        text = result.stdout.decode(errors="replace")
        begin = text.find("-----BEGIN CERTIFICATE-----")
        end = text.find("-----END CERTIFICATE-----", begin)
        return text[begin:end] if begin >= 0 and end > begin else ""

    def check_controller_rotation():
        with open(controller_crt) as f:
            old = f.read()
        assert served_certificate().strip() in old, "the controller serves another certificate"
        new_crt, new_key = pki.issue("controller-2", SERVER_NAME)
        started = time.monotonic()
        replace_file(new_key, live_key)
        replace_file(new_crt, live_crt)
        with open(new_crt) as f:
            new = f.read()
        wait_until(lambda: (served_certificate() or "none") in new, 10 * scale,
                   "the controller serves the rotated certificate")
        took = time.monotonic() - started
        proxy = start_proxy("proxy-after-rotation", proxy_crt, proxy_key)
        proxy.wait_ready(10 * scale)
        return f"new handshakes got the new certificate {took:.1f} s after the files changed " \
               "(refresh 1 s), no restart; a proxy connects to it"

    def check_proxy_rotation():
        # A proxy whose files hold a certificate the controller refuses,
        # replaced by a good one while it runs: its next attempt uses them.
        folder = os.path.join(pki.folder, "rotating-proxy")
        os.makedirs(folder, exist_ok=True)
        crt, key = os.path.join(folder, "tls.crt"), os.path.join(folder, "tls.key")
        shutil.copyfile(rogue_crt, crt)
        shutil.copyfile(rogue_key, key)
        proxy = start_proxy("rotating-proxy", crt, key)
        time.sleep(0.5 * scale)  # a few refused attempts
        assert proxy.admin_get("/ready").status == 503, "a refused certificate got a snapshot"
        replace_file(proxy_key, key)
        replace_file(proxy_crt, crt)
        started = time.monotonic()
        proxy.wait_ready(20 * scale)
        proxy.process.wait_for_log(r"snapshot channel: certificate files changed", 5 * scale)
        return f"refused, then ready {time.monotonic() - started:.1f} s after its files changed"

    runner.run("a proxy with a certificate from the CA is served", check_trusted_proxy)
    runner.run("a proxy with another CA's certificate is refused", check_rogue_proxy_refused)
    runner.run("a proxy refuses a controller with another name", check_wrong_controller_name)
    runner.run("a certificate and key that do not match stop the controller",
               check_mismatched_key_refused)
    runner.run("the controller's certificate rotates without a restart", check_controller_rotation)
    runner.run("a proxy's certificate files are read again before it reconnects",
               check_proxy_rotation)


def main():
    return run_scenario("e2e channel TLS", "portico-e2e-channel-tls-", run)


if __name__ == "__main__":
    sys.exit(main())
