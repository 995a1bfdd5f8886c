"""Label selectors (`a=b,c!=d,e in (x,y),!f`) and field selectors (`metadata.name=x`)."""

import re

from .errors import bad_request

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)\s*$")
_EQ_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s*(?P<op>==|=|!=)\s*(?P<value>{_VALUE})\s*$")
_EXISTS_RE = re.compile(rf"^\s*(?P<neg>!?)\s*(?P<key>{_KEY})\s*$")
_VALUE_RE = re.compile(rf"^{_VALUE}$")


def _split_top_level(text):
    """Splits on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def parse_label_selector(text):
    """A list of predicates over a labels dict; raises 400 naming the bad requirement."""
    if not text or not text.strip():
        return []
    predicates = []
    for position, part in enumerate(_split_top_level(text), 1):
        predicates.append(_label_requirement(part, position))
    return predicates


def _label_requirement(part, position):
    if match := _SET_RE.match(part):
        key, values = match["key"], [v.strip() for v in match["values"].split(",")]
        if any(not _VALUE_RE.match(v) for v in values):
            raise bad_request(f"unable to parse requirement {position} ({part.strip()!r}): "
                              "invalid value in set")
        if match["op"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _EQ_RE.match(part):
        key, value = match["key"], match["value"]
        if match["op"] == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS_RE.match(part):
        key = match["key"]
        if match["neg"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise bad_request(f"unable to parse requirement {position} ({part.strip()!r}) of the label "
                      "selector: expected key, !key, key=value, key!=value, key in (v,...) or "
                      "key notin (v,...)")


def labels_match(predicates, obj):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(p(labels) for p in predicates)


def parse_field_selector(text, rtype):
    """A list of (path, operator, value); only metadata.name, metadata.namespace and the
    type's own field labels are supported, as in kube-apiserver."""
    if not text or not text.strip():
        return []
    allowed = {"metadata.name", "metadata.namespace", *rtype.field_labels}
    requirements = []
    for part in text.split(","):
        match = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        path, op, value = match.groups()
        if path not in allowed:
            raise bad_request(f'"{path}" is not a known field selector: only '
                              f'"{", ".join(sorted(allowed))}"')
        requirements.append((path, op != "!=", value))
    return requirements


def _field_value(obj, path):
    value = obj
    for element in path.split("."):
        value = value.get(element) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def fields_match(requirements, obj):
    return all((_field_value(obj, path) == value) == equal for path, equal, value in requirements)


class Selector:
    """A label selector and a field selector together."""

    def __init__(self, rtype, label_text="", field_text=""):
        self.labels = parse_label_selector(label_text)
        self.fields = parse_field_selector(field_text, rtype)

    @property
    def empty(self):
        return not self.labels and not self.fields

    def matches(self, obj):
        return labels_match(self.labels, obj) and fields_match(self.fields, obj)
