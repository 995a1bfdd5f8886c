"""The JSON types of the fields the server reads, per kind: a body whose fields have
the wrong type is refused with 400 naming the field (as kube-apiserver's decoder
does), before any code relies on them. Fields not listed are not checked; custom
resources are checked for metadata only.
"""

from . import errors

STR, INT, BOOL, ANY_MAP = "string", "integer", "boolean", "object"


def _list(item):
    return ("list", item)


def _map_of(value):
    return ("map", value)


METADATA = {"name": STR, "generateName": STR, "namespace": STR, "uid": STR,
            "resourceVersion": STR, "labels": _map_of(STR), "annotations": _map_of(STR),
            "finalizers": _list(STR), "ownerReferences": _list(ANY_MAP),
            "creationTimestamp": STR, "deletionTimestamp": STR}
_BACKEND = {"service": {"name": STR, "port": {"number": INT, "name": STR}},
            "resource": ANY_MAP}
_PRINTER_COLUMN = {"name": STR, "type": STR, "jsonPath": STR, "description": STR,
                   "priority": INT, "format": STR}
SHAPES = {
    "Namespace": {"spec": {"finalizers": _list(STR)}, "status": ANY_MAP},
    "Service": {"spec": {"type": STR, "clusterIP": STR, "clusterIPs": _list(STR),
                         "externalName": STR, "selector": _map_of(STR),
                         "ports": _list({"name": STR, "port": INT, "nodePort": INT,
                                         "protocol": STR})},
                "status": ANY_MAP},
    "Ingress": {"spec": {"ingressClassName": STR, "defaultBackend": _BACKEND,
                         "rules": _list({"host": STR, "http": {"paths": _list({
                             "path": STR, "pathType": STR, "backend": _BACKEND})}}),
                         "tls": _list({"hosts": _list(STR), "secretName": STR})},
                "status": ANY_MAP},
    "IngressClass": {"spec": {"controller": STR, "parameters": ANY_MAP}},
    "EndpointSlice": {"addressType": STR,
                      "endpoints": _list({"addresses": _list(STR), "conditions": ANY_MAP}),
                      "ports": _list({"name": STR, "port": INT, "protocol": STR})},
    "Secret": {"data": _map_of(STR), "stringData": _map_of(STR), "type": STR},
    "ConfigMap": {"data": _map_of(STR), "binaryData": _map_of(STR)},
    "Lease": {"spec": {"holderIdentity": STR, "leaseDurationSeconds": INT,
                       "leaseTransitions": INT, "acquireTime": STR, "renewTime": STR}},
    "CustomResourceDefinition": {"spec": {
        "group": STR, "scope": STR,
        "names": {"plural": STR, "singular": STR, "kind": STR, "listKind": STR,
                  "shortNames": _list(STR), "categories": _list(STR)},
        "versions": _list({"name": STR, "served": BOOL, "storage": BOOL,
                           "subresources": ANY_MAP, "schema": ANY_MAP,
                           "additionalPrinterColumns": _list(_PRINTER_COLUMN)})},
        "status": ANY_MAP},
}

_PYTHON_TYPES = {STR: (str,), INT: (int,), BOOL: (bool,), ANY_MAP: (dict,)}


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "value")


def _problem(value, shape, path):
    """The first (path, message) where value does not have shape, or None."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return path, f"expected object, got {_json_type(value)}"
        for key, inner in shape.items():
            if value.get(key) is not None:
                if found := _problem(value[key], inner, f"{path}.{key}" if path else key):
                    return found
        return None
    if isinstance(shape, tuple):
        kind, inner = shape
        container = list if kind == "list" else dict
        if not isinstance(value, container):
            return path, f"expected {'array' if kind == 'list' else 'object'}, " \
                         f"got {_json_type(value)}"
        items = enumerate(value) if kind == "list" else value.items()
        for key, item in items:
            label = f"{path}[{key}]"
            if item is None and kind == "list":
                return label, "expected a value, got null"
            if item is not None and (found := _problem(item, inner, label)):
                return found
        return None
    allowed = _PYTHON_TYPES[shape]
    if not isinstance(value, allowed) or (shape == INT and isinstance(value, bool)):
        return path, f"expected {shape}, got {_json_type(value)}"
    return None


def _drop_nulls(value):
    """Built-in kinds decode null as unset, so nulls are dropped before checking."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def checked(rtype, obj):
    """obj (nulls dropped for built-in kinds) once its known fields have their types;
    400 BadRequest naming the first field that does not."""
    if not rtype.custom:
        obj = _drop_nulls(obj)
    shape = {"metadata": METADATA}
    if not rtype.custom:
        shape.update(SHAPES.get(rtype.kind, {}))
    if found := _problem(obj, shape, ""):
        field, message = found
        raise errors.bad_request(f'{rtype.kind} in version "{rtype.version}" cannot be handled '
                                 f'as a {rtype.kind}: {field}: {message}')
    return obj
