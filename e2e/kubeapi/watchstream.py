"""One watch request, streamed as chunked JSON lines `{"type": ..., "object": ...}`.

Start points, as in kube-apiserver:
- no resourceVersion, "0", or sendInitialEvents=true: an ADDED event per current
  object (then, with sendInitialEvents, a BOOKMARK annotated
  `k8s.io/initial-events-end`), then every later change;
- a resourceVersion N: the retained changes after N, then every later change; N
  older than the history gives a 410 Expired ERROR event (or HTTP 410 when the
  switch says so); N newer than the store waits up to 3 s, then 504.
A label or field selector turns a change into or out of the selection into
ADDED or DELETED. The stream ends after timeoutSeconds (a clean end), when the
client goes away, or when a fault switch drops it (the connection is cut).
"""

import queue
import select
import socket
import time

from . import errors, tables
from .storage import present
from .watch import Watch

TOO_LARGE_WAIT_S = 3.0
POLL_S = 0.25


def parse_start(query):
    """(resourceVersion to resume after or None for "current state", send initial events)."""
    text = query.get("resourceVersion", "")
    initial = query.get("sendInitialEvents") == "true"
    if initial and query.get("resourceVersionMatch") != "NotOlderThan":
        raise errors.bad_request("sendInitialEvents requires resourceVersionMatch=NotOlderThan")
    if text in ("", "0") or initial:
        return None, initial
    try:
        rv = int(text)
    except ValueError:
        raise errors.bad_request(f"invalid resource version {text!r}") from None
    return rv, False


def too_large(requested, current):
    return errors.ApiError(504, "Timeout", f"Too large resource version: {requested}, current: "
                           f"{current}", {"causes": [{"reason": "ResourceVersionTooLarge",
                                                      "message": "Too large resource version"}],
                                          "retryAfterSeconds": 1})


def transition(event, selector):
    """The event type a client with this selector sees for a stored change, or None."""
    if event.type == "ADDED":
        return "ADDED" if selector.matches(event.obj) else None
    if event.type == "DELETED":
        return "DELETED" if selector.matches(event.prev or event.obj) else None
    before, after = selector.matches(event.prev), selector.matches(event.obj)
    if before and after:
        return "MODIFIED"
    return "ADDED" if after else ("DELETED" if before else None)


class WatchStream:
    def __init__(self, handler, context, request, selector, query, table_version):
        self.handler = handler
        self.context = context
        self.rtype = request.rtype
        self.namespace = request.namespace
        self.selector = selector
        self.table_version = table_version
        self.bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        self.start_rv, self.initial_events = parse_start(query)
        timeout = query.get("timeoutSeconds")
        try:
            self.deadline = time.monotonic() + float(timeout) if timeout else None
        except ValueError:
            raise errors.bad_request(f"invalid timeoutSeconds {timeout!r}") from None

    def run(self):
        store, hub = self.context.store, self.context.store.hub
        if self.start_rv is not None and self.start_rv > hub.latest_rv and \
                not hub.wait_for(self.start_rv, TOO_LARGE_WAIT_S):
            raise too_large(self.start_rv, hub.latest_rv)
        watch = Watch(self.rtype.key, self.namespace)
        with store.lock:
            try:
                first, snapshot_rv = self._first_events(store)
            except errors.ApiError as error:
                if error.code != 410 or self.context.faults.gone_as_http:
                    raise
                first, snapshot_rv = None, None
                gone = error
            else:
                hub.subscribe(watch)
        self.handler.start_chunked()
        if first is None:
            self._send({"type": "ERROR", "object": gone.status()})
            self.handler.end_chunked()
            return "expired"
        try:
            return self._stream(watch, first, snapshot_rv)
        except OSError:
            return "client gone"
        finally:
            hub.unsubscribe(watch)

    def _first_events(self, store):
        if self.start_rv is None:
            items, rv = store.list(self.rtype, self.namespace)
            return [("ADDED", obj) for obj in items if self.selector.matches(obj)], rv
        events = store.hub.events_after(self.rtype.key, self.start_rv, self.namespace)
        return [(t, e.obj) for e in events if (t := transition(e, self.selector))], None

    def _stream(self, watch, first, snapshot_rv):
        for event_type, obj in first:
            self._send_object(event_type, obj)
        if self.initial_events:
            self._send_bookmark(snapshot_rv, initial_end=True)
        next_bookmark = time.monotonic() + self.context.faults.bookmark_interval_s
        while True:
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                self.handler.end_chunked()
                return "timeout"
            if self.bookmarks and now >= next_bookmark:
                self.context.store.hub.queue_bookmark(watch)
                next_bookmark = now + self.context.faults.bookmark_interval_s
            wait = min(POLL_S, *(t - now for t in (self.deadline, next_bookmark) if t))
            try:
                kind, value = watch.queue.get(timeout=max(wait, 0.001))
            except queue.Empty:
                if self._client_gone():
                    return "client gone"
                continue
            if kind == "event":
                if event_type := transition(value, self.selector):
                    self._send_object(event_type, value.obj)
            elif kind == "bookmark":
                if self.bookmarks:
                    self._send_bookmark(value)
            elif kind == "gone":
                self._send({"type": "ERROR", "object": errors.too_old(value, value + 1)
                            .status()})
                self.handler.end_chunked()
                return "expired"
            elif kind == "drop":
                self.handler.abort_connection()
                return "dropped"

    def _send_object(self, event_type, obj):
        shown = present(self.rtype, obj)
        if self.table_version:
            list_meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
            shown = tables.table(self.rtype, [shown], list_meta, "Metadata", self.table_version)
        self._send({"type": event_type, "object": shown})

    def _send_bookmark(self, rv, initial_end=False):
        metadata = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        self._send({"type": "BOOKMARK", "object": {
            "kind": self.rtype.kind, "apiVersion": self.rtype.group_version,
            "metadata": metadata}})

    def _send(self, event):
        self.handler.write_chunk(self.context.encode(event) + b"\n")

    def _client_gone(self):
        sock = self.handler.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True
