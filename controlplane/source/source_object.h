// What a source hands to the model: one Kubernetes object as the JSON DOM the
// API server would serve, plus where it came from. Plain values; no threading.
#pragma once

#include <string>
#include <vector>

#include "rapidjson/document.h"

namespace portico::controlplane {

struct SourceObject {
  std::string origin;  // "<relative path>#<document index>" for files
  rapidjson::Document json;
  // Equal non-empty fingerprints of two objects of one source at the same
  // origin promise equal `json` (the file source: which parse of the file;
  // the Kubernetes source: metadata.resourceVersion). "": unknown.
  std::string fingerprint;
};

// A problem found while reading or decoding objects, reported against the
// place it came from ("deploy/app.yaml#2", "deploy/app.yaml").
struct SourceIssue {
  std::string origin;
  std::string message;
};

// One complete read of a source: every object it holds now.
struct SourceLoad {
  std::vector<SourceObject> objects;
  std::vector<SourceIssue> issues;
};

}  // namespace portico::controlplane
