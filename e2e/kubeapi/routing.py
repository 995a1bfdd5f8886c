"""Request paths of the Kubernetes API, parsed into what they address.

    /api/v1/namespaces/NS/services/NAME/status   -> resource request
    /apis/GROUP/VERSION/ingressclasses           -> resource request (cluster scope)
    /api/v1/watch/namespaces/NS/services         -> resource request, watch
    /api, /apis, /apis/GROUP, /apis/GROUP/VERSION -> discovery
"""

from dataclasses import dataclass
from urllib.parse import unquote

from .errors import path_not_found


@dataclass
class ResourceRequest:
    rtype: object
    namespace: str  # None: every namespace (or a cluster-scoped kind, then "")
    name: str  # None: the collection
    subresource: str
    watch_path: bool  # the deprecated /watch/ prefix


@dataclass
class Route:
    kind: str  # version, health, api, apis, group, group_version, openapi_v2, openapi_v3,
    #            openapi_v3_gv, resource, fault
    group: str = ""
    version: str = ""
    detail: object = None  # ResourceRequest, the fault name, the health check


def parse(registry, path):
    parts = [unquote(p) for p in path.split("/") if p]
    if not parts:
        return Route("apis_root")
    head = parts[0]
    if head == "version" and len(parts) == 1:
        return Route("version")
    if head in ("healthz", "livez", "readyz"):
        return Route("health", detail="/".join(parts))
    if head == "_fault":
        return Route("fault", detail="/".join(parts[1:]))
    if head == "openapi":
        return _openapi(parts)
    if head == "api":
        if len(parts) == 1:
            return Route("api")
        return _group_path(registry, "", parts[1], parts[2:])
    if head == "apis":
        if len(parts) == 1:
            return Route("apis")
        if len(parts) == 2:
            return Route("group", group=parts[1])
        return _group_path(registry, parts[1], parts[2], parts[3:])
    raise path_not_found()


def _openapi(parts):
    if parts[1:] == ["v2"]:
        return Route("openapi_v2")
    if parts[1:] == ["v3"]:
        return Route("openapi_v3")
    if len(parts) >= 4 and parts[1] == "v3":
        rest = parts[2:]
        if rest[0] == "api" and len(rest) == 2:
            return Route("openapi_v3_gv", "", rest[1])
        if rest[0] == "apis" and len(rest) == 3:
            return Route("openapi_v3_gv", rest[1], rest[2])
    raise path_not_found()


def _group_path(registry, group, version, rest):
    if not rest:
        return Route("group_version", group, version)
    watch_path = rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        inner = registry.lookup(group, version, rest[2])
        if inner is not None and inner.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise path_not_found()
    rtype = registry.lookup(group, version, rest[0])
    if rtype is None:
        raise path_not_found()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if subresource is not None and not (subresource == "status" and rtype.status_subresource):
        raise path_not_found()
    if rtype.namespaced and namespace is None and name is not None:
        raise path_not_found()
    if not rtype.namespaced:
        namespace = ""
    return Route("resource", group, version,
                 ResourceRequest(rtype, namespace, name, subresource, watch_path))
