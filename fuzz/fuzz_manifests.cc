// Manifests are untrusted input for the controller: any bytes must either
// compile (dropping what is invalid, with a reason) or be refused as a file,
// never crash, and equal input must give the same snapshot version.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/compiler/compiler.h"
#include "controlplane/model/cluster_state.h"
#include "controlplane/source/yaml_to_json.h"
#include "controlplane/translate/snapshot_translator.h"

using namespace portico::controlplane;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<YamlDocument> documents;
  YamlError error;
  // Small limits keep each run fast; the limits themselves are under test too.
  if (!YamlToJson(text, &documents, &error, {.max_nodes = 20'000, .max_depth = 50})) {
    if (error.reason.empty()) __builtin_trap();  // a refusal must say why
    return 0;
  }
  std::vector<SourceObject> objects;
  for (YamlDocument& doc : documents) {
    objects.push_back({.origin = "fuzz.yaml#" + std::to_string(doc.index), .json = std::move(doc.json)});
  }
  ClusterStateBuild built = BuildClusterState(objects);
  auto first = TranslateSnapshot(Compile(built.state));
  auto second = TranslateSnapshot(Compile(built.state));
  if (first.version() != second.version()) __builtin_trap();  // compile must be deterministic
  return 0;
}
