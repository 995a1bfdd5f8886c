// Turns YAML manifests into the JSON DOM the Kubernetes API would serve for
// them, resolving plain scalars the way sigs.k8s.io/yaml (go-yaml v2, YAML
// 1.1) does. Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rapidjson/document.h"

namespace portico::controlplane {

struct YamlLimits {
  // Caps what aliases may expand to, so a small "billion laughs" file cannot
  // exhaust memory.
  size_t max_nodes = 1'000'000;
  int max_depth = 100;
  // Documents per file, empty ones included: 8 MiB of "---" lines would be
  // two million documents (seconds of parsing on the controller's loop).
  int max_documents = 10'000;
};

struct YamlDocument {
  int index = 0;  // position in the file, 0-based, empty documents included
  rapidjson::Document json;
};

struct YamlError {
  int document = -1;  // -1: not known
  int line = 0;       // 1-based; 0: not known
  int column = 0;     // 1-based; 0: not known
  std::string reason;
};

// Converts every non-empty document of `text`. On the first error returns
// false with *error filled; *documents is then left empty because a file is
// taken whole or not at all. Input the parser cannot get past (yaml-cpp 0.7
// would loop on it forever) is an error at the place it sticks.
bool YamlToJson(std::string_view text, std::vector<YamlDocument>* documents, YamlError* error,
                const YamlLimits& limits = {});

// "line 3, column 7: reason" (parts that are not known are left out).
std::string DescribeYamlError(const YamlError& error);

}  // namespace portico::controlplane
