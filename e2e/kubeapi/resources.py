"""The resource types the server serves: built-in kinds, and the kinds CRDs define.

A ResourceType is one served group/version/plural. Objects are stored under its
`key` (group, plural), so every version of a CRD shares one set of objects.
"""

import re
from dataclasses import dataclass, field

VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class PrinterColumn:
    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple = ()
    categories: tuple = ()
    status_subresource: bool = False
    printer_columns: tuple = ()
    custom: bool = False  # defined by a CRD: merge patch only, items carry apiVersion/kind
    field_labels: tuple = ()  # field selector labels besides metadata.name/namespace

    @property
    def group_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self):
        return (self.group, self.plural)

    @property
    def qualified(self):
        """The name errors use: `ingresses.networking.k8s.io`, `services`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _builtin(group, version, plural, kind, namespaced, short=(), status=False, fields=()):
    return ResourceType(group, version, plural, kind.lower(), kind, namespaced, tuple(short),
                        status_subresource=status, field_labels=tuple(fields))


BUILTIN_TYPES = (
    _builtin("", "v1", "namespaces", "Namespace", False, ["ns"], status=True,
             fields=["status.phase"]),
    _builtin("", "v1", "services", "Service", True, ["svc"], status=True,
             fields=["spec.clusterIP", "spec.type"]),
    _builtin("", "v1", "endpoints", "Endpoints", True, ["ep"]),
    _builtin("", "v1", "secrets", "Secret", True, fields=["type"]),
    _builtin("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
    _builtin("", "v1", "events", "Event", True, ["ev"]),
    _builtin("networking.k8s.io", "v1", "ingresses", "Ingress", True, ["ing"], status=True),
    _builtin("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    _builtin("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    _builtin("coordination.k8s.io", "v1", "leases", "Lease", True),
    # What the Helm chart (helm/portico) installs besides the kinds above: stored and
    # served, not acted on (no pods are started, no RBAC is enforced).
    _builtin("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
    _builtin("apps", "v1", "deployments", "Deployment", True, ["deploy"], status=True),
    _builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"],
             status=True),
    _builtin("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True,
             ["hpa"], status=True),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
             False),
    _builtin("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions",
             "CustomResourceDefinition", False, ["crd", "crds"], status=True),
)
CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
NAMESPACE_KEY = ("", "namespaces")

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version):
    """Sort key of Kubernetes version names: GA before beta before alpha, higher first,
    then anything else alphabetically (as kube-apiserver orders group versions)."""
    match = _VERSION_RE.match(version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)


def types_from_crd(crd):
    """The ResourceTypes an established CRD serves (one per served version)."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    served = []
    for version in spec.get("versions", []):
        if not version.get("served"):
            continue
        subresources = version.get("subresources") or {}
        columns = tuple(
            PrinterColumn(c.get("name", ""), c.get("type", "string"), c.get("jsonPath", ""),
                          c.get("description", ""), int(c.get("priority", 0)),
                          c.get("format", ""))
            for c in version.get("additionalPrinterColumns") or [])
        served.append(ResourceType(
            spec["group"], version["name"], names["plural"],
            names.get("singular") or names["kind"].lower(), names["kind"],
            spec.get("scope") == "Namespaced", tuple(names.get("shortNames") or ()),
            tuple(names.get("categories") or ()), "status" in subresources, columns,
            custom=True))
    return served


@dataclass
class Registry:
    """Every served ResourceType, looked up by group/version/plural or group/version/kind.
    Rebuilt (a new dict) whenever the set of CRDs changes; readers take the current one."""
    builtin: tuple = BUILTIN_TYPES
    by_path: dict = field(default_factory=dict)

    def __post_init__(self):
        self.rebuild([])

    def rebuild(self, crds):
        table = {(t.group, t.version, t.plural): t for t in self.builtin}
        for crd in crds:
            for rtype in types_from_crd(crd):
                table.setdefault((rtype.group, rtype.version, rtype.plural), rtype)
        self.by_path = table

    def lookup(self, group, version, plural):
        return self.by_path.get((group, version, plural))

    def all_types(self):
        return list(self.by_path.values())

    def group_versions(self):
        """{group: [versions, preferred first]} of everything served."""
        groups = {}
        for rtype in self.by_path.values():
            versions = groups.setdefault(rtype.group, [])
            if rtype.version not in versions:
                versions.append(rtype.version)
        return {g: sorted(v, key=version_priority) for g, v in groups.items()}

    def types_in(self, group, version):
        return sorted((t for t in self.by_path.values()
                       if t.group == group and t.version == version), key=lambda t: t.plural)
