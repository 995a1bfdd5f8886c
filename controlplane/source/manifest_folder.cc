#include "controlplane/source/manifest_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iterator>
#include <set>
#include <string_view>
#include <utility>

namespace portico::controlplane {
namespace {

namespace fs = std::filesystem;
using FileId = std::pair<dev_t, ino_t>;

bool IsManifestName(const std::string& name) {
  return name.ends_with(".yaml") || name.ends_with(".yml");
}

struct Walk {
  ManifestFolder* out;
  std::set<FileId> directories_seen;  // symlinked directories may loop
  std::vector<std::string> candidates;
};

void WalkDirectory(const fs::path& dir, const std::string& relative, Walk* walk) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 ||
      !walk->directories_seen.insert({st.st_dev, st.st_ino}).second) {
    return;
  }
  walk->out->directories.push_back(dir.string());
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec && relative.empty()) {
    // An unlistable root is not an empty folder: publishing nothing would
    // drop every route, so the caller keeps the last objects instead.
    walk->out->root_error = dir.string() + ": cannot list: " + ec.message();
    return;
  }
  if (ec) {
    walk->out->issues.push_back({relative, "cannot list: " + ec.message()});
    return;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".")) continue;
    std::string child = relative.empty() ? name : relative + "/" + name;
    std::error_code status_ec;
    fs::file_status status = fs::status(it->path(), status_ec);  // follows symlinks
    if (fs::is_directory(status)) {
      WalkDirectory(it->path(), child, walk);
    } else if (IsManifestName(name)) {
      walk->candidates.push_back(child);  // broken links and odd files are reported on read
    }
  }
  if (ec) {
    walk->out->issues.push_back(
        {relative.empty() ? "." : relative, "cannot list: " + ec.message()});
  }
}

// Reads one file; "" or the reason it cannot be used. *id identifies the
// real file so that it is read once however many links point at it.
// *vanished: it no longer exists (or is a dangling link), which is no error.
FileStamp StampOf(const struct stat& st) {
  return {.device = static_cast<uint64_t>(st.st_dev),
          .inode = static_cast<uint64_t>(st.st_ino),
          .size = static_cast<int64_t>(st.st_size),
          .mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          .ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec};
}

int64_t RealtimeNs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// The content `previous` holds for `path` when the file still has the
// stamp it had settled with there; null otherwise.
std::shared_ptr<const std::string> SettledContent(const ManifestFolder* previous,
                                                  const std::string& path, const FileStamp& stamp) {
  if (previous == nullptr) return nullptr;
  auto settled = previous->settled.find(path);
  if (settled == previous->settled.end() || !(settled->second == stamp)) return nullptr;
  auto file =
      std::lower_bound(previous->files.begin(), previous->files.end(), path,
                       [](const ManifestFile& f, const std::string& p) { return f.path < p; });
  return file != previous->files.end() && file->path == path ? file->shared : nullptr;
}

std::string ReadFile(const fs::path& path, size_t max_bytes, std::string* content, FileId* id,
                     FileStamp* stamp, bool* vanished) {
  // O_NONBLOCK: opening a FIFO named *.yaml must not hang the loop.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  *vanished = fd < 0 && errno == ENOENT;
  if (fd < 0) return std::strerror(errno);
  struct stat st {};
  std::string error;
  if (::fstat(fd, &st) != 0) {
    error = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    error = "not a regular file";
  } else if (static_cast<size_t>(st.st_size) > max_bytes) {
    error = "larger than " + std::to_string(max_bytes) + " bytes";
  }
  *id = {st.st_dev, st.st_ino};
  *stamp = StampOf(st);
  // Sized once (it may still grow: the file can be written meanwhile).
  if (error.empty()) content->reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (error.empty()) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = std::strerror(errno);
    if (n <= 0) break;
    content->append(buf, static_cast<size_t>(n));
    if (content->size() > max_bytes) error = "larger than " + std::to_string(max_bytes) + " bytes";
  }
  ::close(fd);
  if (error.empty() && content->find('\0') != std::string::npos) error = "binary file (NUL byte)";
  return error;
}

}  // namespace

bool ManifestFolder::SameContent(const ManifestFolder& other) const {
  auto issues_equal = [](const std::vector<SourceIssue>& a, const std::vector<SourceIssue>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
      return x.origin == y.origin && x.message == y.message;
    });
  };
  return root_error == other.root_error && files == other.files &&
         issues_equal(issues, other.issues);
}

ManifestFolder ReadManifestFolder(const std::string& root, const ManifestFolderOptions& options,
                                  const ManifestFolder* previous) {
  const int64_t started_ns = RealtimeNs();
  ManifestFolder folder;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    folder.root_error = root + ": " + (ec ? ec.message() : std::string("not a directory"));
    return folder;
  }
  fs::path root_path(root);
  Walk walk{.out = &folder};
  WalkDirectory(root_path, "", &walk);
  if (!folder.root_error.empty()) return folder;
  std::sort(walk.candidates.begin(), walk.candidates.end());
  std::set<FileId> files_seen;
  for (const std::string& relative : walk.candidates) {
    ManifestFile file;
    file.path = relative;
    FileId id{};
    FileStamp stamp;
    std::string error;
    struct stat st {};
    std::shared_ptr<const std::string> settled;
    if (previous != nullptr && ::stat((root_path / relative).c_str(), &st) == 0 &&
        S_ISREG(st.st_mode)) {
      stamp = StampOf(st);
      settled = SettledContent(previous, relative, stamp);
    }
    if (settled != nullptr) {
      file.shared = std::move(settled);
      id = {st.st_dev, st.st_ino};
    } else {
      bool vanished = false;
      std::string content;
      error =
          ReadFile(root_path / relative, options.max_file_bytes, &content, &id, &stamp, &vanished);
      if (vanished) continue;  // deleted since listed: the event it caused brings another scan
      file.shared = std::make_shared<const std::string>(std::move(content));
    }
    if (!error.empty()) {
      folder.issues.push_back({relative, "cannot read: " + error});
    } else if (files_seen.insert(id).second) {
      if (stamp.ctime_ns < started_ns - options.stamp_margin_ns)
        folder.settled.emplace(relative, stamp);
      folder.files.push_back(std::move(file));
    }
  }
  return folder;
}

namespace {

// Parses one file into objects, or sets *issue.
void ParseFile(const ManifestFile& file, const ManifestFolderOptions& options,
               std::vector<SourceObject>* objects, std::string* issue) {
  std::vector<YamlDocument> documents;
  YamlError error;
  if (!YamlToJson(file.content(), &documents, &error, options.yaml)) {
    *issue = "not loaded: " + DescribeYamlError(error);
    return;
  }
  for (YamlDocument& doc : documents) {
    objects->push_back({file.path + "#" + std::to_string(doc.index), std::move(doc.json)});
  }
}

}  // namespace

SourceLoad ParseManifests(const ManifestFolder& folder, const ManifestFolderOptions& options) {
  SourceLoad load;
  load.issues = folder.issues;
  for (const ManifestFile& file : folder.files) {
    std::string issue;
    ParseFile(file, options, &load.objects, &issue);
    if (!issue.empty()) load.issues.push_back({file.path, std::move(issue)});
  }
  return load;
}

const SourceLoad& ManifestParseCache::Parse(const ManifestFolder& folder,
                                            const ManifestFolderOptions& options) {
  SourceLoad load;
  load.issues = folder.issues;
  std::map<std::string, Entry> entries;
  for (const ManifestFile& file : folder.files) {
    Entry entry;
    auto cached = entries_.find(file.path);
    auto objects_of = [&](const Entry& e) {
      auto first = load_.objects.begin() + static_cast<ptrdiff_t>(e.first);
      return std::make_pair(first, first + static_cast<ptrdiff_t>(e.count));
    };
    size_t first = load.objects.size();
    if (cached != entries_.end() && cached->second.content != nullptr &&
        (cached->second.content == file.shared || *cached->second.content == file.content())) {
      entry = std::move(cached->second);
      // The last load is replaced below: its objects move, never copied.
      auto [from, to] = objects_of(entry);
      std::move(from, to, std::back_inserter(load.objects));
    } else {
      entry.content = file.shared != nullptr ? file.shared : std::make_shared<const std::string>();
      ParseFile(file, options, &load.objects, &entry.issue);
      // A document equal to the one at its origin in the file's last parse
      // keeps that one's fingerprint (an edit of one document of a file
      // leaves the others "unchanged"); else a new one, unique in the
      // process, so never equal to an earlier parse's.
      static std::atomic<uint64_t> parses{0};
      std::string fingerprint = "parse:" + std::to_string(++parses);
      std::map<std::string_view, const SourceObject*> before;
      if (cached != entries_.end()) {
        auto [from, to] = objects_of(cached->second);
        for (auto it = from; it != to; ++it) before[it->origin] = &*it;
      }
      for (size_t i = first; i < load.objects.size(); ++i) {
        SourceObject& object = load.objects[i];
        auto same = before.find(object.origin);
        object.fingerprint = same != before.end() && same->second->json == object.json
                                 ? same->second->fingerprint
                                 : fingerprint;
      }
    }
    entry.first = first;
    entry.count = load.objects.size() - first;
    if (!entry.issue.empty()) load.issues.push_back({file.path, entry.issue});
    entries.emplace(file.path, std::move(entry));
  }
  entries_ = std::move(entries);  // files gone from the folder leave the cache
  load_ = std::move(load);
  return load_;
}

}  // namespace portico::controlplane
