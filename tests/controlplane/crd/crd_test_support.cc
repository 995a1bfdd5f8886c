#include "tests/controlplane/crd/crd_test_support.h"

#include <catch2/catch.hpp>

#include "controlplane/source/yaml_to_json.h"

namespace portico::controlplane::crd::testing {

rapidjson::Document ParseYaml(std::string_view yaml) {
  std::vector<YamlDocument> documents;
  YamlError error;
  INFO(yaml);
  REQUIRE(YamlToJson(yaml, &documents, &error));
  REQUIRE(documents.size() == 1);
  return std::move(documents[0].json);
}

std::string Manifest(std::string_view kind, std::string_view spec, std::string_view api_version) {
  std::string out = "apiVersion: " + std::string(api_version) + "\nkind: " + std::string(kind) +
                    "\nmetadata: {name: t, namespace: ns, generation: 7}\n";
  if (!spec.empty()) out += "spec: " + std::string(spec) + "\n";
  return out;
}

}  // namespace portico::controlplane::crd::testing
