"""Table output (meta.k8s.io Table) for `kubectl get`, and PartialObjectMetadata.

Columns: Name, a few per built-in kind as kubectl prints them, Age; a CRD's
additionalPrinterColumns when it declares some (simple JSONPath only:
`.a.b`, `.a[0].b`, `.a[?(@.k=="v")].b`).
"""

import calendar
import re
import time

NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
               "description": "Name must be unique within a namespace."}
AGE_COLUMN = {"name": "Age", "type": "string", "format": "", "priority": 0,
              "description": "CreationTimestamp is the time the object was created."}


def wants(accept, what):
    """The meta.k8s.io version (v1 or v1beta1) of `as=<what>` the Accept header asks for."""
    for media in (accept or "").split(","):
        params = dict(p.strip().split("=", 1) for p in media.split(";")[1:] if "=" in p)
        if params.get("as") == what and params.get("g") == "meta.k8s.io" and \
                params.get("v") in ("v1", "v1beta1"):
            return params["v"]
    return None


def human_age(timestamp, now=None):
    try:
        created = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = int((now or time.time()) - created)
    if seconds < 0:
        return "<invalid>"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def _column(name, type_="string", description=""):
    return {"name": name, "type": type_, "format": "", "priority": 0,
            "description": description}


def _service_ports(obj):
    ports = []
    for port in (obj.get("spec") or {}).get("ports") or []:
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(ports) or "<none>"


def _load_balancer(obj):
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ",".join(i.get("ip") or i.get("hostname") or "" for i in ingress)


def _ingress_hosts(obj):
    hosts = [r.get("host") for r in (obj.get("spec") or {}).get("rules") or [] if r.get("host")]
    return ",".join(hosts) or "*"


def _slice_endpoints(obj):
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return ",".join(addresses) or "<unset>"


# kind -> [(column, cell function)]
_KIND_COLUMNS = {
    "Namespace": [("Status", lambda o: (o.get("status") or {}).get("phase", ""))],
    "Service": [("Type", lambda o: (o.get("spec") or {}).get("type", "")),
                ("Cluster-IP", lambda o: (o.get("spec") or {}).get("clusterIP", "<none>")),
                ("External-IP", lambda o: _load_balancer(o) or "<none>"),
                ("Port(s)", _service_ports)],
    "Ingress": [("Class", lambda o: (o.get("spec") or {}).get("ingressClassName") or "<none>"),
                ("Hosts", _ingress_hosts), ("Address", _load_balancer),
                ("Ports", lambda o: "80, 443" if (o.get("spec") or {}).get("tls") else "80")],
    "IngressClass": [("Controller", lambda o: (o.get("spec") or {}).get("controller", ""))],
    "EndpointSlice": [("AddressType", lambda o: o.get("addressType", "")),
                      ("Ports", lambda o: ",".join(str(p.get("port")) for p in
                                                   o.get("ports") or []) or "<unset>"),
                      ("Endpoints", _slice_endpoints)],
    "Secret": [("Type", lambda o: o.get("type", "")),
               ("Data", lambda o: len(o.get("data") or {}))],
    "ConfigMap": [("Data", lambda o: len(o.get("data") or {}))],
    "Lease": [("Holder", lambda o: (o.get("spec") or {}).get("holderIdentity", ""))],
}


def _columns(rtype):
    """(definitions, cell functions), Name first."""
    if rtype.custom and rtype.printer_columns:
        definitions = [NAME_COLUMN] + [
            {"name": c.name, "type": c.type, "format": c.format, "priority": c.priority,
             "description": c.description} for c in rtype.printer_columns]
        cells = [_name] + [_printer_cell(c) for c in rtype.printer_columns]
        return definitions, cells
    extra = [] if rtype.custom else _KIND_COLUMNS.get(rtype.kind, [])
    definitions = [NAME_COLUMN] + [_column(name) for name, _ in extra] + [AGE_COLUMN]
    cells = [_name] + [cell for _, cell in extra] + [
        lambda o: human_age(o["metadata"].get("creationTimestamp"))]
    return definitions, cells


def _name(obj):
    return obj["metadata"]["name"]


def _printer_cell(column):
    def cell(obj):
        value = evaluate_json_path(obj, column.json_path)
        if value is None:
            return None
        if column.type == "date":
            return human_age(value)
        if column.type in ("integer", "number", "boolean"):
            return value
        return value if isinstance(value, str) else str(value)
    return cell


_STEP = re.compile(r"""\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*["']([^"']*)["']\)\]""")


def evaluate_json_path(obj, path):
    """The value at a simple JSONPath, or None where it leads nowhere."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    value, position = obj, 0
    while position < len(path):
        match = _STEP.match(path, position)
        if not match:
            return None
        field, index, filter_key, filter_value = match.groups()
        position = match.end()
        if field is not None:
            value = value.get(field) if isinstance(value, dict) else None
        elif index is not None:
            value = value[int(index)] if isinstance(value, list) and \
                int(index) < len(value) else None
        else:
            value = next((item for item in value or [] if isinstance(item, dict) and
                          str(evaluate_json_path(item, "." + filter_key)) == filter_value),
                         None) if isinstance(value, list) else None
        if value is None:
            return None
    return value


def partial_metadata(obj, version="v1"):
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}",
            "metadata": obj["metadata"]}


def table(rtype, objects, list_meta, include_object="Metadata", version="v1"):
    definitions, cells = _columns(rtype)
    rows = []
    for obj in objects:
        row = {"cells": [cell(obj) for cell in cells]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj, version)
        rows.append(row)
    return {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": list_meta,
            "columnDefinitions": definitions, "rows": rows}
