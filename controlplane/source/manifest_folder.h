// Reads a folder of Kubernetes manifests (*.yaml, *.yml, recursively) and
// turns it into SourceObjects. Blocking file I/O: the controller calls it on
// its main loop, which serves no traffic; meant for small folders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/source/source_object.h"
#include "controlplane/source/yaml_to_json.h"

namespace portico::controlplane {

struct ManifestFolderOptions {
  size_t max_file_bytes = 8 << 20;
  YamlLimits yaml;
  // How long before a read a file must have last changed for its stamp to
  // stand for its content (ManifestFolder::settled): a write in the same
  // timestamp tick as the read could leave the stamp as it was, and two
  // seconds exceed any tick. Tests set 0.
  int64_t stamp_margin_ns = 2'000'000'000;
};

// A file's bytes are immutable once read and shared: a read that finds a
// file settled (ReadManifestFolder), the watcher's last read and the parse
// cache hold the same string, and compare it by pointer first.
struct ManifestFile {
  ManifestFile() = default;
  ManifestFile(std::string path, std::string content)
      : path(std::move(path)), shared(std::make_shared<const std::string>(std::move(content))) {}

  const std::string& content() const { return shared != nullptr ? *shared : Empty(); }
  bool operator==(const ManifestFile& other) const {
    return path == other.path && (shared == other.shared || content() == other.content());
  }

  std::string path;  // relative to the root, '/'-separated
  std::shared_ptr<const std::string> shared;

 private:
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }
};

// A file's identity and last change as stat(2) reports them.
struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;  // set by the kernel on every write, rename or chmod
  bool operator==(const FileStamp&) const = default;
};

// The raw state of a folder: what the watcher compares to notice changes.
struct ManifestFolder {
  std::string root_error;                // the root is missing or unlistable: no files are set
  std::vector<ManifestFile> files;       // sorted by path; each real file once
  std::vector<SourceIssue> issues;       // files that could not be read
  std::vector<std::string> directories;  // absolute, the root first: what to watch
  // By path: the stamps of the files whose last change was at least
  // stamp_margin_ns before they were read. Not part of SameContent.
  std::map<std::string, FileStamp> settled;
  bool SameContent(const ManifestFolder& other) const;
};

// Names starting with '.' are skipped (Kubernetes ConfigMap mounts keep the
// real files in "..data"), symlinks are followed, and a file reached through
// several paths is read once, under its first path in sorted order.
// With `previous` (the last read of the same root), a file whose stamp
// equals its settled stamp there is not read again: its content is taken
// from `previous` (at 10 000 routes most of a reload's reading).
ManifestFolder ReadManifestFolder(const std::string& root, const ManifestFolderOptions& options,
                                  const ManifestFolder* previous = nullptr);

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
    std::shared_ptr<const std::string> content;
    size_t first = 0;  // the file's objects: load_.objects[first, first + count)
    size_t count = 0;  // 0 when `issue` is set
    std::string issue;
  };
  std::map<std::string, Entry> entries_;  // by file path
  SourceLoad load_;
};

}  // namespace portico::controlplane
