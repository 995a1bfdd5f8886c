"""A kubeconfig file that points kubectl (or the controller) at this server."""

import base64
import os


def kubeconfig_text(server_url, ca_file=None, token=None, namespace="default",
                    name="portico-kubeapi"):
    cluster = [f"    server: {server_url}"]
    if ca_file:
        with open(ca_file, "rb") as ca:
            cluster.append(f"    certificate-authority-data: "
                           f"{base64.b64encode(ca.read()).decode()}")
    user = [f"    token: {token}"] if token else ["    {}"]
    if not token:
        user = []
    lines = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        f"- name: {name}",
        "  cluster:",
        *cluster,
        "users:",
        f"- name: {name}",
        "  user:" + ("" if user else " {}"),
        *user,
        "contexts:",
        f"- name: {name}",
        "  context:",
        f"    cluster: {name}",
        f"    user: {name}",
        f"    namespace: {namespace}",
        f"current-context: {name}",
        "",
    ]
    return "\n".join(lines)


def write_kubeconfig(path, server_url, ca_file=None, token=None, namespace="default"):
    """Writes the file readable by its owner only (it may hold a token) and returns path."""
    text = kubeconfig_text(server_url, ca_file, token, namespace)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    return path
