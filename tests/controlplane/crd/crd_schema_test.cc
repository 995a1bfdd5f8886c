// The decoders and crds/*.yaml must agree: every field a decoder reads is in
// the CRD schema with the same type, enum, bounds and required flag; every
// schema field is read by a decoder; every one-of choice is in both. A
// mismatch fails with one line per disagreement.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "controlplane/crd/crd_objects.h"

namespace portico::controlplane::crd {
namespace {

std::string CrdPath(std::string_view plural) {
  return std::string(PORTICO_SOURCE_DIR) + "/crds/" + std::string(plural) + ".yaml";
}

struct SchemaNode {
  YAML::Node node;
  bool required = false;
};

// Every property under `node`, by catalog path ("spec.routes[].match").
void Walk(const YAML::Node& node, const std::string& path, bool required,
          std::map<std::string, SchemaNode>* out) {
  (*out)[path] = {node, required};
  std::set<std::string> required_names;
  for (const auto& name : node["required"]) required_names.insert(name.as<std::string>());
  for (const auto& property : node["properties"]) {
    std::string name = property.first.as<std::string>();
    Walk(property.second, path + "." + name, required_names.count(name) > 0, out);
  }
  if (node["items"]) Walk(node["items"], path + "[]", false, out);
}

std::string TypeOf(const YAML::Node& node) {
  if (node["x-kubernetes-int-or-string"] && node["x-kubernetes-int-or-string"].as<bool>()) {
    return "int-or-string";
  }
  std::string type = node["type"] ? node["type"].as<std::string>() : "";
  if (type == "object" && node["x-kubernetes-preserve-unknown-fields"] && !node["properties"]) {
    return "free-form object";
  }
  if (type == "object" && node["additionalProperties"]) {
    std::string item = node["additionalProperties"]["type"].as<std::string>("");
    if (item == "string") return "map of strings";
    if (item == "integer") return "map of integers";
  }
  return type;
}

// The pattern that says "one of these, any case": ^(([Nn][Oo])|...)$.
std::string AnyCasePattern(const std::vector<std::string>& values) {
  std::string pattern = "^(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) pattern += "|";
    for (char c : values[i]) {
      char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      pattern += lower == upper ? std::string(1, c) : std::string("[") + upper + lower + "]";
    }
  }
  return pattern + ")$";
}

std::set<std::string> Strings(const YAML::Node& list) {
  std::set<std::string> out;
  for (const auto& item : list) out.insert(item.as<std::string>());
  return out;
}

std::string Join(const std::set<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ",") + v;
  return "[" + out + "]";
}

void CompareField(const SchemaField& field, const SchemaNode& schema,
                  std::vector<std::string>* problems) {
  auto problem = [&](const std::string& what) { problems->push_back(field.path + ": " + what); };
  std::string type = TypeOf(schema.node);
  if (type != SchemaTypeName(field.type)) {
    problem("decoder reads " + std::string(SchemaTypeName(field.type)) + ", schema says " + type);
  }
  if (field.required != schema.required) {
    problem(field.required ? "decoder requires it, schema does not"
                           : "schema requires it, decoder does not");
  }
  std::set<std::string> decoder_enum(field.enum_values.begin(), field.enum_values.end());
  if (field.enum_any_case) {
    std::string want = AnyCasePattern(field.enum_values);
    std::string got = schema.node["pattern"].as<std::string>("");
    if (got != want) problem("schema pattern must be " + want + " (any-case enum), got " + got);
    if (schema.node["enum"]) problem("any-case enum must be a pattern, not a schema enum");
  } else if (decoder_enum != Strings(schema.node["enum"])) {
    problem("decoder accepts " + Join(decoder_enum) + ", schema enum is " +
            Join(Strings(schema.node["enum"])));
  }
  auto bound = [&](const char* key, const std::optional<int64_t>& want) {
    std::optional<int64_t> got;
    if (schema.node[key]) got = schema.node[key].as<int64_t>();
    if (got != want) {
      problem(std::string(key) + ": decoder " + (want ? std::to_string(*want) : "none") +
              ", schema " + (got ? std::to_string(*got) : "none"));
    }
  };
  bound("minimum", field.minimum);
  bound("maximum", field.maximum);
}

// The members named by a schema node's oneOf ([{required: [a]}, ...]) or
// not ({required: [a, b]} or {anyOf: [{required: [a, b]}, ...]}).
std::set<std::string> ChoiceMembers(const YAML::Node& node, bool exactly_one) {
  std::set<std::string> members;
  if (exactly_one) {
    for (const auto& alt : node["oneOf"]) {
      for (const auto& name : alt["required"]) members.insert(name.as<std::string>());
    }
    return members;
  }
  const YAML::Node exclusion = node["not"];
  if (!exclusion) return members;
  for (const auto& name : exclusion["required"]) members.insert(name.as<std::string>());
  for (const auto& alt : exclusion["anyOf"]) {
    for (const auto& name : alt["required"]) members.insert(name.as<std::string>());
  }
  return members;
}

std::vector<std::string> Disagreements(const CrdKindInfo& kind) {
  std::vector<std::string> problems;
  YAML::Node crd = YAML::LoadFile(CrdPath(kind.plural));
  YAML::Node root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  std::map<std::string, SchemaNode> schema;
  std::set<std::string> roots = Strings(root["required"]);
  Walk(root["properties"]["spec"], "spec", roots.count("spec") > 0, &schema);

  SchemaCatalog catalog = kind.describe();
  std::set<std::string> read;
  for (const SchemaField& field : catalog.fields) {
    read.insert(field.path);
    auto it = schema.find(field.path);
    if (it == schema.end()) {
      problems.push_back(field.path + ": decoder reads it, the schema has no such field");
    } else {
      CompareField(field, it->second, &problems);
    }
  }
  for (const auto& [path, node] : schema) {
    if (!read.count(path)) problems.push_back(path + ": in the schema, never read by the decoder");
  }
  std::set<std::string> choice_paths;
  for (const SchemaChoice& choice : catalog.choices) {
    choice_paths.insert(choice.path);
    auto it = schema.find(choice.path);
    if (it == schema.end()) continue;
    std::set<std::string> want(choice.members.begin(), choice.members.end());
    std::set<std::string> got = ChoiceMembers(it->second.node, choice.exactly_one);
    if (want != got) {
      problems.push_back(choice.path + ": decoder allows " +
                         (choice.exactly_one ? "exactly one of " : "at most one of ") + Join(want) +
                         ", schema " + (choice.exactly_one ? "oneOf" : "not") + " names " +
                         Join(got));
    }
  }
  for (const auto& [path, node] : schema) {
    if ((node.node["oneOf"] || node.node["not"]) && !choice_paths.count(path)) {
      problems.push_back(path + ": schema has a oneOf/not the decoder does not check");
    }
  }
  return problems;
}

TEST_CASE("every CRD file exists for every decoded kind, and no other") {
  std::set<std::string> expected;
  for (const CrdKindInfo& kind : CrdKinds()) expected.insert(std::string(kind.plural) + ".yaml");
  std::set<std::string> found;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(PORTICO_SOURCE_DIR) + "/crds")) {
    if (entry.path().extension() == ".yaml") found.insert(entry.path().filename().string());
  }
  CHECK(found == expected);
}

TEST_CASE("decoders and CRD schemas agree field by field") {
  for (const CrdKindInfo& kind : CrdKinds()) {
    SECTION(std::string(kind.kind)) {
      std::vector<std::string> problems = Disagreements(kind);
      std::string report;
      for (const std::string& p : problems)
        report += "\n  crds/" + std::string(kind.plural) + ".yaml " + p;
      INFO("decoder and schema disagree:" << report);
      CHECK(problems.empty());
    }
  }
}

// Not run by default: prints what each decoder reads as JSON lines, the
// starting point when adding a field to a CRD by hand.
TEST_CASE("print decoder catalogs", "[.catalog]") {
  for (const CrdKindInfo& kind : CrdKinds()) {
    SchemaCatalog catalog = kind.describe();
    for (const SchemaField& f : catalog.fields) {
      std::cout << "{\"kind\":\"" << kind.kind << "\",\"path\":\"" << f.path << "\",\"type\":\""
                << SchemaTypeName(f.type) << "\",\"required\":" << (f.required ? "true" : "false")
                << ",\"anyCase\":" << (f.enum_any_case ? "true" : "false") << ",\"enum\":[";
      for (size_t i = 0; i < f.enum_values.size(); ++i) {
        std::cout << (i ? "," : "") << "\"" << f.enum_values[i] << "\"";
      }
      std::cout << "]";
      if (f.minimum) std::cout << ",\"minimum\":" << *f.minimum;
      if (f.maximum) std::cout << ",\"maximum\":" << *f.maximum;
      std::cout << "}\n";
    }
    for (const SchemaChoice& c : catalog.choices) {
      std::cout << "{\"kind\":\"" << kind.kind << "\",\"choice\":\"" << c.path
                << "\",\"exactlyOne\":" << (c.exactly_one ? "true" : "false") << ",\"members\":[";
      for (size_t i = 0; i < c.members.size(); ++i) {
        std::cout << (i ? "," : "") << "\"" << c.members[i] << "\"";
      }
      std::cout << "]}\n";
    }
  }
}

}  // namespace
}  // namespace portico::controlplane::crd
