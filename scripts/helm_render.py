#!/usr/bin/env python3
"""Renders a Helm chart as `helm template` does, for charts inside the subset of
scripts/helm_template.py (helm/README.md), with the Python standard library only:
Debian bookworm packages no helm, and CI must still render and check the chart.

    scripts/helm_render.py helm/portico [-f values.yaml ...] [--name portico]
        [--namespace portico-system] [--show-only templates/x.yaml] [--include-crds]

Output: each manifest as `---`, `# Source: CHART/templates/FILE`, its text; sorted
by kind in Helm's install order; with --include-crds the chart's crds/ first.
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import helm_template  # noqa: E402
import helm_yaml  # noqa: E402

# pkg/releaseutil/kind_sorter.go InstallOrder (Helm 3).
INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
    "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService")
_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")
_KIND = re.compile(r"^kind:\s*(\S+)", re.M)


class Manifest:
    def __init__(self, source, text):
        self.source, self.text = source, text
        match = _KIND.search(text)
        self.kind = match.group(1) if match else ""


def as_helm_numbers(value):
    """Values as Helm holds them after reading YAML through JSON: every number a float64."""
    if isinstance(value, dict):
        return {k: as_helm_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_helm_numbers(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def merge_values(base, override):
    """Helm's coalescing of a -f file over the chart's values: maps merge key by key,
    anything else replaces, and null deletes the key."""
    result = dict(base)
    for key, value in override.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_values(result[key], value)
        else:
            result[key] = value
    return result


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_chart(chart_dir):
    """(metadata for .Chart, default values, {templates/NAME: source}, [crds/ paths])."""
    meta = helm_yaml.load(_read(os.path.join(chart_dir, "Chart.yaml")))
    if meta.get("apiVersion") != "v2":
        raise ValueError(f"{chart_dir}/Chart.yaml: apiVersion v2 expected")
    chart = {k[0].upper() + k[1:]: v for k, v in meta.items()}
    values_path = os.path.join(chart_dir, "values.yaml")
    values = helm_yaml.load(_read(values_path)) if os.path.exists(values_path) else {}
    templates = {}
    template_dir = os.path.join(chart_dir, "templates")
    for name in sorted(os.listdir(template_dir)):
        if name.endswith((".yaml", ".yml", ".tpl")):
            templates[f"templates/{name}"] = _read(os.path.join(template_dir, name))
    crd_dir = os.path.join(chart_dir, "crds")
    crds = []
    if os.path.isdir(crd_dir):  # followed when a symlink, as Helm's loader follows it
        crds = [os.path.join(crd_dir, n) for n in sorted(os.listdir(crd_dir))
                if n.endswith((".yaml", ".yml", ".json"))]
    return chart, values or {}, templates, crds


def render(chart_dir, values_files=(), name="portico", namespace="default"):
    """[Manifest] of every template, in Helm's install order."""
    chart, values, templates, _ = load_chart(chart_dir)
    for path in values_files:
        values = merge_values(values, helm_yaml.load(_read(path)) or {})
    data = {
        "Values": as_helm_numbers(values),
        "Chart": chart,
        "Release": {"Name": name, "Namespace": namespace, "Service": "Helm",
                    "IsInstall": True, "IsUpgrade": False, "Revision": 1},
    }
    engine = helm_template.Template(templates)
    manifests = []
    for template_name in templates:
        if os.path.basename(template_name).startswith("_"):
            continue
        text = engine.render(template_name, data).replace("<no value>", "")
        for document in _SEPARATOR.split(text):
            if document.strip():
                manifests.append(Manifest(f"{chart['Name']}/{template_name}", document.strip()))
    order = {kind: i for i, kind in enumerate(INSTALL_ORDER)}
    manifests.sort(key=lambda m: (order.get(m.kind, len(order)), m.kind if m.kind not in order
                                  else ""))
    return manifests


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chart")
    parser.add_argument("-f", "--values", action="append", default=[])
    parser.add_argument("--name", default="portico")
    parser.add_argument("-n", "--namespace", default="default")
    parser.add_argument("-s", "--show-only", action="append", default=[])
    parser.add_argument("--include-crds", action="store_true")
    args = parser.parse_args(argv)
    try:
        manifests = render(args.chart, args.values, args.name, args.namespace)
    except (helm_template.TemplateError, ValueError, OSError) as e:
        print(f"helm_render: {e}", file=sys.stderr)
        return 1
    chart_name = load_chart(args.chart)[0]["Name"]
    out = []
    if args.include_crds:
        for path in load_chart(args.chart)[3]:
            text = _read(path)
            out.append(f"---\n# Source: {chart_name}/crds/{os.path.basename(path)}\n{text}"
                       + ("" if text.endswith("\n") else "\n"))
    for manifest in manifests:
        if args.show_only and manifest.source.split("/", 1)[1] not in args.show_only:
            continue
        out.append(f"---\n# Source: {manifest.source}\n{manifest.text}\n")
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
