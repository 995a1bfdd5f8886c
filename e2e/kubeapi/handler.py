"""The HTTP/1.1 handler: reads a request, routes it, answers JSON.

Every failure, from a malformed request line to a bug in this server, is
answered with a Kubernetes `Status` object; nothing answers with a traceback.
Threading: one thread per connection (ThreadingHTTPServer); shared state lives in
the store and the fault switches, which lock for themselves.
"""

import json
import socket
import sys
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from . import control, discovery, errors, routing, tables
from .faults import Faults, reason_for
from .resources import Registry
from .selection import Selector
from .storage import Store, decode_continue, encode_continue, present
from .watchstream import TOO_LARGE_WAIT_S, WatchStream, too_large

MAX_BODY_BYTES = 3 * 1024 * 1024


@dataclass
class ServerContext:
    registry: Registry
    store: Store
    faults: Faults
    address: str = ""
    aggregated_discovery: bool = True
    log_requests: bool = True
    pretty: bool = field(default=False)

    def encode(self, value):
        return json.dumps(value, separators=(",", ":")).encode()


def _truthy(value):
    return value in ("true", "1")


def _verb(method, request, query):
    if method == "GET":
        if request.name is None:
            return "watch" if request.watch_path or _truthy(query.get("watch")) else "list"
        return "watch" if request.watch_path or _truthy(query.get("watch")) else "get"
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if request.name else "deletecollection"}.get(method, method)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "portico-kubeapi"
    context: ServerContext = None  # set by the server on a subclass

    # ----- plumbing

    def do_GET(self):
        self.handle_request("GET")

    def do_POST(self):
        self.handle_request("POST")

    def do_PUT(self):
        self.handle_request("PUT")

    def do_PATCH(self):
        self.handle_request("PATCH")

    def do_DELETE(self):
        self.handle_request("DELETE")

    def log_message(self, format, *args):
        pass  # one line per request is logged by handle_request

    def send_error(self, code, message=None, explain=None):
        """Errors the base class finds (bad request line, unknown method) as a Status."""
        self.close_connection = True
        error = errors.ApiError(code, reason_for(code), message or "bad request")
        try:
            self.send_status(error)
        except OSError:
            pass

    def handle_request(self, method):
        status = 500
        try:
            body = self.read_body()
            status = self.route(method, body)
        except errors.ApiError as error:
            status = error.code
            self.send_status(error)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            status = "client gone"
        except Exception as error:  # a bug here must still answer with a Status
            traceback.print_exc(file=sys.stderr)
            self.send_status(errors.ApiError(500, "InternalError",
                                             f"internal error: {type(error).__name__}: {error}"))
        if self.context.log_requests:
            print(f"kubeapi: {method} {self.path} -> {status}", file=sys.stderr, flush=True)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self.read_chunked_body()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise errors.bad_request("Content-Length is not a number") from None
        if length > MAX_BODY_BYTES or length < 0:
            self.close_connection = True
            raise errors.ApiError(413, "RequestEntityTooLarge",
                                  f"the request body of {length} bytes is larger than "
                                  f"{MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def read_chunked_body(self):
        body = b""
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                raise errors.bad_request("malformed chunk size in the request body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline(1024)
            if len(body) > MAX_BODY_BYTES:
                self.close_connection = True
                raise errors.ApiError(413, "RequestEntityTooLarge", "the request body is too "
                                      "large")

    def send_json(self, code, value, content_type="application/json", headers=()):
        payload = json.dumps(value, indent=2).encode() if self.context.pretty else \
            self.context.encode(value)
        self.send_bytes(code, payload, content_type, headers)

    def send_bytes(self, code, payload, content_type, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def send_status(self, error):
        headers = [("Retry-After", str(error.retry_after))] if error.retry_after else []
        self.send_json(error.code, error.status(), headers=headers)

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def abort_connection(self):
        """Cuts the connection mid-stream, as a network failure would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ----- routing

    def route(self, method, body):
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        route = routing.parse(self.context.registry, url.path)
        if route.kind == "fault":
            self.send_json(200, control.handle(self.context, method, route.detail, query, body))
            return 200
        if not self.context.faults.authorized(self.headers.get("Authorization")):
            raise errors.ApiError(401, "Unauthorized", "Unauthorized")
        if route.kind == "resource":
            verb = _verb(method, route.detail, query)
        else:
            verb = "get"
        if failure := self.context.faults.take(url.path, verb):
            raise failure
        if route.kind != "resource":
            if method != "GET":
                raise errors.method_not_allowed(method, url.path)
            return self.serve_document(route)
        return self.serve_resource(method, verb, route.detail, query, body)

    def serve_document(self, route):
        registry, accept = self.context.registry, self.headers.get("Accept", "")
        kind = route.kind
        if kind == "version":
            return self.answer(discovery.version_info())
        if kind == "health":
            self.send_bytes(200, b"ok", "text/plain; charset=utf-8")
            return 200
        if kind == "apis_root":
            return self.answer({"paths": ["/api", "/api/v1", "/apis", "/openapi/v2",
                                          "/openapi/v3", "/version", "/healthz"]})
        if kind in ("api", "apis"):
            aggregated = discovery.aggregated_version(accept)
            if aggregated and self.context.aggregated_discovery:
                self.send_json(200, discovery.aggregated_discovery(registry, kind == "api",
                                                                   aggregated),
                               discovery.aggregated_content_type(aggregated))
                return 200
            if kind == "api":
                return self.answer(discovery.api_versions(self.context.address))
            return self.answer(discovery.api_group_list(registry))
        if kind == "group":
            return self.answer(discovery.api_group(registry, route.group))
        if kind == "group_version":
            return self.answer(discovery.api_resource_list(registry, route.group,
                                                           route.version))
        if kind == "openapi_v2":
            if "protobuf" in accept:
                # Go's mime parser rejects the '@' of the protobuf media type, so
                # kube-apiserver labels the bytes application/octet-stream too.
                self.send_bytes(200, discovery.openapi_v2_protobuf(),
                                "application/octet-stream")
                return 200
            return self.answer(discovery.openapi_v2_json())
        if kind == "openapi_v3":
            return self.answer(discovery.openapi_v3_root(registry))
        return self.answer(discovery.openapi_v3_document(registry, route.group, route.version))

    def answer(self, document, code=200):
        if document is None:
            raise errors.path_not_found()
        self.send_json(code, document)
        return code

    def serve_resource(self, method, verb, request, query, body):
        self.check_accept()
        store, rtype = self.context.store, request.rtype
        dry_run = query.get("dryRun") == "All"
        needs_name = verb in ("update", "patch")
        if (needs_name and request.name is None) or (verb == "create" and request.name) or \
                (request.subresource and verb not in ("get", "update", "patch")):
            raise errors.method_not_allowed(method, self.path)
        if verb in ("list", "watch"):
            selector = Selector(rtype, query.get("labelSelector", ""),
                                query.get("fieldSelector", ""))
            if request.name is not None:
                selector = Selector(rtype, query.get("labelSelector", ""),
                                    f"metadata.name={request.name}")
            if verb == "watch":
                table_version = tables.wants(self.headers.get("Accept"), "Table")
                return WatchStream(self, self.context, request, selector, query,
                                   table_version).run()
            return self.serve_list(request, selector, query)
        if verb == "get":
            obj = store.get(rtype, request.namespace, request.name)
            return self.answer_object(rtype, present(rtype, obj), query)
        if verb == "create":
            if request.namespace is None:
                raise errors.method_not_allowed(method, "a namespaced collection without a "
                                                "namespace")
            return self.answer(store.create(rtype, request.namespace, self.json_body(body),
                                            dry_run), 201)
        if verb == "update":
            return self.answer(store.update(rtype, request.namespace, request.name,
                                            self.json_body(body), request.subresource,
                                            dry_run))
        if verb == "patch":
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
            return self.answer(store.patch(rtype, request.namespace, request.name,
                                           content_type, self.json_body(body),
                                           request.subresource, dry_run))
        if verb == "delete":
            options = self.json_body(body) if body.strip() else {}
            return self.answer(store.delete(rtype, request.namespace, request.name, options,
                                            dry_run))
        if verb == "deletecollection":
            selector = Selector(rtype, query.get("labelSelector", ""),
                                query.get("fieldSelector", ""))
            deleted = store.delete_collection(rtype, request.namespace, selector, dry_run)
            return self.answer({"kind": f"{rtype.kind}List", "apiVersion": rtype.group_version,
                                "metadata": {"resourceVersion": str(store.hub.latest_rv)},
                                "items": deleted})
        raise errors.method_not_allowed(method, self.path)

    def check_accept(self):
        accept = self.headers.get("Accept", "")
        if accept and not any(m.split(";")[0].strip() in ("application/json", "*/*",
                                                          "application/*", "")
                              for m in accept.split(",")):
            raise errors.ApiError(406, "NotAcceptable", f"only application/json is served, "
                                  f"not {accept!r}")

    def json_body(self, body):
        content_type = self.headers.get("Content-Type", "application/json").split(";")[0]
        if "protobuf" in content_type or "cbor" in content_type:
            raise errors.unsupported_media_type(content_type)
        try:
            return json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise errors.bad_request(f"the request body is not valid JSON: {error}") from None

    def answer_object(self, rtype, obj, query):
        accept = self.headers.get("Accept", "")
        if version := tables.wants(accept, "Table"):
            list_meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
            return self.answer(tables.table(rtype, [obj], list_meta,
                                            query.get("includeObject") or "Metadata", version))
        if version := tables.wants(accept, "PartialObjectMetadata"):
            return self.answer(tables.partial_metadata(obj, version))
        return self.answer(obj)

    def serve_list(self, request, selector, query):
        store, rtype = self.context.store, request.rtype
        limit = _limit(query.get("limit"))
        at_rv, after = self.list_start(query)
        try:
            items, rv = store.list(rtype, request.namespace, at_rv)
        except errors.ApiError as error:
            if error.code == 410 and after is not None:
                raise errors.gone("The provided continue parameter is too old to display a "
                                  "consistent list result. You can start a new list without "
                                  "the continue parameter.") from None
            raise
        items = [o for o in items if (after is None or _ident(o) > after) and
                 selector.matches(o)]
        list_meta = {"resourceVersion": str(rv)}
        if limit and len(items) > limit:
            list_meta["continue"] = encode_continue(rv, *_ident(items[limit - 1]))
            if selector.empty:
                list_meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return self.answer_list(rtype, items, list_meta, query)

    def list_start(self, query):
        """(snapshot resourceVersion or None for the latest, key to continue after)."""
        text, match = query.get("resourceVersion", ""), query.get("resourceVersionMatch", "")
        if query.get("continue"):
            if text:
                raise errors.bad_request("specifying resource version is not allowed when "
                                         "using continue")
            return decode_continue(query["continue"])
        if match not in ("", "NotOlderThan", "Exact"):
            raise errors.bad_request(f"unsupported resourceVersionMatch {match!r}")
        if text in ("", "0"):
            if match == "Exact":
                raise errors.bad_request("resourceVersionMatch=Exact needs a resourceVersion")
            return None, None
        try:
            rv = int(text)
        except ValueError:
            raise errors.bad_request(f"invalid resource version {text!r}") from None
        hub = self.context.store.hub
        if rv > hub.latest_rv and not hub.wait_for(rv, TOO_LARGE_WAIT_S):
            raise too_large(rv, hub.latest_rv)
        return (rv if match == "Exact" else None), None

    def answer_list(self, rtype, items, list_meta, query):
        accept = self.headers.get("Accept", "")
        if version := tables.wants(accept, "Table"):
            shown = [present(rtype, o) for o in items]
            return self.answer(tables.table(rtype, shown, list_meta,
                                            query.get("includeObject") or "Metadata", version))
        if version := tables.wants(accept, "PartialObjectMetadataList"):
            return self.answer({"kind": "PartialObjectMetadataList",
                                "apiVersion": f"meta.k8s.io/{version}", "metadata": list_meta,
                                "items": [tables.partial_metadata(o, version) for o in items]})
        # Built-in kinds list their items without apiVersion/kind, as kube-apiserver does.
        shown = [present(rtype, o) if rtype.custom else
                 {k: v for k, v in o.items() if k not in ("apiVersion", "kind")}
                 for o in items]
        return self.answer({"kind": f"{rtype.kind}List", "apiVersion": rtype.group_version,
                            "metadata": list_meta, "items": shown})


def _ident(obj):
    return (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def _limit(text):
    if not text:
        return 0
    try:
        limit = int(text)
    except ValueError:
        raise errors.bad_request(f"invalid limit {text!r}") from None
    return max(limit, 0)
