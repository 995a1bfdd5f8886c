"""Starting the stand-in API server: flags, the listening socket (plain HTTP, or TLS
with a self-signed certificate made by the `openssl` command), and shutdown.

    python3 e2e/kubeapi [--listen 127.0.0.1:0] [--port-file F] [--state-file F]
                        [--kubeconfig F] [--tls --tls-dir D] [--token T] ...

It logs `kubeapi: listening on 127.0.0.1:PORT` once it accepts connections.
SIGTERM or SIGINT: the state file (if any) is written and it exits 0.
"""

import argparse
import os
import signal
import ssl
import subprocess
import sys
import tempfile
from http.server import ThreadingHTTPServer

from . import discovery
from .faults import Faults
from .handler import ApiHandler, ServerContext
from .kubeconfig import write_kubeconfig
from .resources import Registry
from .storage import Store


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="kubeapi", description="A stand-in Kubernetes API "
                                     "server for Portico's end-to-end tests.")
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any)")
    parser.add_argument("--port-file", help="write the bound port to this file")
    parser.add_argument("--state-file", help="keep every object and the watch history in "
                        "this file, written on every change and read at start")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for this server here")
    parser.add_argument("--history", type=int, default=1000,
                        help="watch events kept for resuming watches (default 1000)")
    parser.add_argument("--start-resource-version", type=int, default=1,
                        help="the first resourceVersion of a fresh store (default 1)")
    parser.add_argument("--bookmark-interval", type=float, default=1.0,
                        help="seconds between BOOKMARK events on watches that allow them")
    parser.add_argument("--namespace-finalize-delay", type=float, default=0.5,
                        help="seconds a deleted namespace stays Terminating")
    parser.add_argument("--no-aggregated-discovery", action="store_true",
                        help="answer /api and /apis only with the plain documents")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed "
                        "certificate for 127.0.0.1 (made with the openssl command)")
    parser.add_argument("--tls-dir", help="where the certificate and key live (reused when "
                        "present; default: a new temporary folder)")
    parser.add_argument("--token", help="require this bearer token on API requests")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--listen {args.listen!r}: expected HOST:PORT")
    args.host, args.port = host.strip("[]"), int(port)
    if args.history < 1:
        parser.error("--history must be at least 1")
    return args


def make_certificate(directory):
    """(certificate file, key file) for 127.0.0.1 and localhost, made once per folder."""
    cert, key = os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key")
    if not (os.path.exists(cert) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "7", "-subj", "/CN=portico-kubeapi", "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


def build(args):
    """(server, context, certificate file or None)."""
    registry = Registry()
    store = Store(registry, history_size=args.history, start_rv=args.start_resource_version,
                  state_file=args.state_file,
                  namespace_finalize_delay_s=args.namespace_finalize_delay)
    faults = Faults(bookmark_interval_s=args.bookmark_interval, token=args.token or None)
    context = ServerContext(registry, store, faults,
                            aggregated_discovery=not args.no_aggregated_discovery,
                            log_requests=not args.quiet)
    handler = type("BoundApiHandler", (ApiHandler,), {"context": context})
    server = ApiServer((args.host, args.port), handler)
    context.address = f"{args.host}:{server.server_address[1]}"
    cert = None
    if args.tls:
        cert, key = make_certificate(args.tls_dir or tempfile.mkdtemp(prefix="kubeapi-tls-"))
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        tls.set_alpn_protocols(["http/1.1"])
        server.socket = tls.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    return server, context, cert


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        server, context, cert = build(args)
    except OSError as error:
        print(f"kubeapi: cannot listen on {args.listen}: {error}", file=sys.stderr, flush=True)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"kubeapi: openssl failed: {error.stderr.decode(errors='replace')}",
              file=sys.stderr, flush=True)
        return 2
    port = server.server_address[1]
    scheme = "https" if cert else "http"
    url = f"{scheme}://{args.host}:{port}"
    if args.kubeconfig:
        write_kubeconfig(args.kubeconfig, url, cert, args.token)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as out:
            out.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    signal.signal(signal.SIGTERM, _stop)
    state = "restored from " + args.state_file if context.store.loaded else "fresh"
    print(f"kubeapi: {discovery.KUBERNETES_VERSION} API, {scheme}, state {state}, "
          f"resourceVersion {context.store.rv}", file=sys.stderr, flush=True)
    print(f"kubeapi: listening on {args.host}:{port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        context.store.save_now()
    print("kubeapi: stopped", file=sys.stderr, flush=True)
    return 0
