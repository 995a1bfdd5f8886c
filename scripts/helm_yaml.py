"""The YAML subset the Helm chart's values files and rendered manifests use, read and
written with the Python standard library alone (python3-yaml is no dependency).

Read: block mappings and sequences, `- key: v` items, plain scalars resolved as
Helm's parser (go-yaml v2, YAML 1.1) resolves them, single- and double-quoted
strings, flow `[a, "b"]` and `{k: v}` on one line, comments, `---` documents.
Not read (a ValueError names the line): block scalars (`|`, `>`), anchors and
aliases, tags, multi-line plain or quoted scalars.

Written (`dump`, Helm's `toYaml`): go-yaml v2's layout: keys sorted, two-space
indent, a sequence under a key not indented, `{}`/`[]` for empty ones, strings
double-quoted when they would read back as another type and single-quoted when
they hold YAML indicators; numbers as Helm holds them (float64, whole ones
without a fraction).
"""

import json
import re

_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_HEX = re.compile(r"^0x[0-9a-fA-F_]+$")
_OCT = re.compile(r"^0[0-7_]+$")
_FLOAT = re.compile(r"^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")
_BOOLS = {s: True for s in ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On",
                            "ON")}
_BOOLS.update({s: False for s in ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off",
                                  "Off", "OFF")})
_NULLS = ("", "~", "null", "Null", "NULL")


def resolve_plain(text):
    """The value of a plain scalar, as go-yaml v2 (YAML 1.1) resolves it."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _HEX.match(text):
        return int(text[2:].replace("_", ""), 16)
    if _OCT.match(text):
        return int(text.replace("_", ""), 8)
    if _FLOAT.match(text) and text not in (".", "+.", "-."):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    if text in (".inf", ".Inf", ".INF", "+.inf"):
        return float("inf")
    if text in ("-.inf", "-.Inf", "-.INF"):
        return float("-inf")
    if text in (".nan", ".NaN", ".NAN"):
        return float("nan")
    return text


# ----- reading

class _Line:
    def __init__(self, number, indent, text):
        self.number, self.indent, self.text = number, indent, text


def _strip_comment(line):
    """The line without a trailing comment (a # at the start or after a blank, outside quotes)."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"':
                continue
        elif c in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-"):
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _documents(text):
    documents, current = [], []
    for number, raw in enumerate(text.split("\n"), 1):
        if raw == "---" or raw.startswith(("--- ", "---\t")) and not _strip_comment(raw[3:]):
            documents.append(current)
            current = []
            continue
        if raw.rstrip() == "...":
            continue
        if "\t" in raw[:len(raw) - len(raw.lstrip())]:
            raise ValueError(f"line {number}: a tab in the indentation")
        body = _strip_comment(raw)
        if body.strip():
            current.append(_Line(number, len(body) - len(body.lstrip()), body.strip()))
    documents.append(current)
    return documents


def load_all(text):
    """Every document of `text`; a document that is only comments is None."""
    return [_Reader(lines).document() for lines in _documents(text)]


def load(text):
    documents = load_all(text)
    if len(documents) != 1:
        raise ValueError(f"expected one YAML document, found {len(documents)}")
    return documents[0]


def _split_key(text, number):
    """(key, rest) of `key: rest` / `key:`, or None when the text is no mapping entry."""
    if text[0] in "'\"":
        end = _quoted_end(text, 0, number)
        key = _quoted(text[:end + 1], number)
        rest = text[end + 1:]
        if rest.startswith(":") and (len(rest) == 1 or rest[1] == " "):
            return key, rest[1:].strip()
        return None
    match = re.match(r"^([^\s#:\[\]{},][^:]*?|[^\s#\[\]{},]+?):(?: +(.*))?$", text)
    if not match or text[0] in "[{":
        return None
    return match.group(1), (match.group(2) or "").strip()


def _quoted_end(text, start, number):
    quote, i = text[start], start + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    raise ValueError(f"line {number}: unterminated quoted string (multi-line ones are not read)")


def _quoted(text, number):
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"line {number}: a double-quoted string this reader does not know: "
                         f"{text}") from None


def _scalar(text, number):
    if not text:
        return None
    if text[0] in "'\"":
        end = _quoted_end(text, 0, number)
        if end != len(text) - 1:
            raise ValueError(f"line {number}: text after a quoted string: {text}")
        return _quoted(text, number)
    if text[0] in "[{":
        value, end = _flow(text, 0, number)
        if text[end:].strip():
            raise ValueError(f"line {number}: text after a flow collection: {text}")
        return value
    if text[0] in "|>":
        raise ValueError(f"line {number}: block scalars ({text[0]}) are not read")
    if text[0] in "&*!":
        raise ValueError(f"line {number}: anchors, aliases and tags are not read")
    return resolve_plain(text)


def _flow(text, i, number):
    """(value, index after it) of the flow collection or scalar at text[i]."""
    while text[i] == " ":
        i += 1
    if text[i] in "'\"":
        end = _quoted_end(text, i, number)
        return _quoted(text[i:end + 1], number), end + 1
    if text[i] in "[{":
        closing, i = "]" if text[i] == "[" else "}", i + 1
        result = [] if closing == "]" else {}
        while True:
            while i < len(text) and text[i] == " ":
                i += 1
            if i >= len(text):
                raise ValueError(f"line {number}: unterminated flow collection")
            if text[i] == closing:
                return result, i + 1
            if closing == "]":
                value, i = _flow(text, i, number)
                result.append(value)
            else:
                key, i = _flow(text, i, number)
                if text[i] != ":":
                    raise ValueError(f"line {number}: expected ':' in a flow mapping")
                result[key], i = _flow(text, i + 1, number)
            while i < len(text) and text[i] == " ":
                i += 1
            if i < len(text) and text[i] == ",":
                i += 1
    end = i
    while end < len(text) and text[end] not in ",]}:":
        end += 1
    return resolve_plain(text[i:end].strip()), end


class _Reader:
    def __init__(self, lines):
        self.lines, self.i = lines, 0

    def document(self):
        if not self.lines:
            return None
        value = self.block(self.lines[0].indent)
        if self.i < len(self.lines):
            line = self.lines[self.i]
            raise ValueError(f"line {line.number}: unexpected indentation: {line.text}")
        return value

    def block(self, indent):
        line = self.lines[self.i]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(indent)
        if _split_key(line.text, line.number) is not None:
            return self.mapping(indent)
        self.i += 1
        return _scalar(line.text, line.number)

    def nested(self, parent_indent, allow_same_indent_sequence):
        """The value of a key or item whose text is empty: the block below it, or null."""
        if self.i >= len(self.lines):
            return None
        line = self.lines[self.i]
        if line.indent > parent_indent:
            return self.block(line.indent)
        if allow_same_indent_sequence and line.indent == parent_indent and (
                line.text == "-" or line.text.startswith("- ")):
            return self.sequence(parent_indent)
        return None

    def mapping(self, indent):
        result = {}
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.indent != indent:
                break
            entry = _split_key(line.text, line.number)
            if entry is None:
                break
            key, rest = entry
            # Helm reads YAML through JSON: every key is a string.
            if key in result:
                raise ValueError(f"line {line.number}: key {key!r} repeated")
            self.i += 1
            result[key] = _scalar(rest, line.number) if rest else self.nested(indent, True)
        if self.i < len(self.lines) and self.lines[self.i].indent > indent:
            line = self.lines[self.i]
            raise ValueError(f"line {line.number}: unexpected indentation: {line.text}")
        return result

    def sequence(self, indent):
        result = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.indent != indent or not (line.text == "-" or line.text.startswith("- ")):
                break
            rest = line.text[1:].lstrip()
            if not rest:
                self.i += 1
                result.append(self.nested(indent, False))
                continue
            # "- key: v" opens a mapping (or "- - x" a sequence) at the item's column.
            column = indent + (len(line.text) - len(rest))
            self.lines[self.i] = _Line(line.number, column, rest)
            if rest.startswith("- ") or rest == "-" or _split_key(rest, line.number):
                result.append(self.block(column))
            else:
                self.i += 1
                result.append(_scalar(rest, line.number))
        return result


# ----- writing

def format_number(value):
    """A number as Helm's toYaml writes it: values are float64, whole ones without fraction."""
    if isinstance(value, float):
        if value != value:
            return ".NaN"
        if value in (float("inf"), float("-inf")):
            return "+Inf" if value > 0 else "-Inf"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return json.dumps(value)
    return str(value)


_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./()$^+=\-][A-Za-z0-9_./()$^+=\-:@ ,]*$")


def _string(text):
    if text == "" or not isinstance(resolve_plain(text), str):
        return json.dumps(text)
    if "\n" in text or any(ord(c) < 32 for c in text):
        return json.dumps(text)
    plain_ok = (_PLAIN_SAFE.match(text) and ": " not in text and " #" not in text
                and not text.endswith((" ", ":")) and not text.startswith("- "))
    if plain_ok:
        return text
    return "'" + text.replace("'", "''") + "'"


def _scalar_text(value):
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    return _string(str(value))


def _lines(value, indent):
    pad = " " * indent
    if isinstance(value, dict):
        out = []
        for key in sorted(value, key=str):
            item = value[key]
            head = f"{pad}{_scalar_text(key) if not isinstance(key, str) else _string(key)}:"
            if isinstance(item, dict) and item:
                out += [head] + _lines(item, indent + 2)
            elif isinstance(item, list) and item:
                out += [head] + _lines(item, indent)
            else:
                out.append(f"{head} {_inline(item)}")
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = _lines(item, indent + 2)
                out.append(f"{pad}- {inner[0][indent + 2:]}")
                out += inner[1:]
            else:
                out.append(f"{pad}- {_inline(item)}")
        return out
    return [pad + _scalar_text(value)]


def _inline(value):
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar_text(value)


def dump(value):
    """`value` as YAML with a final newline (Helm's toYaml then drops that newline)."""
    if isinstance(value, (dict, list)) and not value:
        return _inline(value) + "\n"
    return "\n".join(_lines(value, 0)) + "\n"
