"""The three patch formats of PATCH requests, applied to plain JSON values.

- JSON merge patch (RFC 7386): maps merge, null deletes, lists are replaced.
- Strategic merge patch: a merge patch where some lists of built-in kinds merge
  by a key (Service `spec.ports` by `port`, `metadata.ownerReferences` by `uid`,
  a Deployment's containers and volumes by `name`)
  and the directives kubectl sends (`$patch`, `$setElementOrder/`,
  `$deleteFromPrimitiveList/`, `$retainKeys`) are honoured.
- JSON patch (RFC 6902): add, remove, replace, move, copy, test.

Every function returns a new value and raises ApiError (400 or 422) on a patch
that does not apply, naming the operation or field.
"""

import copy

from .errors import ApiError, bad_request

# Lists that merge instead of being replaced, per kind: path (list elements are
# transparent) -> merge key, or None for a list of primitives merged as a set.
_COMMON_MERGE_KEYS = {("metadata", "finalizers"): None, ("metadata", "ownerReferences"): "uid"}
MERGE_KEYS = {
    "Service": {("spec", "ports"): "port", ("status", "conditions"): "type"},
    "Namespace": {("status", "conditions"): "type"},
    "CustomResourceDefinition": {("status", "conditions"): "type"},
    "Ingress": {},
    # The pod template's containers and volumes merge by name (lists inside a
    # container, such as env, are replaced whole: merge keys reach one level).
    "Deployment": {("spec", "template", "spec", "containers"): "name",
                   ("spec", "template", "spec", "volumes"): "name"},
}


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target, patch, kind):
    keys = dict(_COMMON_MERGE_KEYS)
    keys.update(MERGE_KEYS.get(kind, {}))
    if not isinstance(patch, dict):
        raise bad_request("a strategic merge patch must be a JSON object")
    result = _strategic_map(copy.deepcopy(target) if isinstance(target, dict) else {},
                            patch, keys, ())
    if result is None:
        raise bad_request('a strategic merge patch may not delete the whole object ($patch: '
                          'delete at the top)')
    return result


def _strategic_map(original, patch, keys, path):
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    body = {k: v for k, v in patch.items() if not k.startswith("$")}
    if directive == "replace":
        return copy.deepcopy(body)
    if directive not in (None, "merge"):
        raise bad_request(f"unknown $patch directive {directive!r} at {_show(path)}")
    for key, value in body.items():
        field_path = path + (key,)
        if value is None:
            original.pop(key, None)
        elif isinstance(value, dict) and isinstance(original.get(key), dict):
            merged = _strategic_map(original[key], value, keys, field_path)
            if merged is None:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, dict):
            merged = _strategic_map({}, value, keys, field_path)
            if merged is not None:
                original[key] = merged
        elif isinstance(value, list) and field_path in keys:
            current = original.get(key)
            original[key] = _merge_list(current if isinstance(current, list) else [], value,
                                        keys[field_path], field_path)
        else:
            original[key] = copy.deepcopy(value)
    _apply_list_directives(original, patch, keys, path)
    if isinstance(patch.get("$retainKeys"), list):
        retained = {k for k in patch["$retainKeys"] if isinstance(k, str)}
        for key in [k for k in original if k not in retained]:
            del original[key]
    return original


def _apply_list_directives(original, patch, keys, path):
    for name, value in patch.items():
        if name.startswith("$deleteFromPrimitiveList/"):
            field = name.split("/", 1)[1]
            if isinstance(original.get(field), list) and isinstance(value, list):
                original[field] = [v for v in original[field] if v not in value]
        elif name.startswith("$setElementOrder/"):
            field = name.split("/", 1)[1]
            if isinstance(original.get(field), list) and isinstance(value, list):
                original[field] = _reorder(original[field], value, keys.get(path + (field,)))


def _merge_list(original, patch, merge_key, path):
    if any(isinstance(e, dict) and e.get("$patch") == "replace" for e in patch):
        return [{k: v for k, v in e.items() if k != "$patch"} for e in patch
                if not (isinstance(e, dict) and e.get("$patch") == "replace")]
    result = copy.deepcopy(original)
    if merge_key is None:  # a set of primitives
        return result + [v for v in patch if v not in result]
    for element in patch:
        if not isinstance(element, dict) or merge_key not in element:
            raise bad_request(f"{_show(path)}: every element of a strategic merge patch list "
                              f"needs its merge key {merge_key!r}")
        index = next((i for i, e in enumerate(result)
                      if isinstance(e, dict) and e.get(merge_key) == element[merge_key]), None)
        if element.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append({k: v for k, v in element.items() if not k.startswith("$")})
        else:
            result[index] = _strategic_map(result[index], element, {}, path)
    return result


def _reorder(elements, order, merge_key):
    def identity(e):
        return e.get(merge_key) if merge_key and isinstance(e, dict) else e
    wanted = [identity(e) for e in order]
    ranked = sorted(range(len(elements)), key=lambda i: (
        wanted.index(identity(elements[i])) if identity(elements[i]) in wanted else len(wanted),
        i))
    return [elements[i] for i in ranked]


def _show(path):
    return ".".join(path) or "(root)"


def json_patch(target, operations):
    if not isinstance(operations, list):
        raise bad_request("a JSON patch must be a JSON array of operations")
    document = copy.deepcopy(target)
    for number, op in enumerate(operations):
        if not isinstance(op, dict) or not isinstance(op.get("op"), str) \
                or not isinstance(op.get("path"), str):
            raise bad_request(f"JSON patch operation {number}: needs string 'op' and 'path'")
        document = _json_patch_op(document, op, number)
    return document


def _pointer(path, number):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"JSON patch operation {number}: path {path!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(document, tokens, number, path):
    """The container holding the last token, and that token (an int for lists)."""
    parent = document
    for token in tokens[:-1]:
        parent = _child(parent, token, number, path)
    last = tokens[-1]
    if isinstance(parent, list):
        if last == "-":
            return parent, len(parent)
        if not last.isdigit() or int(last) > len(parent):
            raise _unprocessable(number, f"index {last!r} out of range in {path!r}")
        return parent, int(last)
    if not isinstance(parent, dict):
        raise _unprocessable(number, f"{path!r} does not lead into an object or array")
    return parent, last


def _child(value, token, number, path):
    if isinstance(value, dict) and token in value:
        return value[token]
    if isinstance(value, list) and token.isdigit() and int(token) < len(value):
        return value[int(token)]
    raise _unprocessable(number, f"path {path!r} does not exist")


def _unprocessable(number, message):
    return ApiError(422, "Invalid", f"JSON patch operation {number}: {message}")


def _get(document, path, number):
    value = document
    for token in _pointer(path, number):
        value = _child(value, token, number, path)
    return value


def _json_patch_op(document, op, number):
    kind, path = op["op"], op["path"]
    if kind == "test":
        if _get(document, path, number) != op.get("value"):
            raise _unprocessable(number, f"test failed at {path!r}")
        return document
    if kind in ("move", "copy"):
        if "from" not in op:
            raise bad_request(f"JSON patch operation {number}: {kind} needs 'from'")
        value = copy.deepcopy(_get(document, op["from"], number))
        if kind == "move":
            document = _json_patch_op(document, {"op": "remove", "path": op["from"]}, number)
        return _json_patch_op(document, {"op": "add", "path": path, "value": value}, number)
    tokens = _pointer(path, number)
    if kind in ("add", "replace") and "value" not in op:
        raise bad_request(f"JSON patch operation {number}: {kind} needs 'value'")
    if not tokens:
        if kind == "remove":
            raise _unprocessable(number, "cannot remove the whole document")
        return copy.deepcopy(op["value"])
    parent, last = _resolve(document, tokens, number, path)
    if kind == "add":
        if isinstance(parent, list):
            parent.insert(last, copy.deepcopy(op["value"]))
        else:
            parent[last] = copy.deepcopy(op["value"])
    elif kind in ("remove", "replace"):
        exists = last < len(parent) if isinstance(parent, list) else last in parent
        if not exists:
            raise _unprocessable(number, f"path {path!r} does not exist")
        if kind == "remove":
            del parent[last]
        else:
            parent[last] = copy.deepcopy(op["value"])
    else:
        raise bad_request(f"JSON patch operation {number}: unknown op {kind!r}")
    return document
