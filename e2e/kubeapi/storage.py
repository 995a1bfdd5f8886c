"""The object store: every object by (group, plural, namespace, name), one global
resourceVersion counter (as etcd's revision), create/update/patch/delete with
kube-apiserver's metadata rules, snapshot reads for paginated lists, and an
optional state file that survives a restart.

Threading: one re-entrant lock guards everything, shared with the watch hub.
Stored objects are never mutated after a write (each write stores a new dict), so
events and lists may hand them out without copying.
"""

import base64
import copy
import json
import os
import random
import string
import threading
import time
import uuid

from . import errors, kinds, shapes
from .patch import json_patch, merge_patch, strategic_merge_patch
from .resources import CRD_KEY, NAMESPACE_KEY, Registry
from .watch import Event, WatchHub

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def present(rtype, obj):
    """The object as served through rtype: its apiVersion and kind first."""
    shown = {"apiVersion": rtype.group_version, "kind": rtype.kind}
    shown.update((k, v) for k, v in obj.items() if k not in ("apiVersion", "kind"))
    return shown


def _without_volatile(obj):
    trimmed = copy.deepcopy(obj)
    meta = trimmed.get("metadata", {})
    for field in ("resourceVersion", "managedFields"):
        meta.pop(field, None)
    trimmed.pop("apiVersion", None)
    return trimmed


def _spec_of(rtype, obj):
    """What bumps metadata.generation when it changes: all but metadata (and status when
    the kind has a status subresource)."""
    ignored = {"metadata", "apiVersion", "kind"} | ({"status"} if rtype.status_subresource
                                                      else set())
    return {k: v for k, v in obj.items() if k not in ignored}


class Store:
    def __init__(self, registry: Registry, history_size=1000, start_rv=1, state_file=None,
                 namespace_finalize_delay_s=0.5):
        self.lock = threading.RLock()
        self.registry = registry
        self.state_file = state_file
        self.namespace_finalize_delay_s = namespace_finalize_delay_s
        self.objects = {}  # (group, plural) -> {(namespace, name): obj}
        self.allocations = {}
        self.rv = start_rv
        self.loaded = bool(state_file) and os.path.exists(state_file)
        history, floor = (), None
        if self.loaded:
            history, floor = self._load()
        self.hub = WatchHub(self.lock, history_size, self.rv, history, floor)
        if not self.loaded:
            namespaces = self.registry.lookup("", "v1", "namespaces")
            for name in DEFAULT_NAMESPACES:
                self.create(namespaces, "", {"metadata": {"name": name}})

    # ----- reads

    def get(self, rtype, namespace, name):
        with self.lock:
            obj = self.objects.get(rtype.key, {}).get((namespace, name))
            if obj is None:
                raise errors.not_found(rtype, name)
            return obj

    def list(self, rtype, namespace, at_rv=None):
        """(objects sorted by namespace and name, the resourceVersion of that snapshot).
        at_rv: the state as of that resourceVersion (410 when compacted)."""
        with self.lock:
            table = dict(self.objects.get(rtype.key, {}))
            if at_rv is not None and at_rv < self.rv:
                for event in reversed(self.hub.events_after(rtype.key, at_rv)):
                    if event.prev is None:
                        table.pop((event.namespace, event.name), None)
                    else:
                        table[(event.namespace, event.name)] = event.prev
            rv = self.rv if at_rv is None else min(at_rv, self.rv)
        items = [table[k] for k in sorted(table) if namespace is None or k[0] == namespace]
        return items, rv

    def namespace_exists(self, name):
        with self.lock:
            return ("", name) in self.objects.get(NAMESPACE_KEY, {})

    # ----- writes

    def create(self, rtype, namespace, body, dry_run=False):
        obj = self._checked_body(rtype, namespace, body, None)
        meta = obj["metadata"]
        with self.lock:
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(
                    random.choices(string.ascii_lowercase + string.digits, k=5))
            name = meta.get("name") or ""
            if not name:
                raise errors.invalid(rtype, "", [("metadata.name", "Required value: name or "
                                                  "generateName is required")])
            if problem := kinds.name_problem(rtype, name):
                raise errors.invalid(rtype, name, [("metadata.name", problem)])
            self._check_namespace_open(rtype, namespace, name)
            if (namespace, name) in self.objects.get(rtype.key, {}):
                raise errors.already_exists(rtype, name)
            for field in ("uid", "resourceVersion", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "managedFields", "selfLink"):
                meta.pop(field, None)
            kinds.prepare_create(self.allocations, rtype, obj)
            self._validate(rtype, obj)
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339(), generation=1)
            if dry_run:
                return present(rtype, obj)
            return present(rtype, self._commit("ADDED", rtype.key, obj, None))

    def update(self, rtype, namespace, name, body, subresource=None, dry_run=False):
        new = self._checked_body(rtype, namespace, body, name)
        with self.lock:
            old = self.get(rtype, namespace, name)
            return self._update(rtype, old, new, subresource, dry_run)

    def patch(self, rtype, namespace, name, content_type, patch, subresource=None,
              dry_run=False):
        patch_type = PATCH_TYPES.get(content_type)
        if patch_type is None:
            raise errors.unsupported_media_type(content_type)
        with self.lock:
            old = self.objects.get(rtype.key, {}).get((namespace, name))
            if old is None:
                if patch_type == "apply" and subresource is None:
                    return self.create(rtype, namespace, patch, dry_run)
                raise errors.not_found(rtype, name)
            current = present(rtype, old)
            if patch_type == "strategic":
                if rtype.custom:
                    raise errors.ApiError(415, "UnsupportedMediaType",
                                          "strategic merge patch is not supported for custom "
                                          "resources; use a merge patch or a JSON patch")
                patched = strategic_merge_patch(current, patch, rtype.kind)
            elif patch_type == "json":
                patched = json_patch(current, patch)
            else:  # merge; server-side apply is approximated by a merge of the applied fields
                if not isinstance(patch, dict):
                    raise errors.bad_request("a merge patch must be a JSON object")
                patched = merge_patch(current, patch)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object is not a JSON object")
            new = self._checked_body(rtype, namespace, patched, name)
            return self._update(rtype, old, new, subresource, dry_run)

    def delete(self, rtype, namespace, name, options=None, dry_run=False):
        with self.lock:
            old = self.get(rtype, namespace, name)
            self._check_preconditions(rtype, old, (options or {}).get("preconditions") or {})
            if dry_run:
                return present(rtype, old)
            if rtype.key == NAMESPACE_KEY:
                return present(rtype, self._terminate_namespace(old))
            if old["metadata"].get("finalizers"):
                if old["metadata"].get("deletionTimestamp"):
                    return present(rtype, old)
                marked = copy.deepcopy(old)
                marked["metadata"].update(deletionTimestamp=now_rfc3339(),
                                          deletionGracePeriodSeconds=0)
                return present(rtype, self._commit("MODIFIED", rtype.key, marked, old))
            if rtype.key == CRD_KEY:
                self._delete_custom_objects(old)
            return present(rtype, self._commit("DELETED", rtype.key, old, old))

    def delete_collection(self, rtype, namespace, selector, dry_run=False):
        with self.lock:
            items, _ = self.list(rtype, namespace)
            deleted = []
            for obj in items:
                if selector.matches(obj) and not obj["metadata"].get("deletionTimestamp"):
                    deleted.append(self.delete(rtype, obj["metadata"].get("namespace", ""),
                                               obj["metadata"]["name"], dry_run=dry_run))
            return deleted

    # ----- write helpers

    def _checked_body(self, rtype, namespace, body, url_name):
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        obj = copy.deepcopy(body)
        api_version = obj.get("apiVersion")
        group = api_version.rsplit("/", 1)[0] if api_version and "/" in api_version else ""
        if api_version and (api_version != rtype.group_version and
                            not (rtype.custom and group == rtype.group)):
            raise errors.bad_request(f"the API version in the data ({api_version}) does not "
                                     f"match the expected API version ({rtype.group_version})")
        if obj.get("kind") and obj["kind"] != rtype.kind:
            raise errors.bad_request(f"the kind in the data ({obj['kind']}) does not match the "
                                     f"expected kind ({rtype.kind})")
        obj["apiVersion"], obj["kind"] = rtype.group_version, rtype.kind
        if obj.get("metadata") is None:
            obj["metadata"] = {}
        obj = shapes.checked(rtype, obj)
        meta = obj["metadata"]
        if rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if url_name is not None and meta.get("name") != url_name:
            raise errors.bad_request(f"the name of the object ({meta.get('name')}) does not "
                                     f"match the name on the URL ({url_name})")
        return obj

    def _validate(self, rtype, obj):
        causes = kinds.validate(rtype, obj)
        if causes:
            raise errors.invalid(rtype, obj["metadata"].get("name", ""), causes)

    def _check_namespace_open(self, rtype, namespace, name):
        if not rtype.namespaced:
            return
        ns = self.objects.get(NAMESPACE_KEY, {}).get(("", namespace))
        if ns is None:
            raise errors.namespace_not_found(namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden(rtype, name, f"unable to create new content in namespace "
                                   f"{namespace} because it is being terminated")

    def _check_preconditions(self, rtype, obj, preconditions):
        name = obj["metadata"]["name"]
        for field in ("uid", "resourceVersion"):
            wanted = preconditions.get(field)
            if wanted and wanted != obj["metadata"].get(field):
                raise errors.conflict(rtype, name, f"Precondition failed: {field} in "
                                      f"precondition: {wanted}, {field} in object meta: "
                                      f"{obj['metadata'].get(field)}")

    def _update(self, rtype, old, new, subresource, dry_run):
        name = old["metadata"]["name"]
        wanted_rv = new["metadata"].get("resourceVersion")
        if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rtype, name)
        if subresource == "status":
            result = copy.deepcopy(old)
            result.pop("status", None)
            if "status" in new:
                result["status"] = new["status"]
        else:
            result = new
            meta, old_meta = result["metadata"], old["metadata"]
            for field in ("uid", "creationTimestamp", "generation", "deletionTimestamp",
                          "deletionGracePeriodSeconds"):
                if field in old_meta:
                    meta[field] = old_meta[field]
                else:
                    meta.pop(field, None)
            if rtype.status_subresource:
                result.pop("status", None)
                if "status" in old:
                    result["status"] = copy.deepcopy(old["status"])
            kinds.prepare_update(self.allocations, rtype, old, result)
        self._validate(rtype, result)
        result["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if _without_volatile(result) == _without_volatile(old):
            return present(rtype, old)  # a no-op write changes nothing, as in etcd
        if _spec_of(rtype, result) != _spec_of(rtype, old):
            result["metadata"]["generation"] = old["metadata"].get("generation", 0) + 1
        if dry_run:
            return present(rtype, result)
        if result["metadata"].get("deletionTimestamp") and \
                not result["metadata"].get("finalizers"):
            return present(rtype, self._commit("DELETED", rtype.key, result, old))
        return present(rtype, self._commit("MODIFIED", rtype.key, result, old))

    def _commit(self, event_type, key, obj, prev):
        """Stores one change under the next resourceVersion and publishes its event."""
        self.rv += 1
        obj = dict(obj)
        obj["metadata"] = dict(obj["metadata"], resourceVersion=str(self.rv))
        meta = obj["metadata"]
        table = self.objects.setdefault(key, {})
        ident = (meta.get("namespace", ""), meta["name"])
        if event_type == "DELETED":
            table.pop(ident, None)
        else:
            table[ident] = obj
        self.hub.publish(Event(self.rv, event_type, key, ident[0], ident[1], obj, prev))
        if key == CRD_KEY:
            self.registry.rebuild(list(self.objects.get(CRD_KEY, {}).values()))
        self._save()
        return obj

    def _delete_custom_objects(self, crd):
        key = (crd["spec"]["group"], crd["spec"]["names"]["plural"])
        for obj in list(self.objects.get(key, {}).values()):
            self._commit("DELETED", key, obj, obj)

    def _terminate_namespace(self, namespace):
        """Namespaces end as in Kubernetes: Terminating first (new content refused), then,
        after a short delay, their content and the namespace itself are deleted."""
        if namespace["metadata"].get("deletionTimestamp"):
            return namespace
        marked = copy.deepcopy(namespace)
        marked["metadata"]["deletionTimestamp"] = now_rfc3339()
        marked["metadata"]["deletionGracePeriodSeconds"] = 0
        marked["status"] = {"phase": "Terminating"}
        committed = self._commit("MODIFIED", NAMESPACE_KEY, marked, namespace)
        timer = threading.Timer(self.namespace_finalize_delay_s, self._finalize_namespace,
                                [namespace["metadata"]["name"]])
        timer.daemon = True
        timer.start()
        return committed

    def _finalize_namespace(self, name):
        with self.lock:
            for key, table in list(self.objects.items()):
                if key == NAMESPACE_KEY:
                    continue
                for ident, obj in list(table.items()):
                    if ident[0] == name:
                        self._commit("DELETED", key, obj, obj)
            namespace = self.objects.get(NAMESPACE_KEY, {}).get(("", name))
            if namespace is not None and namespace["metadata"].get("deletionTimestamp"):
                self._commit("DELETED", NAMESPACE_KEY, namespace, namespace)

    # ----- the state file

    def save_now(self):
        with self.lock:
            self._save()

    def _save(self):
        if not self.state_file:
            return
        state = {
            "resourceVersion": self.rv,
            "floor": self.hub.floor,
            "allocations": self.allocations,
            "objects": [[list(key), obj] for key, table in self.objects.items()
                        for obj in table.values()],
            "history": [event.to_json() for event in self.hub.history],
        }
        temporary = f"{self.state_file}.tmp"
        with open(temporary, "w") as out:
            json.dump(state, out)
        os.replace(temporary, self.state_file)

    def _load(self):
        with open(self.state_file) as state_in:
            state = json.load(state_in)
        self.rv = state["resourceVersion"]
        self.allocations = state.get("allocations", {})
        for key, obj in state["objects"]:
            meta = obj["metadata"]
            self.objects.setdefault(tuple(key), {})[(meta.get("namespace", ""),
                                                     meta["name"])] = obj
        self.registry.rebuild(list(self.objects.get(CRD_KEY, {}).values()))
        return [Event.from_json(e) for e in state.get("history", [])], state.get("floor")


def encode_continue(rv, last_namespace, last_name):
    token = {"v": "meta.k8s.io/v1", "rv": rv, "start": f"{last_namespace}/{last_name}\x00"}
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode()


def decode_continue(token):
    """(rv, (namespace, name) to continue after); 400 on a malformed token."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        namespace, name = data["start"].rstrip("\x00").split("/", 1)
        return int(data["rv"]), (namespace, name)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise errors.bad_request(f"continue key is not valid: {token!r}") from None
