#!/usr/bin/env python3
"""Unit tests of scripts/helm_render.py, helm_template.py and helm_yaml.py: each
template feature the chart uses, checked against the output Helm's documentation
shows for it (the page is named above each test; examples without the functions
outside the subset, such as `upper`, keep their documented layout), and the YAML
subset both ways. No helm binary needed.

    python3 e2e/test_helm_render.py
"""

import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import helm_render  # noqa: E402
import helm_template  # noqa: E402
import helm_yaml  # noqa: E402

CONTROL = "https://helm.sh/docs/chart_template_guide/control_structures/"
VARIABLES = "https://helm.sh/docs/chart_template_guide/variables/"
NAMED = "https://helm.sh/docs/chart_template_guide/named_templates/"
PIPELINES = "https://helm.sh/docs/chart_template_guide/functions_and_pipelines/"
FUNCTIONS = "https://helm.sh/docs/chart_template_guide/function_list/"

FAVORITE = {"drink": "coffee", "food": "pizza"}
TOPPINGS = ["mushrooms", "cheese", "peppers", "onions"]


def render(source, values=None, release="clunky-serval", chart=None):
    """One template rendered as Helm renders templates/x.yaml of a chart."""
    data = {"Values": helm_render.as_helm_numbers(values or {}),
            "Release": {"Name": release, "Namespace": "default", "Service": "Helm"},
            "Chart": chart or {"Name": "mychart", "Version": "0.1.0"}}
    return helm_template.Template({"templates/x.yaml": source}).render("templates/x.yaml", data)


class Pipelines(unittest.TestCase):
    # PIPELINES, "Using the default function" and "Pipelines".
    def test_default_and_quote(self):
        source = ('drink: {{ .Values.favorite.drink | default "tea" | quote }}\n'
                  'food: {{ quote .Values.favorite.food }}\n')
        self.assertEqual(render(source, {"favorite": FAVORITE}),
                         'drink: "coffee"\nfood: "pizza"\n')
        self.assertEqual(render(source, {"favorite": {"food": "pizza"}}),
                         'drink: "tea"\nfood: "pizza"\n')

    # FUNCTIONS, "default": empty values (0, "", [], {}, false, nil) take the default.
    def test_default_of_empty_values(self):
        for empty in (0, "", [], {}, False, None):
            self.assertEqual(render('{{ .Values.x | default "foo" }}', {"x": empty}), "foo")
        self.assertEqual(render('{{ .Values.x | default "foo" }}', {"x": "bar"}), "bar")

    # FUNCTIONS, "quote": Go's %q escaping.
    def test_quote_escapes(self):
        self.assertEqual(render('{{ quote .Values.x }}', {"x": 'say "hi"\\'}),
                         '"say \\"hi\\"\\\\"')

    # helm/helm#12195: values numbers are float64; 1000000 prints as 1e+06.
    def test_numbers_print_as_helm_float64(self):
        source = "ONE: {{ .Values.one }}\nTWO: {{ .Values.two }}\nTWO_Q: {{ .Values.two | quote }}\n"
        self.assertEqual(render(source, {"one": 999999, "two": 1000000}),
                         'ONE: 999999\nTWO: 1e+06\nTWO_Q: "1e+06"\n')
        self.assertEqual(render("{{ .Values.x }} {{ .Values.y }}", {"x": 0.5, "y": 1234567}),
                         "0.5 1.234567e+06")

    # FUNCTIONS, "printf": "%s has %d dogs." with a string and an int.
    def test_printf(self):
        self.assertEqual(render('{{ printf "%s has %d dogs." "Lassie" 3 }}'),
                         "Lassie has 3 dogs.")
        self.assertEqual(render('{{ printf "%s-%s" .Release.Name "x" }}'), "clunky-serval-x")


class ControlStructures(unittest.TestCase):
    # CONTROL, "If/Else": the falsy values.
    def test_if_else_if_else(self):
        source = "{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}"
        self.assertEqual(render(source, {"a": True}), "A")
        self.assertEqual(render(source, {"a": 0, "b": "x"}), "B")
        for falsy in (False, 0, "", None, [], {}):
            self.assertEqual(render(source, {"a": falsy, "b": falsy}), "C")

    # CONTROL, "Controlling Whitespace": {{- removes the newline and indentation before.
    def test_whitespace_trimming(self):
        source = ('data:\n  myvalue: "Hello World"\n'
                  '  drink: {{ .Values.favorite.drink | default "tea" | quote }}\n'
                  '  food: {{ .Values.favorite.food | quote }}\n'
                  '  {{- if eq .Values.favorite.drink "coffee" }}\n'
                  '  mug: "true"\n'
                  '  {{- end }}\n')
        self.assertEqual(render(source, {"favorite": FAVORITE}),
                         'data:\n  myvalue: "Hello World"\n  drink: "coffee"\n'
                         '  food: "pizza"\n  mug: "true"\n')

    # CONTROL, "Controlling Whitespace": -}} on both sides runs the lines together.
    def test_chomping_both_sides(self):
        source = ('  food: {{ .Values.favorite.food | quote }}\n'
                  '  {{- if eq .Values.favorite.drink "coffee" -}}\n'
                  '  mug: "true"\n'
                  '  {{- end -}}\n')
        self.assertEqual(render(source, {"favorite": FAVORITE}), '  food: "pizza"mug: "true"')

    # CONTROL, "Modifying scope using with", and $ inside it.
    def test_with_and_root(self):
        source = ('  {{- with .Values.favorite }}\n'
                  '  drink: {{ .drink | default "tea" | quote }}\n'
                  '  release: {{ $.Release.Name }}\n'
                  '  {{- end }}\n')
        self.assertEqual(render(source, {"favorite": FAVORITE}),
                         '\n  drink: "coffee"\n  release: clunky-serval\n')
        self.assertEqual(render("{{ with .Values.x }}set{{ else }}unset{{ end }}"), "unset")

    # CONTROL, "Looping with the range action".
    def test_range_list(self):
        source = ('  toppings: |-\n'
                  '    {{- range .Values.pizzaToppings }}\n'
                  '    - {{ . | quote }}\n'
                  '    {{- end }}\n')
        self.assertEqual(render(source, {"pizzaToppings": TOPPINGS}),
                         '  toppings: |-\n    - "mushrooms"\n    - "cheese"\n'
                         '    - "peppers"\n    - "onions"\n')

    # VARIABLES: range with $index, $topping; over a map, keys in sorted order.
    def test_range_variables(self):
        source = ('  toppings: |-\n'
                  '    {{- range $index, $topping := .Values.pizzaToppings }}\n'
                  '      {{ $index }}: {{ $topping }}\n'
                  '    {{- end }}\n')
        self.assertEqual(render(source, {"pizzaToppings": TOPPINGS}),
                         '  toppings: |-\n      0: mushrooms\n      1: cheese\n'
                         '      2: peppers\n      3: onions\n')
        source = ('  {{- range $key, $val := .Values.favorite }}\n'
                  '  {{ $key }}: {{ $val | quote }}\n'
                  '  {{- end }}\n')
        self.assertEqual(render(source, {"favorite": {"food": "pizza", "drink": "coffee"}}),
                         '\n  drink: "coffee"\n  food: "pizza"\n')

    # VARIABLES: `$name := pipeline`, and reassignment with = (Go 1.11).
    def test_variables(self):
        source = ('{{- $relname := .Release.Name -}}\n'
                  '{{- with .Values.favorite }}{{ .drink }} {{ $relname }}{{ end }}')
        self.assertEqual(render(source, {"favorite": FAVORITE}), "coffee clunky-serval")
        source = '{{- $x := "a" -}}{{- if true }}{{ $x = "b" }}{{ end -}}{{ $x }}'
        self.assertEqual(render(source), "b")


class NamedTemplates(unittest.TestCase):
    # NAMED, "The include function": define, include, indent.
    def test_define_include_indent(self):
        source = ('{{- define "mychart.app" -}}\n'
                  'app_name: {{ .Chart.Name }}\n'
                  'app_version: "{{ .Chart.Version }}"\n'
                  '{{- end -}}\n'
                  'metadata:\n'
                  '  labels:\n'
                  '{{ include "mychart.app" . | indent 4 }}\n')
        self.assertEqual(render(source), 'metadata:\n  labels:\n    app_name: mychart\n'
                                         '    app_version: "0.1.0"\n')

    # FUNCTIONS, "nindent": indent with a newline first, the idiom after {{-.
    def test_nindent(self):
        source = ('  labels:\n'
                  '    {{- include "l" . | nindent 4 }}\n'
                  '{{- define "l" }}a: b\nc: d{{ end }}')
        self.assertEqual(render(source), "  labels:\n    a: b\n    c: d")

    def test_include_of_an_unknown_name_fails(self):
        with self.assertRaisesRegex(helm_template.TemplateError, 'no template "nope"'):
            render('{{ include "nope" . }}')


class Functions(unittest.TestCase):
    # FUNCTIONS, "trimSuffix", "trunc", "contains", "join", "toString".
    def test_strings(self):
        self.assertEqual(render('{{ trimSuffix "-" "hello-" }}'), "hello")
        self.assertEqual(render('{{ trunc 5 "hello world" }}'), "hello")
        self.assertEqual(render('{{ trunc -5 "hello world" }}'), "world")
        self.assertEqual(render('{{ contains "cat" "catch" }}'), "true")
        self.assertEqual(render('{{ join "," .Values.l }}', {"l": ["a", "b", 3]}), "a,b,3")
        self.assertEqual(render('{{ toString .Values.p }}', {"p": 18000}), "18000")

    # FUNCTIONS, "indent": every line, the first too, blank ones included.
    def test_indent(self):
        self.assertEqual(render('{{ indent 2 "a\\n\\nb" }}'), "  a\n  \n  b")

    # FUNCTIONS, "required": the message is the error.
    def test_required(self):
        source = '{{ required "A valid foo is required!" .Values.foo }}'
        self.assertEqual(render(source, {"foo": "x"}), "x")
        for missing in ({}, {"foo": ""}):
            with self.assertRaisesRegex(helm_template.TemplateError, "A valid foo is required!"):
                render(source, missing)

    # FUNCTIONS, "Logic and Flow Control Functions": and, or, not, eq, ne.
    def test_logic(self):
        self.assertEqual(render('{{ and 1 "" }}|{{ and 1 "x" }}'), "|x")
        self.assertEqual(render('{{ or "" "b" }}|{{ or "a" "b" }}'), "b|a")
        self.assertEqual(render('{{ not .Values.x }} {{ eq "a" "a" }} {{ ne "a" "b" }}'),
                         "true true true")
        with self.assertRaisesRegex(helm_template.TemplateError, "incompatible types"):
            render('{{ eq .Values.port 80 }}', {"port": 80})

    # FUNCTIONS, "toYaml": keys sorted, a list under a key not indented, no final newline.
    def test_to_yaml(self):
        values = {"resources": {"limits": {"memory": "128Mi", "cpu": "100m"}},
                  "tolerations": [{"key": "k", "operator": "Exists"}],
                  "annotations": {"a.b/c": "true", "port": "8080", "e": ""}, "empty": {}}
        source = ("resources:\n  {{- toYaml .Values.resources | nindent 2 }}\n"
                  "t:\n{{ toYaml .Values.tolerations }}\n"
                  "a:\n  {{- toYaml .Values.annotations | nindent 2 }}\n"
                  "e: {{ toYaml .Values.empty }}\n")
        self.assertEqual(render(source, values),
                         "resources:\n  limits:\n    cpu: 100m\n    memory: 128Mi\n"
                         "t:\n- key: k\n  operator: Exists\n"
                         'a:\n  a.b/c: "true"\n  e: ""\n  port: "8080"\n'
                         "e: {}\n")

    def test_functions_outside_the_subset_fail(self):
        with self.assertRaisesRegex(helm_template.TemplateError, '"upper" is outside'):
            render("{{ upper .Release.Name }}")
        with self.assertRaisesRegex(helm_template.TemplateError, "outside the chart's subset"):
            render('{{ template "x" . }}')


class Errors(unittest.TestCase):
    def test_nil_field_access_fails_like_helm(self):
        with self.assertRaisesRegex(helm_template.TemplateError, "nil pointer evaluating"):
            render("{{ .Values.missing.field }}")

    def test_missing_end_fails(self):
        with self.assertRaisesRegex(helm_template.TemplateError, "missing"):
            render("{{ if .Values.x }}never closed")

    def test_missing_value_prints_nothing(self):
        # Helm replaces Go's "<no value>" with "" in what it renders.
        chart = tempfile.mkdtemp()
        os.makedirs(os.path.join(chart, "templates"))
        with open(os.path.join(chart, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
        with open(os.path.join(chart, "templates", "cm.yaml"), "w") as f:
            f.write("kind: ConfigMap\nx: [{{ .Values.nothing }}]\n")
        manifests = helm_render.render(chart)
        self.assertEqual([m.text for m in manifests], ["kind: ConfigMap\nx: []"])


class YamlSubset(unittest.TestCase):
    def test_reads_what_values_files_hold(self):
        text = ("# comment\n"
                "a:\n  b: 1  # trailing\n  c: \"q # not a comment\"\n  d: 'it''s'\n"
                "list:\n- x\n- name: web\n  port: 8080\n"
                "nested:\n  - - 1\n    - 2\nflow: [a, \"b\", 3]\nmap: {k: v}\nempty: {}\n"
                "none:\nyes_no: yes\nstr: 5s\nfloat: 0.5\nhex: 0x1F\n")
        self.assertEqual(helm_yaml.load(text), {
            "a": {"b": 1, "c": "q # not a comment", "d": "it's"},
            "list": ["x", {"name": "web", "port": 8080}],
            "nested": [[1, 2]], "flow": ["a", "b", 3], "map": {"k": "v"}, "empty": {},
            "none": None, "yes_no": True, "str": "5s", "float": 0.5, "hex": 31})

    def test_documents(self):
        self.assertEqual(helm_yaml.load_all("a: 1\n---\n# only a comment\n--- \nb: 2\n"),
                         [{"a": 1}, None, {"b": 2}])

    def test_refuses_what_it_does_not_read(self):
        for text in ("a: |\n  x\n", "a: &x 1\n", "a: \"open\n", "a: 1\n a: 2\n", "a: 1\na: 2\n"):
            with self.assertRaises(ValueError, msg=text):
                helm_yaml.load(text)

    def test_dump_reads_back(self):
        value = {"s": "a: b", "t": "true", "n": 1.0, "e": "", "l": [[1.0, "x"], {"k": None}],
                 "m": {"z": {}, "y": []}, "q": "'x'", "h": "#x", "star": "*x"}
        self.assertEqual(helm_yaml.load(helm_yaml.dump(value)),
                         {**value, "n": 1, "l": [[1, "x"], {"k": None}]})

    def test_merge_values(self):
        base = {"a": {"b": 1, "c": 2}, "l": [1], "d": 3}
        self.assertEqual(helm_render.merge_values(base, {"a": {"b": 9}, "l": [], "d": None}),
                         {"a": {"b": 9, "c": 2}, "l": []})


if __name__ == "__main__":
    unittest.main()
