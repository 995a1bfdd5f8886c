#!/usr/bin/env python3
"""The Helm chart (helm/portico) without the helm binary: rendered by
scripts/helm_render.py with the default values (release portico in
portico-system) and with helm/portico/ci/edge-values.yaml (release edge in
edge-system), every document parsed and checked (each Deployment argument a
flag the binary's --help lists; the controller's ServiceAccount the one both
bindings name and the Lease the Role allows; selectors matching pod labels;
the proxies' --controller the controller Service's name and port; probes on
the admin port; TLS files in the mounted Secret); deploy/rbac.yaml equal to the
chart's RBAC; the chart's crds/ the project's crds/. Then kubectl applies the
CRDs and both releases to the stand-in API server, reads every object back,
applies an upgrade, and portico-controller and portico-proxy run with the
rendered arguments (addresses moved to loopback, the Secret volume to files
made here) until both answer /ready. With `helm` on PATH, `helm lint` and
`helm template` must agree with the renderer; without it that check is skipped.

    e2e/test_helm_chart.py --bin-dir build/bin [--kubectl kubectl]
"""

import json
import os
import shutil
import subprocess
import sys

from kubeapi.client import Kubectl, start_kubeapi
from lib import chart_checks as cc
from lib.http_client import HTTP_ERRORS, get_once
from lib.pki import Pki
from lib.polling import wait_until
from lib.scenario import run_scenario

EDGE_VALUES = os.path.join(cc.CHART, "ci", "edge-values.yaml")
RELEASES = (("portico", "portico-system", ()), ("edge", "edge-system", (EDGE_VALUES,)))
UPGRADE_VALUES = """\
ingressClass:
  default: true
controller:
  extraArgs: ["--grpc-cert-refresh=2m"]
proxy:
  replicas: 4
"""


def to_stream(texts):
    return "".join(f"---\n{t}\n" for t in texts)


def check_rendering(renderings, name, namespace, values_files):
    r = cc.Rendering(name, namespace, values_files)
    renderings[name] = r
    kinds = sorted({o["kind"] for o in r.objects})
    return f"{len(r.objects)} objects: {', '.join(kinds)}"


def check_generated_rbac():
    done = subprocess.run([sys.executable, os.path.join(cc.REPO, "scripts", "generate_rbac.py"),
                           "--check"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"deploy/rbac.yaml is not the chart's RBAC:\n{done.stdout}"
                             f"{done.stderr}")
    return "scripts/generate_rbac.py --check"


def check_crds_one_source():
    chart_crds = os.path.join(cc.CHART, "crds")
    if os.path.realpath(chart_crds) != os.path.realpath(os.path.join(cc.REPO, "crds")):
        raise AssertionError(f"{chart_crds} is not a link to crds/")
    expected = sorted(n for n in os.listdir(os.path.join(cc.REPO, "crds"))
                      if n.endswith((".yaml", ".yml")))
    done = subprocess.run([sys.executable, os.path.join(cc.REPO, "scripts", "helm_render.py"),
                           cc.CHART, "--include-crds", "--show-only", "templates/none.yaml"],
                          capture_output=True, text=True, timeout=60)
    sources = [line.split("/crds/")[1] for line in done.stdout.splitlines()
               if line.startswith("# Source: portico/crds/")]
    if done.returncode != 0 or sources != expected:
        raise AssertionError(f"--include-crds printed {sources}, crds/ holds {expected}: "
                             f"{done.stderr}")
    return f"{len(expected)} CRDs through the link"


def check_against_helm(renderings):
    helm = shutil.which("helm")
    if not helm:
        return "SKIPPED: no helm on PATH (Debian bookworm packages none)"
    notes = []
    for name, namespace, values_files in RELEASES:
        flags = [a for f in values_files for a in ("-f", f)]
        lint = subprocess.run([helm, "lint", cc.CHART, "--strict", *flags],
                              capture_output=True, text=True, timeout=120)
        if lint.returncode != 0:
            raise AssertionError(f"helm lint {name}:\n{lint.stdout}{lint.stderr}")
        done = subprocess.run([helm, "template", name, cc.CHART, "--namespace", namespace,
                               *flags], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(f"helm template {name}: {done.stderr}")
        theirs = [d for d in cc.helm_yaml.load_all(done.stdout) if d]
        ours = renderings[name].objects

        def key(o):
            return (o["kind"], o["metadata"]["name"])
        if sorted(theirs, key=key) != sorted(ours, key=key):
            raise AssertionError(f"helm template {name} differs from the renderer:\n"
                                 f"helm: {json.dumps(sorted(theirs, key=key))}\n"
                                 f"ours: {json.dumps(sorted(ours, key=key))}")
        notes.append(f"{name}: {len(ours)} objects equal")
    return "; ".join(notes)


def same_as_applied(rendered, served):
    """Every rendered field is what the server holds (Services: the server adds defaults)."""
    annotations = dict(served["metadata"].get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if rendered["metadata"].get("annotations", {}) != annotations:
        return "metadata.annotations"
    if rendered["metadata"].get("labels") != served["metadata"].get("labels"):
        return "metadata.labels"
    for key, value in rendered.items():
        if key in ("metadata", "status"):
            continue
        if rendered["kind"] == "Service" and key == "spec":
            ports = served["spec"].get("ports", [])
            if any(not any(p.items() <= s.items() for s in ports) for p in value["ports"]):
                return "spec.ports"
            if served["spec"]["selector"] != value["selector"]:
                return "spec.selector"
        elif served.get(key) != value:
            return key
    return None


def kubectl_apply_and_read(kubectl, work_dir, rendering):
    path = os.path.join(work_dir, f"{rendering.name}.yaml")
    with open(path, "w") as f:
        f.write(to_stream(m.text for m in rendering.manifests))
    kubectl.run("apply", "-f", path)
    served = json.loads(kubectl.run("get", "-f", path, "-o", "json").stdout)["items"]
    by_key = {(o["kind"], o["metadata"]["name"]): o for o in served}
    for obj in rendering.objects:
        key = (obj["kind"], obj["metadata"]["name"])
        if key not in by_key:
            raise AssertionError(f"kubectl get does not show {key}")
        differs = same_as_applied(obj, by_key[key])
        if differs:
            raise AssertionError(f"{key}: {differs} differs:\nrendered {json.dumps(obj)}\n"
                                 f"served {json.dumps(by_key[key])}")
    return len(served)


def localize(args, mounts, env, controller_port=None):
    """The container's args as the kubelet would run them ($(VAR) expanded), with every
    listener on 127.0.0.1:0, the Secret volume's path moved to local files and the
    controller's Service address to its loopback port (its name kept for TLS)."""
    out = []
    for arg in args:
        for name, value in env.items():
            arg = arg.replace(f"$({name})", value)
        name, _, value = arg[2:].partition("=")
        if name in ("grpc-listen", "admin-listen"):
            arg = f"--{name}=127.0.0.1:0"
        elif name == "entrypoint":
            arg = f"--entrypoint={value.split('=')[0]}=127.0.0.1:0"
        elif name == "controller":
            host = value.rpartition(":")[0]
            arg = f"--controller=127.0.0.1:{controller_port}"
            if not any(a.startswith("--grpc-server-name=") for a in args):
                out.append(f"--grpc-server-name={host}")
        for mount, local in mounts.items():
            arg = arg.replace(f"={mount}/", f"={local}/")
        out.append(arg)
    return out


def secret_volume(deployment, pki, work_dir, dns_name):
    """{mountPath: folder} standing in for the mounted kubernetes.io/tls Secret."""
    c = cc.container(deployment)
    folder = os.path.join(work_dir, deployment["metadata"]["name"] + "-secret")
    os.makedirs(folder, exist_ok=True)
    crt, key = pki.issue(deployment["metadata"]["name"], dns_name)
    for source, target in ((crt, "tls.crt"), (key, "tls.key"), (pki.ca_crt, "ca.crt")):
        shutil.copyfile(source, os.path.join(folder, target))
    return {m["mountPath"]: folder for m in c["volumeMounts"]}


def run_release(launcher, api, kubectl, work_dir, rendering, scale):
    """Starts the rendered controller and proxy; returns once both answer /ready 200."""
    pki = Pki(os.path.join(work_dir, rendering.name + "-pki"), rendering.name)
    controller, proxy = rendering.deployment("controller"), rendering.deployment("proxy")
    controller_args = cc.container(controller)["args"]
    address = cc.one_flag(cc.container(proxy)["args"], "controller").rpartition(":")[0]
    server_name = cc.flag_values(cc.container(proxy)["args"]).get("grpc-server-name", [address])
    processes = launcher.processes

    os.environ.update(POD_NAMESPACE=rendering.namespace, POD_NAME=f"{rendering.name}-c-0")
    mounts = secret_volume(controller, pki, work_dir, server_name[0])
    process = processes.start(f"{rendering.name}-controller", [
        launcher.controller_bin, *localize(controller_args, mounts, dict(os.environ)),
        f"--kubeconfig={api.kubeconfig}"])
    _, grpc_port = process.wait_for_listening("controller: grpc listening on ", 10 * scale)
    _, admin_port = process.wait_for_listening("controller: admin listening on ", 10 * scale)
    wait_until(lambda: get_once("127.0.0.1", admin_port, "/ready").status == 200, 20 * scale,
               f"{rendering.name} controller /ready", retry_on=HTTP_ERRORS)
    lease_ns, lease_name = cc.one_flag(controller_args, "lease").split("/")
    wait_until(lambda: kubectl.run("get", "lease", lease_name, "-n", lease_ns,
                                   check=False).returncode == 0, 20 * scale,
               f"the Lease {lease_ns}/{lease_name} the Role allows")

    os.environ.update(POD_NAME=f"{rendering.name}-p-0")
    mounts = secret_volume(proxy, pki, work_dir, "proxy." + rendering.namespace)
    process = processes.start(f"{rendering.name}-proxy", [
        launcher.proxy_bin,
        *localize(cc.container(proxy)["args"], mounts, dict(os.environ), grpc_port)])
    _, proxy_admin = process.wait_for_listening("proxy: admin listening on ", 10 * scale)
    wait_until(lambda: get_once("127.0.0.1", proxy_admin, "/ready").status == 200, 20 * scale,
               f"{rendering.name} proxy /ready (a snapshot over mutual TLS)",
               retry_on=HTTP_ERRORS)
    return f"{len(controller_args)} controller and {len(cc.container(proxy)['args'])} proxy args"


def run(launcher, kubectl_bin, work_dir, scale, runner):
    renderings = {}
    for name, namespace, values_files in RELEASES:
        runner.run(f"{name}: renders and every document parses", check_rendering, renderings,
                   name, namespace, values_files)
    if len(renderings) != len(RELEASES):
        return
    controller_flags, controller_help = cc.help_flags(launcher.controller_bin)
    proxy_flags, proxy_help = cc.help_flags(launcher.proxy_bin)
    helps = {"controller": controller_help, "proxy": proxy_help}
    for name, r in renderings.items():
        runner.run(f"{name}: every Deployment arg is a flag the binary accepts",
                   cc.check_args_are_flags, r, controller_flags, proxy_flags)
        runner.run(f"{name}: the controller's ServiceAccount is the one bound",
                   cc.check_service_account_bound, r)
        runner.run(f"{name}: selectors match pod labels", cc.check_selectors, r)
        runner.run(f"{name}: --controller is the controller Service",
                   cc.check_controller_address, r)
        runner.run(f"{name}: listeners, probes and downward API",
                   cc.check_listeners_and_probes, r, helps)
        runner.run(f"{name}: TLS files come from the Secret volume", cc.check_tls_mounts, r)
        runner.run(f"{name}: ingress class and publish Service", cc.check_class_and_publish, r)
    runner.run("deploy/rbac.yaml is the chart's RBAC", check_generated_rbac)
    runner.run("the chart's crds/ is crds/", check_crds_one_source)
    runner.run("helm lint and helm template agree with the renderer", check_against_helm,
               renderings)

    api = start_kubeapi(launcher.processes, work_dir)
    kubectl = Kubectl(kubectl_bin, api.kubeconfig, os.path.join(work_dir, "kubectl-cache"))

    def check_apply():
        # apply, not `create namespace`: that one sends protobuf, which the server refuses.
        kubectl.run("apply", "-f", "-", stdin=to_stream(
            f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {n}"
            for n in ("portico-system", "edge-system", "shop", "blog")))
        crds = os.path.join(work_dir, "crds.yaml")
        with open(crds, "w") as f:
            f.write(to_stream(open(p).read() for p in cc.helm_render.load_chart(cc.CHART)[3]))
        kubectl.run("apply", "-f", crds)
        counts = [kubectl_apply_and_read(kubectl, work_dir, renderings[name])
                  for name, _, _ in RELEASES]
        return f"CRDs, then {counts} objects read back as rendered"

    def check_upgrade():
        values = os.path.join(work_dir, "upgrade-values.yaml")
        with open(values, "w") as f:
            f.write(UPGRADE_VALUES)
        upgraded = cc.Rendering("portico", "portico-system", (values,))
        kubectl_apply_and_read(kubectl, work_dir, upgraded)
        proxy = json.loads(kubectl.run("get", "deployment", "portico-proxy", "-n",
                                       "portico-system", "-o", "json").stdout)
        controller = json.loads(kubectl.run("get", "deployment", "portico-controller", "-n",
                                            "portico-system", "-o", "json").stdout)
        args = cc.container(controller)["args"]
        if proxy["spec"]["replicas"] != 4 or "--grpc-cert-refresh=2m" not in args:
            raise AssertionError(f"after the upgrade: replicas {proxy['spec']['replicas']}, "
                                 f"controller args {args}")
        kubectl_apply_and_read(kubectl, work_dir, renderings["portico"])  # and back
        return "proxy replicas 2 -> 4, a controller flag added, then rolled back"

    runner.run("kubectl apply: CRDs first, then both releases", check_apply)
    if runner.failed:
        return
    runner.run("kubectl apply of changed values (an upgrade), then back", check_upgrade)
    for name, _, _ in RELEASES:
        runner.run(f"{name}: the binaries run with the rendered args", run_release, launcher,
                   api, kubectl, work_dir, renderings[name], scale)


def scenario(launcher, manifests, scale, runner, kubectl_bin):
    run(launcher, kubectl_bin, os.path.dirname(manifests.path), scale, runner)


if __name__ == "__main__":
    sys.exit(run_scenario("e2e helm chart", "portico-e2e-helm-chart-", scenario, kubectl=True))
