"""The subset of Go text/template plus Helm/Sprig functions that helm/portico uses,
executed as `helm template` executes it (helm/README.md lists the subset).

Actions: `{{ pipeline }}`, `{{- ... -}}` trimming, `{{/* comment */}}`, if / else
if / else, with / else, range (a list or a map, keys sorted, with `$i, $v :=`),
define, `$var := ...` and `$var = ...`, `$` the data the template was given.
Pipelines: fields (`.Values.a.b`, `$v.name`), string, number, true/false/nil
literals, `(...)`, `|` passing the left value as the last argument.
Functions: include, default, quote, toYaml, nindent, indent, trimSuffix, required,
printf (%s %d %v %q), trunc, join, contains, toString, eq, ne, not, and, or, empty.
Anything else is a TemplateError naming the file and line, never a guess.
"""

import decimal
import re

import helm_yaml


class TemplateError(Exception):
    pass


# ----- values as Go prints them

def go_string(value):
    """fmt.Sprint of a value as Helm holds it (numbers from YAML are float64)."""
    if value is None:
        return "<no value>"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(go_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_string(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _go_float(value):
    """strconv.FormatFloat(v, 'g', -1, 64), what fmt prints for a float64: the shortest
    digits, in exponent form when the exponent is below -4 or 6 and up, so a values
    number 1000000 prints as 1e+06 (as in Helm)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + exponent  # value = 0.text x 10^point
    x = point - 1
    minus = "-" if sign else ""
    if x < -4 or x >= 6:
        rest = "." + text[1:] if len(text) > 1 else ""
        return f"{minus}{text[0]}{rest}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if point <= 0:
        return f"{minus}0.{'0' * -point}{text}"
    if point >= len(text):
        return minus + text + "0" * (point - len(text))
    return f"{minus}{text[:point]}.{text[point:]}"


def truthy(value):
    """Go template truth: false, 0, nil and empty strings, lists and maps are false."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float, str, list, dict)):
        return bool(value)
    return True


# ----- lexing

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<punct>[()|,])
  | (?P<variable>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)


def _tokens(text, where):
    out, i = [], 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        if not match:
            raise TemplateError(f"{where}: cannot read {text[i:]!r}")
        if match.lastgroup != "space":
            out.append((match.lastgroup, match.group()))
        i = match.end()
    return out


def _lex(source, name):
    """[('text', s) | ('action', body, line)], with {{- and -}} trimming applied."""
    items, pos = [], 0
    for match in _ACTION.finditer(source):
        text = source[pos:match.start()]
        if match.group(1):
            text = text.rstrip(" \t\r\n")
        if items and items[-1][0] == "trim_next":
            items.pop()
            text = text.lstrip(" \t\r\n")
        items.append(("text", text))
        line = source.count("\n", 0, match.start()) + 1
        body = match.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            items.append(("action", body, f"{name}:{line}"))
        if match.group(3):
            items.append(("trim_next",))
        pos = match.end()
    text = source[pos:]
    if items and items[-1][0] == "trim_next":
        items.pop()
        text = text.lstrip(" \t\r\n")
    items.append(("text", text))
    return [item for item in items if item[0] != "text" or item[1]]


# ----- parsing

class _Node:
    def __init__(self, kind, where, **fields):
        self.kind, self.where = kind, where
        self.__dict__.update(fields)


class _Parser:
    def __init__(self, items, name, defines):
        self.items, self.i, self.name, self.defines = items, 0, name, defines

    def parse_list(self, stop):
        """Nodes up to an action whose keyword is in `stop`; returns (nodes, keyword, item)."""
        nodes = []
        while self.i < len(self.items):
            item = self.items[self.i]
            self.i += 1
            if item[0] == "text":
                nodes.append(_Node("text", self.name, text=item[1]))
                continue
            body, where = item[1], item[2]
            keyword = body.split(None, 1)[0] if body else ""
            if keyword in ("end", "else"):
                if keyword not in stop:
                    raise TemplateError(f"{where}: unexpected {{{{{keyword}}}}}")
                return nodes, keyword, item
            nodes.append(self.parse_action(body, keyword, where))
        if stop:
            raise TemplateError(f"{self.name}: missing {{{{end}}}}")
        return nodes, None, None

    def parse_action(self, body, keyword, where):
        rest = body[len(keyword):].strip()
        if keyword in ("if", "with", "range"):
            return self.parse_branch(keyword, rest, where)
        if keyword == "define":
            tokens = _tokens(rest, where)
            if len(tokens) != 1 or tokens[0][0] != "string":
                raise TemplateError(f"{where}: define takes one quoted name")
            nodes, _, _ = self.parse_list(("end",))
            self.defines[_unquote(tokens[0][1])] = nodes
            return _Node("text", where, text="")
        if keyword in ("template", "block", "break", "continue"):
            raise TemplateError(f"{where}: {keyword} is outside the chart's subset (use include)")
        return _Node("action", where, pipe=_PipeParser(_tokens(body, where), where).pipeline())

    def parse_branch(self, keyword, rest, where):
        pipe = _PipeParser(_tokens(rest, where), where).pipeline(allow_declare=keyword == "range")
        body, end, item = self.parse_list(("end", "else"))
        otherwise = []
        if end == "else":
            else_rest = item[1][len("else"):].strip()
            if else_rest.startswith("if ") and keyword == "if":
                otherwise = [self.parse_branch("if", else_rest[3:].strip(), item[2])]
            elif else_rest:
                raise TemplateError(f"{item[2]}: only 'else if' chains are in the subset")
            else:
                otherwise, _, _ = self.parse_list(("end",))
        return _Node(keyword, where, pipe=pipe, body=body, otherwise=otherwise)


def _unquote(token):
    if token.startswith("`"):
        return token[1:-1]
    return bytes(token[1:-1], "utf-8").decode("unicode_escape") if "\\" in token else token[1:-1]


class _PipeParser:
    """pipeline := [vars :=] command ('|' command)*; command := operand+."""

    def __init__(self, tokens, where):
        self.tokens, self.i, self.where = tokens, 0, where

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def pipeline(self, allow_declare=False, closing=None):
        declare, mode = [], None
        j = self.i
        names = []
        while j < len(self.tokens) and self.tokens[j][0] == "variable":
            names.append(self.tokens[j][1])
            j += 1
            if j < len(self.tokens) and self.tokens[j] == ("punct", ","):
                j += 1
                continue
            break
        if names and j < len(self.tokens) and self.tokens[j][0] in ("declare", "assign"):
            if len(names) > 1 and not allow_declare:
                raise TemplateError(f"{self.where}: two variables only in range")
            declare, mode, self.i = names, self.tokens[j][0], j + 1
        commands = [self.command()]
        while self.peek() == ("punct", "|"):
            self.i += 1
            commands.append(self.command())
        if closing is None and self.i != len(self.tokens):
            raise TemplateError(f"{self.where}: unexpected {self.peek()[1]!r}")
        return {"declare": declare, "mode": mode, "commands": commands}

    def command(self):
        operands = []
        while True:
            kind, text = self.peek()
            if kind is None or (kind == "punct" and text in "|)"):
                break
            operands.append(self.operand())
        if not operands:
            raise TemplateError(f"{self.where}: empty command")
        return operands

    def operand(self):
        kind, text = self.peek()
        self.i += 1
        if kind in ("string", "raw"):
            return ("literal", _unquote(text))
        if kind == "number":
            return ("literal", float(text) if "." in text else int(text))
        if kind == "word":
            if text in ("true", "false"):
                return ("literal", text == "true")
            if text == "nil":
                return ("literal", None)
            return ("function", text)
        if kind == "field":
            return ("field", [] if text == "." else text[1:].split("."))
        if kind == "variable":
            name, _, path = text.partition(".")
            return ("variable", name, path.split(".") if path else [])
        if (kind, text) == ("punct", "("):
            inner = self.pipeline(closing=")")
            if self.peek() != ("punct", ")"):
                raise TemplateError(f"{self.where}: missing ')'")
            self.i += 1
            return ("pipeline", inner)
        raise TemplateError(f"{self.where}: unexpected {text!r}")


# ----- execution

class Template:
    """Every file of a chart's templates/, parsed; `render(name, data)` runs one."""

    def __init__(self, files):
        self.defines, self.files = {}, {}
        for name, source in files.items():
            self.files[name], _, _ = _Parser(_lex(source, name), name, self.defines).parse_list(())

    def render(self, name, data):
        return _Execution(self, data).run(self.files[name])

    def include(self, name, data):
        if name not in self.defines:
            raise TemplateError(f'include: no template "{name}" is defined')
        return _Execution(self, data).run(self.defines[name])


class _Execution:
    def __init__(self, template, data):
        self.template, self.scopes = template, [{"$": data}]
        self.dot = data

    def run(self, nodes):
        out = []
        for node in nodes:
            out.append(self.node(node))
        return "".join(out)

    def node(self, node):
        if node.kind == "text":
            return node.text
        if node.kind == "action":
            value = self.pipeline(node.pipe, node.where)
            if node.pipe["declare"]:
                return ""
            return "" if value is None else go_string(value)
        return self.branch(node)

    def branch(self, node):
        self.scopes.append({})
        try:
            value = self.pipeline(node.pipe, node.where, bind=node.kind != "range")
            if node.kind == "range":
                return self.range(node, value)
            if not truthy(value):
                return self.run(node.otherwise)
            if node.kind == "if":
                return self.run(node.body)
            saved, self.dot = self.dot, value
            try:
                return self.run(node.body)
            finally:
                self.dot = saved
        finally:
            self.scopes.pop()

    def range(self, node, value):
        if value is None or not truthy(value):
            return self.run(node.otherwise)
        if isinstance(value, dict):
            pairs = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list):
            pairs = list(enumerate(value))
        else:
            raise TemplateError(f"{node.where}: range can't iterate over {go_string(value)}")
        names, out, saved = node.pipe["declare"], [], self.dot
        try:
            for key, item in pairs:
                if len(names) == 1:
                    self.scopes[-1][names[0]] = item
                elif len(names) == 2:
                    self.scopes[-1][names[0]], self.scopes[-1][names[1]] = key, item
                self.dot = item
                out.append(self.run(node.body))
        finally:
            self.dot = saved
        return "".join(out)

    def lookup_variable(self, name, where):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f"{where}: undefined variable {name}")

    def pipeline(self, pipe, where, bind=True):
        value, first = None, True
        for command in pipe["commands"]:
            value = self.command(command, where, None if first else [value])
            first = False
        if pipe["declare"] and bind:
            name = pipe["declare"][0]
            if pipe["mode"] == "assign":
                for scope in reversed(self.scopes):
                    if name in scope:
                        scope[name] = value
                        break
                else:
                    raise TemplateError(f"{where}: undefined variable {name}")
            else:
                self.scopes[-1][name] = value
        return value

    def command(self, operands, where, piped):
        head = operands[0]
        if head[0] == "function":
            args = [self.operand(o, where) for o in operands[1:]] + (piped or [])
            return self.call(head[1], args, where, operands[1:])
        if len(operands) > 1 or piped:
            raise TemplateError(f"{where}: can't give arguments to a non-function")
        return self.operand(head, where)

    def operand(self, operand, where):
        kind = operand[0]
        if kind == "literal":
            return operand[1]
        if kind == "field":
            return _walk(self.dot, operand[1], where)
        if kind == "variable":
            return _walk(self.lookup_variable(operand[1], where), operand[2], where)
        if kind == "pipeline":
            return self.pipeline(operand[1], where)
        raise TemplateError(f"{where}: {operand[1]} is a function: call it in parentheses")

    def call(self, name, args, where, raw_operands):
        if name in ("and", "or"):
            return _and_or(name, args, where)
        function = FUNCTIONS.get(name)
        if name not in FUNCTIONS:
            raise TemplateError(f'{where}: function "{name}" is outside the chart\'s subset')
        try:
            if name == "include":
                _arity(name, args, 2)
                return self.template.include(args[0], args[1])
            return function(*args)
        except TypeError as e:
            raise TemplateError(f"{where}: {name}: {e}") from None
        except TemplateError as e:
            raise TemplateError(f"{where}: {e}") from None


def _walk(value, path, where):
    for name in path:
        if isinstance(value, dict):
            value = value.get(name)
        elif value is None:
            raise TemplateError(f"{where}: nil pointer evaluating interface {{}}.{name}")
        else:
            raise TemplateError(f"{where}: can't evaluate field {name} in {go_string(value)}")
    return value


def _arity(name, args, count):
    if len(args) != count:
        raise TemplateError(f"wrong number of args for {name}: want {count} got {len(args)}")


def _and_or(name, args, where):
    if not args:
        raise TemplateError(f"{where}: {name} needs arguments")
    for value in args[:-1]:
        if truthy(value) != (name == "and"):
            return value
    return args[-1]


# ----- functions (Go builtins and the Sprig/Helm ones the chart uses)

def _strval(value):
    return "" if value is None else go_string(value)


def _default(default, *given):
    return given[0] if given and truthy(given[0]) else default


def _quote(*values):
    return " ".join('"' + _go_quote_body(_strval(v)) + '"' for v in values if v is not None)


def _go_quote_body(text):
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 32 or ord(c) == 127:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return "".join(out)


def _to_yaml(value):
    return helm_yaml.dump(value).rstrip("\n") if value is not None else "null"


def _indent(count, text):
    pad = " " * int(count)
    return pad + str(text).replace("\n", "\n" + pad)


def _nindent(count, text):
    return "\n" + _indent(count, text)


def _trim_suffix(suffix, text):
    return text[:-len(suffix)] if suffix and text.endswith(suffix) else text


def _required(message, value):
    if value is None or value == "":
        raise TemplateError(message)
    return value


def _printf(fmt, *args):
    out, i, used = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        verb = fmt[i + 1] if i + 1 < len(fmt) else ""
        i += 2
        if verb == "%":
            out.append("%")
            continue
        if used >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg, used = args[used], used + 1
        if verb in ("s", "v"):
            out.append(_strval(arg) if verb == "s" or arg is not None else "<nil>")
        elif verb == "d" and isinstance(arg, int) and not isinstance(arg, bool):
            out.append(str(arg))
        elif verb == "q" and isinstance(arg, str):
            out.append('"' + _go_quote_body(arg) + '"')
        else:
            raise TemplateError(f"printf: %{verb} of {go_string(arg)} is outside the subset")
    if used < len(args):
        out.append("%!(EXTRA " + ", ".join(go_string(a) for a in args[used:]) + ")")
    return "".join(out)


def _trunc(count, text):
    count = int(count)
    if count >= 0:
        return text[:count]
    return text[len(text) + count:] if len(text) + count > 0 else ""


def _join(separator, values):
    if isinstance(values, list):
        return separator.join(_strval(v) for v in values if v is not None)
    return _strval(values)


def _eq(first, *others):
    if not others:
        raise TemplateError("missing argument for comparison")
    for other in others:
        if _kind(first) != _kind(other):
            raise TemplateError(f"incompatible types for comparison: {go_string(first)} and "
                                f"{go_string(other)} (quote numbers in the chart's subset)")
        if first == other:
            return True
    return False


def _kind(value):
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "float" if isinstance(value, float) else "int"
    return type(value).__name__


FUNCTIONS = {
    "include": None,  # executed by _Execution.call, which holds the defined templates
    "default": _default,
    "quote": _quote,
    "toYaml": _to_yaml,
    "indent": _indent,
    "nindent": _nindent,
    "trimSuffix": _trim_suffix,
    "required": _required,
    "printf": _printf,
    "trunc": _trunc,
    "join": _join,
    "contains": lambda substring, text: substring in text,
    "toString": _strval,
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "not": lambda value: not truthy(value),
    "empty": lambda value: not truthy(value),
}
