"""What kube-apiserver does per kind on writes: defaults, allocated values, validation.

Only what Portico's controller and tests observe is modelled: Service cluster IPs
and node ports, Secret `stringData`, Namespace phase, Ingress and EndpointSlice
field checks, and the CRD status (Established, NamesAccepted) that makes a CRD
served at once.
"""

import base64
import binascii
import re

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def name_problem(rtype, name):
    """Why `name` is not a valid name for this kind, or None."""
    if rtype.custom:
        if name in (".", "..") or "/" in name or "%" in name:
            return "may not be '.' or '..' and may not contain '/' or '%'"
        return None
    if rtype.kind in ("Namespace", "Service"):
        pattern, limit = (_DNS_LABEL, 63) if rtype.kind == "Namespace" else (_DNS_1035, 63)
        what = "an RFC 1123 label" if rtype.kind == "Namespace" else "an RFC 1035 label"
    else:
        pattern, limit, what = _DNS_SUBDOMAIN, 253, "an RFC 1123 subdomain"
    if len(name) > limit or not pattern.match(name):
        return f"a lowercase {what} of at most {limit} characters must be given"
    return None


def prepare_create(allocations, rtype, obj):
    """Defaults and server-owned fields of a new object (status is the server's)."""
    if rtype.status_subresource:
        obj.pop("status", None)
    kind = None if rtype.custom else rtype.kind
    if kind == "Namespace":
        _default_namespace(obj)
    elif kind == "Service":
        _default_service(allocations, obj, None)
        obj["status"] = {"loadBalancer": {}}
    elif kind == "Secret":
        _fold_string_data(obj)
    elif kind == "Ingress":
        obj["status"] = {"loadBalancer": {}}
    elif kind == "CustomResourceDefinition":
        obj["status"] = crd_status(obj)


def prepare_update(allocations, rtype, old, new):
    """Carries over what the server allocated and applies defaults to an updated object."""
    kind = None if rtype.custom else rtype.kind
    if kind == "Namespace":
        _default_namespace(new)
    elif kind == "Service":
        _default_service(allocations, new, old)
    elif kind == "Secret":
        _fold_string_data(new)
    elif kind == "CustomResourceDefinition":
        status = dict(new.get("status") or {})
        status.update(crd_status(new))
        new["status"] = status


def _default_namespace(obj):
    name = obj["metadata"]["name"]
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    if "status" not in obj:
        obj["status"] = {"phase": "Active"}


def _default_service(allocations, obj, old):
    spec = obj.setdefault("spec", {})
    old_spec = (old or {}).get("spec") or {}
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    if spec["type"] == "ExternalName":
        return
    if not spec.get("clusterIP"):
        spec["clusterIP"] = old_spec.get("clusterIP") or _next_cluster_ip(allocations)
    if spec["clusterIP"] != "None":
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []
                     if isinstance(p, dict)}
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and not port.get("nodePort"):
                port["nodePort"] = old_ports.get(port.get("port")) or _next_node_port(allocations)


def _next_cluster_ip(allocations):
    n = allocations.get("cluster_ip", 10)
    allocations["cluster_ip"] = n + 1
    return f"10.96.{n // 256 % 256}.{n % 256}"


def _next_node_port(allocations):
    port = allocations.get("node_port", 30000)
    allocations["node_port"] = 30000 + (port + 1 - 30000) % 2768
    return port


def _fold_string_data(obj):
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict):
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
    obj.setdefault("type", "Opaque")


def crd_status(crd):
    spec = crd.get("spec") or {}
    storage = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
    old = (crd.get("status") or {}).get("storedVersions") or []
    stored = old + [v for v in storage if v not in old]
    conditions = [
        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
         "message": "no conflicts found"},
        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
         "message": "the initial names have been accepted"},
    ]
    for condition in conditions:
        condition["lastTransitionTime"] = crd["metadata"].get("creationTimestamp") or ""
    return {"acceptedNames": spec.get("names") or {}, "conditions": conditions,
            "storedVersions": stored}


def validate(rtype, obj):
    """(field, message) pairs of what kube-apiserver would reject with 422 Invalid."""
    if rtype.custom:
        return []
    check = _VALIDATORS.get(rtype.kind)
    return check(obj) if check else []


def _validate_service(obj):
    spec = obj.get("spec") or {}
    causes = []
    if spec.get("type") not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        causes.append(("spec.type", f"Unsupported value: {spec.get('type')!r}"))
    if spec.get("type") == "ExternalName" and not spec.get("externalName"):
        causes.append(("spec.externalName", "Required value"))
    ports = spec.get("ports")
    if ports is not None and not isinstance(ports, list):
        causes.append(("spec.ports", "must be a list"))
        return causes
    for i, port in enumerate(ports or []):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append((f"spec.ports[{i}].port", f"Invalid value: {number!r}: must be "
                           "between 1 and 65535, inclusive"))
    if spec.get("type") != "ExternalName" and not ports:
        causes.append(("spec.ports", "Required value"))
    return causes


def _validate_ingress(obj):
    spec = obj.get("spec") or {}
    causes = []
    if not spec.get("defaultBackend") and not spec.get("rules"):
        causes.append(("spec", "either `defaultBackend` or `rules` must be specified"))
    for i, rule in enumerate(spec.get("rules") or []):
        paths = ((rule or {}).get("http") or {}).get("paths") or []
        for j, path in enumerate(paths):
            where = f"spec.rules[{i}].http.paths[{j}]"
            path_type = (path or {}).get("pathType")
            if path_type not in ("Exact", "Prefix", "ImplementationSpecific"):
                causes.append((f"{where}.pathType", f"Unsupported value: {path_type!r}: "
                               'supported values: "Exact", "ImplementationSpecific", "Prefix"'))
            elif path_type != "ImplementationSpecific" and \
                    not str(path.get("path", "")).startswith("/"):
                causes.append((f"{where}.path", "must be an absolute path"))
            backend = (path or {}).get("backend") or {}
            if bool(backend.get("service")) == bool(backend.get("resource")):
                causes.append((f"{where}.backend", "exactly one of service or resource "
                               "must be specified"))
    return causes


def _validate_endpoint_slice(obj):
    if obj.get("addressType") not in ("IPv4", "IPv6", "FQDN"):
        return [("addressType", f"Unsupported value: {obj.get('addressType')!r}: supported "
                 'values: "FQDN", "IPv4", "IPv6"')]
    return []


def _validate_secret(obj):
    causes = []
    data = obj.get("data") or {}
    if not isinstance(data, dict):
        return [("data", "must be a map of base64 strings")]
    for key, value in data.items():
        try:
            base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            causes.append((f"data[{key}]", "illegal base64 data"))
    if obj.get("type") == "kubernetes.io/tls":
        causes += [(f"data[{k}]", "Required value") for k in ("tls.crt", "tls.key")
                   if k not in data]
    return causes


def _validate_crd(obj):
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    causes = []
    group = spec.get("group") or ""
    if "." not in group:
        causes.append(("spec.group", "should be a domain with at least one dot"))
    elif group.endswith(("k8s.io", "kubernetes.io")):
        causes.append(("spec.group", "groups of kubernetes.io and k8s.io are reserved"))
    for field in ("plural", "kind"):
        if not names.get(field):
            causes.append((f"spec.names.{field}", "Required value"))
    if obj["metadata"]["name"] != f"{names.get('plural')}.{group}":
        causes.append(("metadata.name", "must be spec.names.plural+\".\"+spec.group"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(("spec.scope", 'Unsupported value: must be "Cluster" or "Namespaced"'))
    versions = spec.get("versions") or []
    if not versions or not all(isinstance(v, dict) and v.get("name") for v in versions):
        causes.append(("spec.versions", "must have at least one version, each with a name"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(("spec.versions", "must have exactly one version marked as storage"))
    return causes


_VALIDATORS = {
    "Service": _validate_service,
    "Ingress": _validate_ingress,
    "EndpointSlice": _validate_endpoint_slice,
    "Secret": _validate_secret,
    "CustomResourceDefinition": _validate_crd,
}
