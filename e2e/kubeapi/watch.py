"""The watch hub: the bounded history of change events and the open watches.

Threading: every method that reads or changes the history or the set of watches
runs with the store's lock held (the hub shares it), so events reach each
watch's queue in resourceVersion order, and a bookmark queued under the lock
never overtakes an event. Watch handlers drain their queue on their own thread.
"""

import queue
import threading
from collections import deque
from dataclasses import dataclass

from .errors import too_old


@dataclass
class Event:
    rv: int
    type: str  # ADDED, MODIFIED or DELETED
    key: tuple  # (group, plural)
    namespace: str
    name: str
    obj: dict  # the object after the change (before it, for DELETED, with the new RV)
    prev: dict  # the object before the change, None for ADDED

    def to_json(self):
        return {"rv": self.rv, "type": self.type, "key": list(self.key),
                "namespace": self.namespace, "name": self.name, "obj": self.obj,
                "prev": self.prev}

    @staticmethod
    def from_json(data):
        return Event(data["rv"], data["type"], tuple(data["key"]), data["namespace"],
                     data["name"], data["obj"], data["prev"])


class Watch:
    """One open watch: what it watches and the queue its handler drains. Queue items are
    ("event", Event), ("bookmark", rv), ("drop", None) or ("gone", oldest_rv)."""

    def __init__(self, key, namespace):
        self.key = key
        self.namespace = namespace  # None: every namespace
        self.queue = queue.SimpleQueue()

    def wants(self, event):
        return event.key == self.key and self.namespace in (None, event.namespace)


class WatchHub:
    def __init__(self, lock, capacity, latest_rv, history=(), floor=None):
        self.changed = threading.Condition(lock)
        self.capacity = capacity
        self.history = deque(history)
        self.latest_rv = latest_rv
        # Every event with rv > floor is in the history; older ones were compacted.
        self.floor = latest_rv if floor is None else floor
        self.watches = set()

    def publish(self, event):
        self.history.append(event)
        while len(self.history) > self.capacity:
            self.floor = self.history.popleft().rv
        self.latest_rv = event.rv
        for watch in self.watches:
            if watch.wants(event):
                watch.queue.put(("event", event))
        self.changed.notify_all()

    def check_not_compacted(self, rv):
        if rv < self.floor:
            raise too_old(rv, self.floor + 1)

    def events_after(self, key, rv, namespace=None):
        """The retained events of `key` (and namespace, if given) newer than rv; raises
        410 Expired when some of them were compacted away."""
        self.check_not_compacted(rv)
        return [e for e in self.history if e.rv > rv and e.key == key
                and namespace in (None, e.namespace)]

    def subscribe(self, watch):
        self.watches.add(watch)

    def unsubscribe(self, watch):
        with self.changed:
            self.watches.discard(watch)

    def wait_for(self, rv, timeout_s):
        """Waits until the latest resourceVersion reaches rv; False on timeout."""
        with self.changed:
            return self.changed.wait_for(lambda: self.latest_rv >= rv, timeout_s)

    def queue_bookmark(self, watch):
        with self.changed:
            watch.queue.put(("bookmark", self.latest_rv))

    def bookmark_all(self):
        with self.changed:
            for watch in self.watches:
                watch.queue.put(("bookmark", self.latest_rv))
            return len(self.watches)

    def drop_all(self):
        """Every open watch ends as a broken connection would; returns how many."""
        with self.changed:
            for watch in self.watches:
                watch.queue.put(("drop", None))
            return len(self.watches)

    def expire(self, notify):
        """Forgets the whole history (as an etcd compaction would). With notify, every open
        watch also gets an in-band 410 ERROR event and ends."""
        with self.changed:
            self.history.clear()
            self.floor = self.latest_rv
            if notify:
                for watch in self.watches:
                    watch.queue.put(("gone", self.floor))
            return len(self.watches)

    def open_count(self):
        with self.changed:
            return len(self.watches)
