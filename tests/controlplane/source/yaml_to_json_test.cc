#include "controlplane/source/yaml_to_json.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace portico::controlplane {
namespace {

std::string ToJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// The JSON of every document, or "error: ..." with the described error.
std::vector<std::string> Convert(std::string_view yaml, const YamlLimits& limits = {}) {
  std::vector<YamlDocument> docs;
  YamlError error;
  if (!YamlToJson(yaml, &docs, &error, limits)) {
    CHECK(docs.empty());
    return {"error: " + DescribeYamlError(error)};
  }
  std::vector<std::string> out;
  for (const YamlDocument& doc : docs)
    out.push_back(std::to_string(doc.index) + " " + ToJson(doc.json));
  return out;
}

using Lines = std::vector<std::string>;

TEST_CASE("scalars resolve like sigs.k8s.io/yaml", "[yaml_to_json]") {
  CHECK(Convert("a: 1\nb: \"1\"\nc: !!str 1\nd: ~\ne:\nf: yes\ng: 'no'\nh: 1.5\ni: 0x10\n"
                "j: text\nk: |\n  block\n") ==
        Lines{R"(0 {"a":1,"b":"1","c":"1","d":null,"e":null,"f":true,"g":"no","h":1.5,"i":16,)"
              R"("j":"text","k":"block\n"})"});
}

TEST_CASE("keys are always strings", "[yaml_to_json]") {
  CHECK(Convert("on: 1\n80: x\n'yes': z\nn: off\n") ==
        Lines{R"(0 {"true":1,"80":"x","yes":"z","false":false})"});
  CHECK(Convert("~: x\n") ==
        Lines{"error: document 0, line 1, column 1: a null mapping key is not supported"});
  CHECK(Convert("[a]: 1\n") ==
        Lines{"error: document 0, line 1, column 1: mapping keys must be scalars"});
}

TEST_CASE("multi-document files keep document positions, empty ones are skipped",
          "[yaml_to_json]") {
  CHECK(Convert("a: 1\n---\n# only a comment\n---\n---\nb: [1, 2]\n") ==
        Lines{R"(0 {"a":1})", R"(3 {"b":[1,2]})"});
  CHECK(Convert("").empty());
  CHECK(Convert("---\n").empty());
}

TEST_CASE("anchors, aliases and merge keys expand", "[yaml_to_json]") {
  CHECK(Convert("base: &b {a: 1, b: 2}\ncopy: *b\nmerged:\n  <<: *b\n  b: 3\n") ==
        Lines{R"(0 {"base":{"a":1,"b":2},"copy":{"a":1,"b":2},"merged":{"b":3,"a":1}})"});
}

TEST_CASE("alias bombs and deep nesting are refused", "[yaml_to_json]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char name = 'b'; name <= 'h'; ++name) {
    bomb += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = name;
  }
  Lines result = Convert(bomb);
  REQUIRE(result.size() == 1);
  CHECK_THAT(result[0], Catch::Contains("document expands to more than 1000000 nodes"));

  std::string deep(101, '[');
  CHECK(Convert(deep + std::string(101, ']')) ==
        Lines{"error: document 0, line 1, column 101: nesting deeper than 100 levels"});
  CHECK(Convert("a: &a [*a]\n") ==
        Lines{"error: document 0, line 1, column 8: alias refers to a node that contains it"});
}

TEST_CASE("errors name the document, line and column", "[yaml_to_json]") {
  CHECK(Convert("a: 1\n---\nb: [1, 2\n") ==
        Lines{"error: document 1, line 4, column 1: end of sequence flow not found"});
  CHECK(Convert("a: 1\na: 2\n") ==
        Lines{"error: document 0, line 2, column 1: duplicate key \"a\""});
  CHECK(Convert("port: .nan\n") ==
        Lines{"error: document 0, line 1, column 7: value .nan has no JSON representation"});
  CHECK(Convert("x: *nothing\n") ==
        Lines{"error: document 0, line 1, column 4: the referenced anchor is not defined"});
}

TEST_CASE("limits are configurable", "[yaml_to_json]") {
  CHECK(Convert("[1, 2, 3, 4, 5]", YamlLimits{.max_nodes = 4}) ==
        Lines{"error: document 0, line 1, column 11: document has more than 4 nodes"});
  CHECK(Convert("a: &a [1, 2]\nb: *a\n", YamlLimits{.max_nodes = 6}) ==
        Lines{"error: document 0, line 1, column 11: document expands to more than 6 nodes (alias "
              "expansion?)"});
}

TEST_CASE("input the parser cannot get past is refused where it sticks", "[yaml_to_json]") {
  // yaml-cpp 0.7 would report the same empty document at a stray ',' forever.
  constexpr char kStuck[] = "',' outside [] or {}: the YAML parser cannot get past this point";
  CHECK(Convert(",") == Lines{std::string("error: document 0, line 1, column 1: ") + kStuck});
  CHECK(Convert("# a comment\n  ,\n") ==
        Lines{std::string("error: document 0, line 2, column 3: ") + kStuck});
  CHECK(Convert("a: 1\n---\n,\nb: 2\n") ==
        Lines{std::string("error: document 2, line 3, column 1: ") + kStuck});
  CHECK(Convert("---\n---\n---\n") == Lines{});  // empty documents do move on
  CHECK(Convert("a: [1, 2]\n") == Lines{R"(0 {"a":[1,2]})"});

  // Found by fuzz_manifests (a timeout): the same stray ',' in a manifest.
  std::ifstream file(PORTICO_SOURCE_DIR "/fuzz/regressions/manifests-timeout-1", std::ios::binary);
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  CHECK(Convert(text.str()) ==
        Lines{std::string("error: document 0, line 3, column 5: ") + kStuck});
}

TEST_CASE("a file holds a bounded number of documents", "[yaml_to_json]") {
  std::string many;
  for (int i = 0; i < 10'001; ++i) many += "---\n";
  CHECK(Convert(many) == Lines{"error: document 10000: more than 10000 documents in one file"});
  CHECK(Convert("a: 1\n---\nb: 2\n---\nc: 3\n", YamlLimits{.max_documents = 2}) ==
        Lines{"error: document 2: more than 2 documents in one file"});
  CHECK(Convert("a: 1\n---\nb: 2\n", YamlLimits{.max_documents = 2}) ==
        Lines{R"(0 {"a":1})", R"(1 {"b":2})"});
}

}  // namespace
}  // namespace portico::controlplane
