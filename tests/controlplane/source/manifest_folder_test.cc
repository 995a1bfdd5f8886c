#include "controlplane/source/manifest_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/controlplane/support/temp_dir.h"

namespace portico::controlplane {
namespace {

using testing::TempDir;

std::vector<std::string> Origins(const SourceLoad& load) {
  std::vector<std::string> out;
  for (const SourceObject& o : load.objects) out.push_back(o.origin);
  return out;
}

std::vector<std::string> Issues(const std::vector<SourceIssue>& issues) {
  std::vector<std::string> out;
  for (const SourceIssue& i : issues) out.push_back(i.origin + ": " + i.message);
  return out;
}

using Lines = std::vector<std::string>;

TEST_CASE("reads *.yaml and *.yml recursively in path order, multi-document files included",
          "[manifest_folder]") {
  TempDir dir;
  dir.Write("b.yaml", "kind: B\n---\nkind: B2\n");
  dir.Write("a/z.yml", "kind: Z\n");
  dir.Write("a/notes.txt", "kind: ignored\n");
  dir.Write(".hidden.yaml", "kind: hidden\n");
  dir.Write(".git/x.yaml", "kind: hidden\n");
  ManifestFolder folder = ReadManifestFolder(dir.path(), {});
  CHECK(folder.root_error.empty());
  CHECK(folder.directories == Lines{dir.path(), dir.path() + "/a"});
  SourceLoad load = ParseManifests(folder, {});
  CHECK(Origins(load) == Lines{"a/z.yml#0", "b.yaml#0", "b.yaml#1"});
  CHECK(load.objects[2].json["kind"].GetString() == std::string("B2"));
  CHECK(load.issues.empty());
}

TEST_CASE("a broken file contributes nothing and the others still load", "[manifest_folder]") {
  TempDir dir;
  dir.Write("good.yaml", "kind: Good\n");
  dir.Write("broken.yaml", "kind: Fine\n---\nkind: [unclosed\n");
  dir.Write("stuck.yaml", "kind: Fine\n---\n# yaml-cpp 0.7 loops on a stray comma\n  ,\n");
  SourceLoad load = ParseManifests(ReadManifestFolder(dir.path(), {}), {});
  CHECK(Origins(load) == Lines{"good.yaml#0"});
  CHECK(Issues(load.issues) ==
        Lines{"broken.yaml: not loaded: document 1, line 4, column 1: end of sequence flow not "
              "found",
              "stuck.yaml: not loaded: document 2, line 4, column 3: ',' outside [] or {}: the "
              "YAML parser cannot get past this point"});
}

TEST_CASE("ConfigMap-style symlinks are followed and each real file is read once",
          "[manifest_folder]") {
  TempDir dir;
  dir.Write("..2024_01_01/app.yaml", "kind: App\n");
  namespace fs = std::filesystem;
  fs::create_directory_symlink("..2024_01_01", fs::path(dir.path()) / "..data");
  fs::create_symlink("..data/app.yaml", fs::path(dir.path()) / "app.yaml");
  fs::create_symlink("..data/app.yaml", fs::path(dir.path()) / "same.yaml");
  SourceLoad load = ParseManifests(ReadManifestFolder(dir.path(), {}), {});
  CHECK(Origins(load) == Lines{"app.yaml#0"});
  CHECK(load.issues.empty());
}

TEST_CASE("binary, oversized and non-regular files are reported, never fatal",
          "[manifest_folder]") {
  TempDir dir;
  dir.Write("binary.yaml", std::string("kind: X\0\x01", 9));
  dir.Write("big.yaml", std::string(2000, '#'));
  dir.Write("ok.yaml", "kind: Ok\n");
  REQUIRE(mkfifo((dir.path() + "/pipe.yaml").c_str(), 0600) == 0);
  std::filesystem::create_symlink("missing.yaml",
                                  std::filesystem::path(dir.path()) / "dangling.yaml");
  ManifestFolder folder = ReadManifestFolder(dir.path(), {.max_file_bytes = 1000});
  CHECK(Issues(folder.issues) == Lines{"big.yaml: cannot read: larger than 1000 bytes",
                                       "binary.yaml: cannot read: binary file (NUL byte)",
                                       "pipe.yaml: cannot read: not a regular file"});
  CHECK(Origins(ParseManifests(folder, {})) == Lines{"ok.yaml#0"});
}

TEST_CASE("an unreadable directory is reported and the rest still loads", "[manifest_folder]") {
  if (geteuid() == 0) {
    WARN("skipped: root ignores directory permissions");
    return;
  }
  TempDir dir;
  dir.Write("locked/a.yaml", "kind: A\n");
  dir.Write("open.yaml", "kind: B\n");
  REQUIRE(chmod((dir.path() + "/locked").c_str(), 0) == 0);
  ManifestFolder folder = ReadManifestFolder(dir.path(), {});
  CHECK(Issues(folder.issues) == Lines{"locked: cannot list: Permission denied"});
  CHECK(Origins(ParseManifests(folder, {})) == Lines{"open.yaml#0"});
}

TEST_CASE("a file whose stamp settled is taken from the last read, not read", "[manifest_folder]") {
  TempDir dir;
  dir.Write("a.yaml", "kind: A\n");
  dir.Write("b.yaml", "kind: B\n");
  // With the default margin, files written just now have not settled.
  CHECK(ReadManifestFolder(dir.path(), {}).settled.empty());

  const ManifestFolderOptions now{.stamp_margin_ns = 0};
  ManifestFolder first = ReadManifestFolder(dir.path(), now);
  REQUIRE(first.settled.size() == 2);
  // What the last read holds is what comes back: proof that the file was
  // not read again (the test tampers with the record, never with files).
  first.files[0].shared = std::make_shared<const std::string>("kind: Remembered\n");
  ManifestFolder second = ReadManifestFolder(dir.path(), now, &first);
  REQUIRE(second.files.size() == 2);
  CHECK(second.files[0].content() == "kind: Remembered\n");
  CHECK(second.files[1].content() == "kind: B\n");

  // Any change of the stamp reads the file: here its size, and a file
  // replaced by a rename (another inode) of the same size.
  dir.Write("a.yaml", "kind: AA\n");
  dir.Write(".b.tmp", "kind: X\n");
  std::filesystem::rename(dir.path() + "/.b.tmp", dir.path() + "/b.yaml");
  ManifestFolder third = ReadManifestFolder(dir.path(), now, &second);
  REQUIRE(third.files.size() == 2);
  CHECK(third.files[0].content() == "kind: AA\n");
  CHECK(third.files[1].content() == "kind: X\n");
}

TEST_CASE("a missing root is an error of its own", "[manifest_folder]") {
  ManifestFolder folder = ReadManifestFolder("/nonexistent/portico", {});
  CHECK(folder.root_error == "/nonexistent/portico: No such file or directory");
  CHECK(folder.files.empty());
}

}  // namespace
}  // namespace portico::controlplane

namespace portico::controlplane {
namespace {

TEST_CASE("the parse cache gives what ParseManifests gives, parsing only changed files",
          "[manifest_folder]") {
  ManifestFolder folder;
  folder.files = {{"a.yaml", "kind: A\n---\nkind: B\n"}, {"b.yaml", "kind: C\n"},
                  {"bad.yaml", "kind: [\n"}};
  ManifestParseCache cache;
  auto same = [](const SourceLoad& x, const SourceLoad& y) {
    if (x.objects.size() != y.objects.size() || x.issues.size() != y.issues.size()) return false;
    for (size_t i = 0; i < x.objects.size(); ++i) {
      if (x.objects[i].origin != y.objects[i].origin || x.objects[i].json != y.objects[i].json) {
        return false;
      }
    }
    for (size_t i = 0; i < x.issues.size(); ++i) {
      if (x.issues[i].origin != y.issues[i].origin || x.issues[i].message != y.issues[i].message) {
        return false;
      }
    }
    return true;
  };
  CHECK(same(cache.Parse(folder, {}), ParseManifests(folder, {})));
  CHECK(same(cache.Parse(folder, {}), ParseManifests(folder, {})));  // all from the cache
  folder.files[1] = {"b.yaml", "kind: D\n"};
  folder.files.erase(folder.files.begin() + 2);
  const SourceLoad& changed = cache.Parse(folder, {});
  CHECK(same(changed, ParseManifests(folder, {})));
  REQUIRE(changed.objects.size() == 3);
  CHECK(std::string(changed.objects[2].json["kind"].GetString()) == "D");
  CHECK(changed.issues.empty());
}

}  // namespace
}  // namespace portico::controlplane
