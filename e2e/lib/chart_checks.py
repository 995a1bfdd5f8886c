"""What must hold in the rendered Helm chart (helm/portico) for a cluster to run it:
checks over parsed manifests, each raising AssertionError with what is wrong.

A Rendering is one release rendered by scripts/helm_render.py: every document
parsed, looked up by kind and name.
"""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(REPO, "helm", "portico")
sys.path.insert(0, os.path.join(REPO, "scripts"))

import helm_render  # noqa: E402
import helm_yaml  # noqa: E402

INGRESS_CONTROLLER = "portico.dev/ingress-controller"


class Rendering:
    def __init__(self, name, namespace, values_files=()):
        self.name, self.namespace = name, namespace
        self.manifests = helm_render.render(CHART, values_files, name, namespace)
        self.objects = []
        for manifest in self.manifests:
            try:
                obj = helm_yaml.load(manifest.text)
            except ValueError as e:
                raise AssertionError(f"{manifest.source} does not parse: {e}\n{manifest.text}")
            if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
                raise AssertionError(f"{manifest.source}: not a Kubernetes object:\n{manifest.text}")
            self.objects.append(obj)

    def all(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind, name=None):
        found = [o for o in self.all(kind) if name is None or o["metadata"]["name"] == name]
        if len(found) != 1:
            raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}")
        return found[0]

    def deployment(self, component):
        found = [d for d in self.all("Deployment")
                 if d["spec"]["template"]["metadata"]["labels"].get(
                     "app.kubernetes.io/component") == component]
        if len(found) != 1:
            raise AssertionError(f"expected one {component} Deployment, found {len(found)}")
        return found[0]

    def service_for(self, deployment):
        """The one Service whose selector picks the Deployment's pods."""
        labels = pod_labels(deployment)
        found = [s for s in self.all("Service") if selects(s["spec"]["selector"], labels)]
        if len(found) != 1:
            raise AssertionError(f"expected one Service selecting {deployment['metadata']['name']}"
                                 f" pods, found {[s['metadata']['name'] for s in found]}")
        return found[0]


def pod_labels(deployment):
    return deployment["spec"]["template"]["metadata"]["labels"]


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def container(deployment):
    containers = deployment["spec"]["template"]["spec"]["containers"]
    if len(containers) != 1:
        raise AssertionError(f"{deployment['metadata']['name']}: expected one container")
    return containers[0]


def flag_values(args):
    """{flag: [values]} of --flag=value / --flag arguments (value None for a switch)."""
    out = {}
    for arg in args:
        if not arg.startswith("--"):
            raise AssertionError(f"argument {arg!r} is no --flag")
        name, eq, value = arg[2:].partition("=")
        out.setdefault(name, []).append(value if eq else None)
    return out


def one_flag(args, name):
    values = flag_values(args).get(name) or []
    if len(values) != 1:
        raise AssertionError(f"expected one --{name}, found {values}")
    return values[0]


def help_flags(binary):
    """The flags a binary's --help lists ("--name" of each option line)."""
    done = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    text = done.stdout + done.stderr
    flags = set(re.findall(r"^\s+--([a-z][a-z0-9-]*)", text, re.M))
    if done.returncode != 0 or len(flags) < 5:
        raise AssertionError(f"{binary} --help exited {done.returncode} listing {sorted(flags)}")
    return flags, text


# ----- the checks

def check_args_are_flags(r, controller_flags, proxy_flags):
    checked = 0
    for component, accepted in (("controller", controller_flags), ("proxy", proxy_flags)):
        args = container(r.deployment(component))["args"]
        unknown = sorted(set(flag_values(args)) - accepted)
        if unknown:
            raise AssertionError(f"{component} args the binary does not accept: {unknown}")
        checked += len(args)
    return checked


def check_service_account_bound(r):
    controller = r.deployment("controller")
    account = controller["spec"]["template"]["spec"].get("serviceAccountName")
    r.one("ServiceAccount", account)
    subject = {"kind": "ServiceAccount", "name": account, "namespace": r.namespace}
    for binding_kind, role_kind in (("ClusterRoleBinding", "ClusterRole"),
                                    ("RoleBinding", "Role")):
        binding = r.one(binding_kind)
        if subject not in binding["subjects"]:
            raise AssertionError(f"{binding_kind} does not bind {subject}: {binding['subjects']}")
        ref = binding["roleRef"]
        if ref["kind"] != role_kind or ref["apiGroup"] != "rbac.authorization.k8s.io":
            raise AssertionError(f"{binding_kind} refers to {ref}")
        r.one(role_kind, ref["name"])
    # The leader-election Role allows exactly the Lease --lease names, where it lives.
    lease_ns, lease_name = one_flag(container(controller)["args"], "lease").split("/")
    role = r.one("Role")
    named = [rule for rule in role["rules"] if rule.get("resourceNames")]
    if role["metadata"]["namespace"] != lease_ns or \
            [n for rule in named for n in rule["resourceNames"]] != [lease_name]:
        raise AssertionError(f"--lease={lease_ns}/{lease_name} but the Role is in "
                             f"{role['metadata']['namespace']} for {named}")
    # The proxies never talk to the API server: no token in their pods.
    if r.deployment("proxy")["spec"]["template"]["spec"].get("automountServiceAccountToken") \
            is not False:
        raise AssertionError("the proxy pods mount a service account token")
    return account


def check_selectors(r):
    pairs = []
    for component in ("controller", "proxy"):
        deployment = r.deployment(component)
        labels = pod_labels(deployment)
        if not selects(deployment["spec"]["selector"]["matchLabels"], labels):
            raise AssertionError(f"{component}: selector does not match its pod labels")
        other = pod_labels(r.deployment("proxy" if component == "controller" else "controller"))
        if selects(deployment["spec"]["selector"]["matchLabels"], other):
            raise AssertionError(f"{component}: selector also matches the other component's pods")
        service = r.service_for(deployment)
        port_names = {p["name"] for p in container(deployment)["ports"]}
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in port_names:
                raise AssertionError(f"Service {service['metadata']['name']} port {port} targets "
                                     f"no named container port of {sorted(port_names)}")
        pairs.append(f"{service['metadata']['name']}->{deployment['metadata']['name']}")
    for pdb in r.all("PodDisruptionBudget"):
        if not any(selects(pdb["spec"]["selector"]["matchLabels"], pod_labels(d))
                   for d in r.all("Deployment")):
            raise AssertionError(f"PodDisruptionBudget {pdb['metadata']['name']} selects no pods")
    for hpa in r.all("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        if target["name"] != r.deployment("proxy")["metadata"]["name"]:
            raise AssertionError(f"the HorizontalPodAutoscaler scales {target}")
        if "replicas" in r.deployment("proxy")["spec"]:
            raise AssertionError("the proxy Deployment sets replicas under an autoscaler")
    return ", ".join(pairs)


def _host_port(value):
    host, _, port = value.rpartition(":")
    return host, int(port)


def _container_port(deployment, name):
    ports = [p["containerPort"] for p in container(deployment)["ports"] if p["name"] == name]
    if len(ports) != 1:
        raise AssertionError(f"{deployment['metadata']['name']}: no container port {name}")
    return ports[0]


def check_controller_address(r):
    controller, proxy = r.deployment("controller"), r.deployment("proxy")
    host, port = _host_port(one_flag(container(proxy)["args"], "controller"))
    service = r.service_for(controller)
    expected = f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc"
    if host != expected:
        raise AssertionError(f"--controller host {host}, the controller Service is {expected}")
    matching = [p for p in service["spec"]["ports"] if p["port"] == port]
    if len(matching) != 1:
        raise AssertionError(f"--controller port {port} is no port of Service {expected}")
    grpc_port = _container_port(controller, matching[0]["targetPort"])
    _, listen = _host_port(one_flag(container(controller)["args"], "grpc-listen"))
    if grpc_port != listen:
        raise AssertionError(f"Service targets port {grpc_port}, controller listens on {listen}")
    return f"{host}:{port} -> containerPort {grpc_port}"


def check_listeners_and_probes(r, help_texts):
    notes = []
    for component in ("controller", "proxy"):
        deployment = r.deployment(component)
        c = container(deployment)
        args = c["args"]
        _, admin = _host_port(one_flag(args, "admin-listen"))
        if _container_port(deployment, "admin") != admin:
            raise AssertionError(f"{component}: port 'admin' is not --admin-listen's {admin}")
        for probe in ("readinessProbe", "livenessProbe"):
            get = c[probe]["httpGet"]
            if get["port"] != "admin" or get["path"] not in help_texts[component]:
                raise AssertionError(f"{component} {probe} {get}: not an admin path the "
                                     f"binary serves")
        for env, field in (("POD_NAMESPACE", "metadata.namespace"), ("POD_NAME", "metadata.name")):
            found = [e for e in c["env"] if e["name"] == env]
            if not found or found[0]["valueFrom"]["fieldRef"]["fieldPath"] != field:
                raise AssertionError(f"{component}: {env} is not the downward API's {field}")
        notes.append(f"{component} admin {admin}")
    proxy = r.deployment("proxy")
    service = r.service_for(proxy)
    for value in flag_values(container(proxy)["args"])["entrypoint"]:
        name, _, address = value.partition("=")
        _, port = _host_port(address)
        if _container_port(proxy, name) != port:
            raise AssertionError(f"entrypoint {name}: container port is not {port}")
        if not any(p["targetPort"] == name for p in service["spec"]["ports"]):
            raise AssertionError(f"entrypoint {name} has no port on Service "
                                 f"{service['metadata']['name']}")
    return ", ".join(notes)


def check_tls_mounts(r):
    """--grpc-cert/-key/-ca point into the mounted Secret volume."""
    for component in ("controller", "proxy"):
        deployment = r.deployment(component)
        c = container(deployment)
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        for flag, key in (("grpc-cert", "tls.crt"), ("grpc-key", "tls.key"), ("grpc-ca", "ca.crt")):
            path = one_flag(c["args"], flag)
            directory, file_name = os.path.split(path)
            volume = volumes.get(mounts.get(directory))
            if file_name != key or not volume or not volume.get("secret", {}).get("secretName"):
                raise AssertionError(f"{component} --{flag}={path} is not {key} of a mounted "
                                     f"Secret ({mounts})")
    return "controller and proxy read the Secret's tls.crt, tls.key, ca.crt"


def check_class_and_publish(r):
    controller_args = container(r.deployment("controller"))["args"]
    ingress_class = r.one("IngressClass")
    if ingress_class["spec"]["controller"] != INGRESS_CONTROLLER:
        raise AssertionError(f"IngressClass controller {ingress_class['spec']['controller']}")
    if one_flag(controller_args, "ingress-class") != ingress_class["metadata"]["name"]:
        raise AssertionError("--ingress-class is not the IngressClass the chart creates")
    publish = flag_values(controller_args).get("publish-service")
    proxy_service = r.service_for(r.deployment("proxy"))
    if publish and publish != [f"{r.namespace}/{proxy_service['metadata']['name']}"]:
        raise AssertionError(f"--publish-service={publish} is not the proxy Service")
    return f"class {ingress_class['metadata']['name']}, publish {publish}"
