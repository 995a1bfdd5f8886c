"""Kubernetes manifests for tests, written as block YAML into a watched folder."""

import json
import os
import re
import time

NAMESPACE = "default"
# Strings written without quotes; anything else (e.g. "127.0.0.2", "true") is quoted.
_PLAIN_STRING = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def service(name, port=80, port_name="http"):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"ports": [{"name": port_name, "port": port, "protocol": "TCP"}]},
    }


def endpoint_slice(service_name, addresses, port, port_name="http", name=None, not_ready=()):
    """An EndpointSlice of `service_name`: one ready endpoint per address, then one
    not-ready endpoint per address in `not_ready`."""
    endpoints = [{"addresses": [a], "conditions": {"ready": True}} for a in addresses]
    endpoints += [{"addresses": [a], "conditions": {"ready": False}} for a in not_ready]
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name or f"{service_name}-slice",
            "namespace": NAMESPACE,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": endpoints,
    }


def backend(service_name, port):
    """An Ingress backend; an int port is a port number, a str port a port name."""
    port_ref = {"number": port} if isinstance(port, int) else {"name": port}
    return {"service": {"name": service_name, "port": port_ref}}


def path(path_value, service_name, port=80, path_type="Prefix"):
    return {"path": path_value, "pathType": path_type, "backend": backend(service_name, port)}


def rule(host, *paths):
    """An Ingress rule; host None matches every host."""
    spec = {"http": {"paths": list(paths)}}
    return spec if host is None else {"host": host, **spec}


def ingress(name, *rules, default_backend=None):
    spec = {}
    if default_backend is not None:
        spec["defaultBackend"] = default_backend
    if rules:
        spec["rules"] = list(rules)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


def to_yaml(*documents):
    """Block-style YAML, one document per argument, separated by `---`."""
    return "---\n".join(_block(document, 0) for document in documents)


def _block(value, indent):
    pad = "  " * indent
    if _is_nested(value) and isinstance(value, dict):
        return "".join(_entry(pad, key, item, indent) for key, item in value.items())
    if _is_nested(value):
        # Render each item one level deeper, then put the dash into its first indent.
        return "".join(pad + "- " + _block(item, indent + 1)[len(pad) + 2:] for item in value)
    return pad + _scalar(value) + "\n"


def _entry(pad, key, item, indent):
    if _is_nested(item):
        return f"{pad}{key}:\n" + _block(item, indent + 1)
    return f"{pad}{key}: {_scalar(item)}\n"


def _is_nested(value):
    return isinstance(value, (dict, list)) and len(value) > 0


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if _PLAIN_STRING.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)  # a double-quoted YAML scalar


class ManifestDir:
    """The folder the controller watches. Every write returns time.monotonic()
    taken just before the change became visible, to time its propagation."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)

    def write(self, name, *documents):
        """Atomic: writes a hidden temp file (outside the *.yaml pattern), then renames it."""
        return self.write_text(name, to_yaml(*documents))

    def write_text(self, name, text):
        temp = os.path.join(self.path, f".{name}.tmp")
        with open(temp, "w") as out:
            out.write(text)
        changed_at = time.monotonic()
        os.replace(temp, os.path.join(self.path, name))
        return changed_at

    def write_in_place(self, name, *documents):
        """Truncates and rewrites the existing file, as an editor without atomic save does."""
        changed_at = time.monotonic()
        with open(os.path.join(self.path, name), "w") as out:
            out.write(to_yaml(*documents))
        return changed_at

    def write_slowly_in_place(self, name, *documents, pause_s=0.3):
        """Truncates the file, writes the first half, pauses `pause_s` with the file open,
        writes the rest and closes it: a slow writer. Returns the time just before the
        close, when the content became complete."""
        text = to_yaml(*documents)
        half = len(text) // 2
        with open(os.path.join(self.path, name), "w") as out:
            out.write(text[:half])
            out.flush()
            time.sleep(pause_s)  # the writer being slow, not a wait for a condition
            out.write(text[half:])
            out.flush()
            changed_at = time.monotonic()
        return changed_at

    def remove(self, name):
        changed_at = time.monotonic()
        os.remove(os.path.join(self.path, name))
        return changed_at


def ingress_route(name, host, service):
    """An IngressRoute sending Host(`host`) to port 80 of `service`."""
    return {
        "apiVersion": "portico.dev/v1alpha1",
        "kind": "IngressRoute",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"routes": [{"match": f"Host(`{host}`)",
                             "services": [{"name": service, "port": 80}]}]},
    }
