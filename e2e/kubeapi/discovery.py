"""What clients read before they touch a resource: /version, the discovery documents
(plain and aggregated), and OpenAPI v2 and v3 documents just rich enough for kubectl.

kubectl 1.32 asks /api and /apis for aggregated discovery (apidiscovery.k8s.io
v2) and falls back to the plain documents; kubectl 1.20 only reads the plain
ones. Before `apply`, kubectl 1.32 asks /openapi/v3 whether PATCH of the kind
takes the `fieldValidation` parameter (it does here, so it leaves validation to
the server); kubectl 1.20 validates against /openapi/v2 in protobuf and skips
kinds the document does not define, which is all of them here.
"""

import hashlib
import json

from .resources import STATUS_VERBS, VERBS

KUBERNETES_VERSION = "v1.32.0"
AGGREGATED_VERSIONS = ("v2", "v2beta1")


def version_info():
    major, minor, _ = KUBERNETES_VERSION[1:].split(".")
    return {"major": major, "minor": minor, "gitVersion": KUBERNETES_VERSION,
            "gitCommit": "0" * 40, "gitTreeState": "clean",
            "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
            "platform": "linux/amd64"}


# ----- plain discovery

def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def _api_group(group, versions):
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry):
    groups = registry.group_versions()
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_api_group(g, groups[g]) for g in sorted(groups) if g]}


def api_group(registry, group):
    versions = registry.group_versions().get(group)
    if not versions:
        return None
    return dict(_api_group(group, versions), kind="APIGroup", apiVersion="v1")


def api_resource_list(registry, group, version):
    types = registry.types_in(group, version)
    if not types:
        return None
    resources = []
    for rtype in types:
        resource = {"name": rtype.plural, "singularName": rtype.singular,
                    "namespaced": rtype.namespaced, "kind": rtype.kind, "verbs": list(VERBS)}
        if rtype.short_names:
            resource["shortNames"] = list(rtype.short_names)
        if rtype.categories:
            resource["categories"] = list(rtype.categories)
        resources.append(resource)
        if rtype.status_subresource:
            resources.append({"name": f"{rtype.plural}/status", "singularName": "",
                              "namespaced": rtype.namespaced, "kind": rtype.kind,
                              "verbs": list(STATUS_VERBS)})
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": types[0].group_version, "resources": resources}


# ----- aggregated discovery

def aggregated_version(accept):
    """The apidiscovery.k8s.io version the Accept header asks for, or None."""
    for media in accept.split(","):
        params = dict(p.strip().split("=", 1) for p in media.split(";")[1:] if "=" in p)
        if params.get("g") == "apidiscovery.k8s.io" and \
                params.get("as") == "APIGroupDiscoveryList" and \
                params.get("v") in AGGREGATED_VERSIONS:
            return params["v"]
    return None


def aggregated_content_type(version):
    return f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"


def _discovery_resource(rtype):
    kind = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
    resource = {"resource": rtype.plural, "responseKind": kind,
                "scope": "Namespaced" if rtype.namespaced else "Cluster",
                "singularResource": rtype.singular, "verbs": list(VERBS)}
    if rtype.short_names:
        resource["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        resource["categories"] = list(rtype.categories)
    if rtype.status_subresource:
        resource["subresources"] = [{"subresource": "status", "responseKind": kind,
                                     "verbs": list(STATUS_VERBS)}]
    return resource


def aggregated_discovery(registry, legacy, version):
    """The APIGroupDiscoveryList of /api (legacy) or /apis."""
    groups = registry.group_versions()
    names = [""] if legacy else sorted(g for g in groups if g)
    items = []
    for group in names:
        versions = [{"version": v, "freshness": "Current",
                     "resources": [_discovery_resource(t) for t in registry.types_in(group, v)]}
                    for v in groups.get(group, [])]
        metadata = {"name": group} if group else {}
        items.append({"metadata": dict(metadata, creationTimestamp=None),
                      "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}


# ----- OpenAPI

def openapi_v2_json():
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
            "paths": {}, "definitions": {}}


def openapi_v2_protobuf():
    """The same document as gnostic's openapi_v2.Document in protobuf: swagger (field 1),
    info (2: title 1, version 2) and an empty paths (8)."""
    info = _proto_string(1, "Kubernetes") + _proto_string(2, KUBERNETES_VERSION)
    return _proto_string(1, "2.0") + _proto_bytes(2, info) + _proto_bytes(8, b"")


def _varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _proto_bytes(field, payload):
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _proto_string(field, text):
    return _proto_bytes(field, text.encode())


def _gv_path(group, version):
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_document(registry, group, version):
    """The OpenAPI v3 document of one group/version: a PATCH operation per kind that
    declares the fieldValidation parameter, and no schemas."""
    types = registry.types_in(group, version)
    if not types:
        return None
    paths = {}
    query = [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
             for name in ("dryRun", "fieldManager", "fieldValidation", "force")]
    for rtype in types:
        prefix = "/" + _gv_path(group, version)
        collection = (f"{prefix}/namespaces/{{namespace}}/{rtype.plural}" if rtype.namespaced
                      else f"{prefix}/{rtype.plural}")
        gvk = {"group": group, "version": version, "kind": rtype.kind}
        paths[f"{collection}/{{name}}"] = {"patch": {
            "operationId": f"patch{rtype.kind}", "parameters": query,
            "responses": {"200": {"description": "OK"}},
            "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk}}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
            "paths": paths, "components": {"schemas": {}}}


def openapi_v3_root(registry):
    paths = {}
    for group, versions in registry.group_versions().items():
        for version in versions:
            document = openapi_v3_document(registry, group, version)
            digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
            path = _gv_path(group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest.upper()}"}
    return {"paths": paths}
