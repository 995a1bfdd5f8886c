#!/usr/bin/env python3
"""An HTTP/1.1 backend for tests and the demo that tells who answered and what it got.

Every method and path gets 200 with a text body:

    name: <NAME>
    method: GET
    path: /x
    version: HTTP/1.1
    header: Host: app.test
    ...
    body-bytes: 0
    request-on-connection: 1

and a response header `X-Backend: <NAME>`. A path that starts with
/slow/<MS> is answered after MS milliseconds (requests in flight, for
shutdown and timeout tests). Request bodies (Content-Length or
chunked) are read and counted, never kept. Connections stay open between
requests (HTTP/1.1 keep-alive); request-on-connection counts the requests
on the current one, so a test can see whether a proxy reuses upstream
connections. Once bound it prints `listening on HOST:PORT`.

With --tls-cert and --tls-key it speaks HTTPS instead (the handshake in the
connection's own thread); with --tls-client-ca as well it requires a client
certificate signed by that CA and adds `tls-client: <subject CN>` and
`tls-sni: <server name>` lines to its answers, and `tls-resumed: yes|no`
(whether the connection resumed a TLS session). A path under /close/ is
answered with `Connection: close`.
"""

import argparse
import signal
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

READ_CHUNK = 64 * 1024


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "echo-backend"
    # The head and the body go out in two writes: without TCP_NODELAY the body
    # waits for the peer's delayed ACK (~40 ms per request).
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.requests_on_connection = 0  # one handler instance per connection

    def __getattr__(self, name):
        # BaseHTTPRequestHandler dispatches on do_<METHOD>: answer every method alike.
        if name.startswith("do_"):
            return self.answer
        raise AttributeError(name)

    def answer(self):
        self.requests_on_connection += 1
        try:
            body_bytes = self.discard_request_body()
        except (ValueError, ConnectionError) as error:
            self.send_error(400, f"unreadable request body: {error}")  # and closes
            return
        if self.path.startswith("/slow/"):
            delay_ms = self.path.split("/")[2]
            if delay_ms.isdigit():
                time.sleep(int(delay_ms) / 1000)
        text = self.describe_request(body_bytes).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("X-Backend", self.server.backend_name)
        if self.path.startswith("/close/"):
            # The backend ends the connection after this answer: the next
            # request needs a new one (upstream TLS resumption is seen so).
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)

    def describe_request(self, body_bytes):
        lines = [
            f"name: {self.server.backend_name}",
            f"method: {self.command}",
            f"path: {self.path}",
            f"version: {self.request_version}",
        ]
        lines += [f"header: {key}: {value}" for key, value in self.headers.items()]
        lines.append(f"body-bytes: {body_bytes}")
        lines.append(f"request-on-connection: {self.requests_on_connection}")
        if isinstance(self.connection, ssl.SSLSocket):
            lines.append(f"tls-sni: {self.server.sni.get(id(self.connection), '')}")
            lines.append(f"tls-resumed: {'yes' if self.connection.session_reused else 'no'}")
            peer = self.connection.getpeercert()
            if peer:
                cn = [v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName"]
                lines.append(f"tls-client: {cn[0] if cn else ''}")
        return "\n".join(lines) + "\n"

    def discard_request_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.discard_chunked_body()
        return self.discard_exactly(int(self.headers.get("Content-Length") or 0))

    def discard_exactly(self, length):
        left = length
        while left > 0:
            data = self.rfile.read(min(left, READ_CHUNK))
            if not data:
                raise ConnectionError("request body ended early")
            left -= len(data)
        return length

    def discard_chunked_body(self):
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            if not size_line:
                raise ConnectionError("chunked request body ended early")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            total += self.discard_exactly(size)
            self.rfile.readline(16)  # the CRLF after the chunk data
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass  # trailer fields
        return total

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a proxy opening connections
    # to a backend that just joined a Service overflows it, and each dropped
    # SYN costs the client 1 s (bench/RESULTS.md, churn under load).
    request_queue_size = 4096

    def __init__(self, address, backend_name, verbose, tls=None):
        super().__init__(address, EchoHandler)
        self.backend_name = backend_name
        self.verbose = verbose
        self.tls = tls
        self.sni = {}  # id(TLS socket) -> the server name the client sent
        if tls is not None:
            tls.sni_callback = self._remember_sni

    def _remember_sni(self, sock, server_name, context):
        self.sni[id(sock)] = server_name or ""

    def finish_request(self, request, client_address):
        # In the connection's thread: a slow or failing handshake holds up no one else.
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as error:
                print(f"tls handshake with {client_address[0]} failed: {error}", file=sys.stderr,
                      flush=True)
                return
        try:
            super().finish_request(request, client_address)
        finally:
            self.sni.pop(id(request), None)


def tls_context(args):
    if not args.tls_cert:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args.tls_client_ca)
    return context


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=parse_listen, required=True, help="HOST:PORT (port 0: any)")
    parser.add_argument("--name", required=True, help="reported in every answer")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument("--tls-client-ca", help="PEM CA: require client certificates it signed")
    return parser.parse_args(argv)


def stop_on_signal(signum, frame):
    # Later signals must not interrupt the shutdown this one starts.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(0)


def main(argv):
    args = parse_args(argv)
    try:
        server = EchoServer(args.listen, args.name, args.verbose, tls_context(args))
    except OSError as error:
        host, port = args.listen
        print(f"echo-backend {args.name}: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    host, port = server.server_address[:2]
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
