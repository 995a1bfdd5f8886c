// Reads a folder of Kubernetes manifests (*.yaml, *.yml, recursively) and
// turns it into SourceObjects. Blocking file I/O: the controller calls it on
// its main loop, which serves no traffic; meant for small folders.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "controlplane/source/source_object.h"
#include "controlplane/source/yaml_to_json.h"

namespace portico::controlplane {

struct ManifestFolderOptions {
  size_t max_file_bytes = 8 << 20;
  YamlLimits yaml;
};

struct ManifestFile {
  std::string path;  // relative to the root, '/'-separated
  std::string content;
  bool operator==(const ManifestFile&) const = default;
};

// The raw state of a folder: what the watcher compares to notice changes.
struct ManifestFolder {
  std::string root_error;                // the root is missing or unlistable: no files are set
  std::vector<ManifestFile> files;       // sorted by path; each real file once
  std::vector<SourceIssue> issues;       // files that could not be read
  std::vector<std::string> directories;  // absolute, the root first: what to watch
  bool SameContent(const ManifestFolder& other) const;
};

// Names starting with '.' are skipped (Kubernetes ConfigMap mounts keep the
// real files in "..data"), symlinks are followed, and a file reached through
// several paths is read once, under its first path in sorted order.
ManifestFolder ReadManifestFolder(const std::string& root, const ManifestFolderOptions& options);

// Parses every file. A file that does not parse contributes no object at all
// (not even its valid documents) and is reported as an issue.
SourceLoad ParseManifests(const ManifestFolder& folder, const ManifestFolderOptions& options);

// ParseManifests for a folder read again and again: a file whose path and
// content are unchanged since the last Parse is not parsed again (YAML
// parsing is most of a reload: ~1 s of CPU for 10 000 Ingresses), its
// objects are moved over from the previous load, not copied. Each object
// gets a fingerprint (SourceObject): kept while its document is unchanged,
// even when other documents of its file change. Not thread-safe.
class ManifestParseCache {
 public:
  // The load, valid until the next Parse (which takes its objects over).
  const SourceLoad& Parse(const ManifestFolder& folder, const ManifestFolderOptions& options);

 private:
  struct Entry {
    std::string content;
    size_t first = 0;  // the file's objects: load_.objects[first, first + count)
    size_t count = 0;  // 0 when `issue` is set
    std::string issue;
  };
  std::map<std::string, Entry> entries_;  // by file path
  SourceLoad load_;
};

}  // namespace portico::controlplane
