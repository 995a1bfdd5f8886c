#include "controlplane/source/file_source.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>

#include "tests/controlplane/support/temp_dir.h"

namespace portico::controlplane {
namespace {

using testing::TempDir;

// Runs `loop` until `done` holds or `deadline_ms` passed (a timer stops it).
// `done` is checked before every poll, so the loop never blocks once it holds.
bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, uint64_t deadline_ms) {
  if (done()) return true;
  uv_prepare_t check;
  uv_prepare_init(loop, &check);
  check.data = const_cast<std::function<bool()>*>(&done);
  uv_prepare_start(&check, [](uv_prepare_t* p) {
    if ((*static_cast<std::function<bool()>*>(p->data))()) uv_stop(p->loop);
  });
  uv_timer_t deadline;
  uv_timer_init(loop, &deadline);
  uv_timer_start(
      &deadline, [](uv_timer_t* t) { uv_stop(t->loop); }, deadline_ms, 0);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);  // runs the close callbacks: both handles live on this stack
  return done();
}

struct Observed {
  std::vector<SourceLoad> loads;
  std::vector<std::string> errors;
};

// The source's load lives only during the callback.
SourceLoad Copy(const SourceLoad& load) {
  SourceLoad copy{.issues = load.issues};
  for (const SourceObject& o : load.objects) {
    SourceObject& c = copy.objects.emplace_back();
    c.origin = o.origin;
    c.fingerprint = o.fingerprint;
    c.json.CopyFrom(o.json, c.json.GetAllocator());
  }
  return copy;
}

std::vector<std::string> Origins(const SourceLoad& load) {
  std::vector<std::string> out;
  for (const SourceObject& o : load.objects) out.push_back(o.origin);
  return out;
}

using Lines = std::vector<std::string>;

// The kind of every object, "-" for one without a string kind.
Lines Kinds(const SourceLoad& load) {
  Lines out;
  for (const SourceObject& o : load.objects) {
    bool named = o.json.IsObject() && o.json.HasMember("kind") && o.json["kind"].IsString();
    out.push_back(named ? o.json["kind"].GetString() : "-");
  }
  if (out.empty()) out.push_back("(none)");
  return out;
}

TEST_CASE("the file source reads at start and picks up changes within 100 ms", "[file_source]") {
  TempDir dir;
  dir.Write("a.yaml", "kind: A\n");
  uv_loop_t loop;
  uv_loop_init(&loop);
  Observed seen;
  {
    FileSource source(
        &loop, {.root = dir.path()},
        [&](const SourceLoad& load) { seen.loads.push_back(Copy(load)); },
        [&](const std::string& e) { seen.errors.push_back(e); });
    REQUIRE(source.Start().empty());
    CHECK(seen.loads.empty());  // never from inside Start
    REQUIRE(RunUntil(
        &loop, [&] { return seen.loads.size() == 1; }, 2000));
    CHECK(Origins(seen.loads[0]) == Lines{"a.yaml#0"});

    SECTION("a write to a file") {
      dir.Write("a.yaml", "kind: A\n---\nkind: A2\n");
      uint64_t start = uv_now(&loop);
      REQUIRE(RunUntil(
          &loop, [&] { return seen.loads.size() == 2; }, 2000));
      uv_update_time(&loop);
      CHECK(uv_now(&loop) - start < 100);
      CHECK(Origins(seen.loads[1]) == Lines{"a.yaml#0", "a.yaml#1"});
    }
    SECTION("a file in a directory created after start") {
      std::filesystem::create_directory(dir.path() + "/sub");
      REQUIRE(RunUntil(
                  &loop, [&] { return false; }, 60) == false);  // let the new dir be watched
      dir.Write("sub/b.yaml", "kind: B\n");
      REQUIRE(RunUntil(
          &loop, [&] { return !seen.loads.empty() && Origins(seen.loads.back()).size() == 2; },
          2000));
      CHECK(Origins(seen.loads.back()) == Lines{"a.yaml#0", "sub/b.yaml#0"});
    }
    SECTION("a manifest rewritten slowly in place never loses its objects") {
      // Truncate, write the first bytes, pause 300 ms with the loop running,
      // write the rest, close: only the complete file may be read.
      {
        std::ofstream slow(dir.path() + "/a.yaml", std::ios::trunc);
        slow << "ki" << std::flush;  // what a read now would see: the scalar "ki"
        RunUntil(
            &loop, [&] { return false; }, 300);
        slow << "nd: A\n---\nkind: A2\n";
      }
      REQUIRE(RunUntil(
          &loop, [&] { return Origins(seen.loads.back()).size() == 2; }, 2000));
      for (const SourceLoad& load : seen.loads) CHECK(Kinds(load).front() == "A");
      CHECK(Kinds(seen.loads.back()) == Lines{"A", "A2"});
      CHECK(seen.loads.back().issues.empty());
    }
    SECTION("a symlink to a manifest is read as soon as it appears") {
      dir.Write(".target/b.yaml", "kind: B\n");  // names starting with '.' are not read
      std::filesystem::create_symlink(dir.path() + "/.target/b.yaml", dir.path() + "/b.yaml");
      REQUIRE(RunUntil(
          &loop, [&] { return Origins(seen.loads.back()).size() == 2; }, 2000));
      CHECK(Origins(seen.loads.back()) == Lines{"a.yaml#0", "b.yaml#0"});
    }
    SECTION("a subdirectory removed and made again at once is watched again") {
      dir.Write("sub/b.yaml", "kind: B\n");
      REQUIRE(RunUntil(
          &loop, [&] { return Origins(seen.loads.back()).size() == 2; }, 2000));
      // Both before the next read: the new directory may get the old inode
      // number, but the old watch died with the old directory.
      std::filesystem::remove_all(dir.path() + "/sub");
      dir.Write("sub/b.yaml", "kind: B\n");
      RunUntil(
          &loop, [&] { return false; }, 150);  // the read those events cause: same content
      dir.Write("sub/b.yaml", "kind: B\n---\nkind: B2\n");  // seen only through a watch
      REQUIRE(RunUntil(
          &loop, [&] { return Origins(seen.loads.back()).size() == 3; }, 2000));
      CHECK(Origins(seen.loads.back()) == Lines{"a.yaml#0", "sub/b.yaml#0", "sub/b.yaml#1"});
    }
    SECTION("rewriting identical content does not call back") {
      dir.Write("a.yaml", "kind: A\n");
      RunUntil(
          &loop, [&] { return false; }, 150);
      CHECK(seen.loads.size() == 1);
    }
    SECTION("a vanished root keeps the last objects and reports once") {
      std::filesystem::remove_all(dir.path());
      REQUIRE(RunUntil(
          &loop, [&] { return !seen.errors.empty(); }, 2000));
      CHECK_THAT(seen.errors[0], Catch::Contains("keeping the last objects"));
      CHECK(seen.loads.size() == 1);
      dir.Write("c.yaml", "kind: C\n");  // the root comes back
      REQUIRE(RunUntil(
          &loop, [&] { return seen.loads.size() == 2; }, 2000));
      CHECK(Origins(seen.loads[1]) == Lines{"c.yaml#0"});
    }
    source.Close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // frees the closed handles
  CHECK(uv_loop_close(&loop) == 0);
}

// Runs `steps` against a source over `dir` whose debounce is far longer
// than the tests' deadlines (only a leading-edge read can meet them), once
// its first load arrived.
void WithSlowDebounce(const TempDir& dir,
                      const std::function<void(uv_loop_t*, const Observed&)>& steps) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Observed seen;
  {
    FileSource source(
        &loop, {.root = dir.path(), .debounce_ms = 30'000, .max_delay_ms = 60'000},
        [&](const SourceLoad& load) { seen.loads.push_back(Copy(load)); },
        [&](const std::string& e) { seen.errors.push_back(e); });
    REQUIRE(source.Start().empty());
    REQUIRE(RunUntil(&loop, [&] { return seen.loads.size() == 1; }, 2000));
    steps(&loop, seen);
    source.Close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("the file source reads an isolated change at once, a burst after its quiet time",
          "[file_source]") {
  TempDir dir;
  dir.Write("a.yaml", "kind: A\n");
  WithSlowDebounce(dir, [&](uv_loop_t* loop, const Observed& seen) {
    dir.Write("a.yaml", "kind: B\n");
    REQUIRE(RunUntil(
        loop, [&] { return seen.loads.size() == 2; }, 5000));
    CHECK(Kinds(seen.loads[1]) == Lines{"B"});
    // Right behind it (within the debounce): held back, coalesced.
    dir.Write("a.yaml", "kind: C\n");
    dir.Write("a.yaml", "kind: D\n");
    CHECK_FALSE(RunUntil(
        loop, [&] { return seen.loads.size() > 2; }, 300));
  });
}

TEST_CASE("a write through a temp file and a rename is read at once", "[file_source]") {
  // The temp file's close is an event whose read finds nothing changed (a
  // hidden name is never read); the rename right after it must not wait
  // for the debounce as if it were part of a burst.
  TempDir dir;
  dir.Write("a.yaml", "kind: A\n");
  WithSlowDebounce(dir, [&](uv_loop_t* loop, const Observed& seen) {
    dir.Write(".a.yaml.tmp", "kind: B\n");
    // Let the source read after the temp file's event alone first.
    RunUntil(
        loop, [] { return false; }, 50);
    CHECK(seen.loads.size() == 1);
    std::filesystem::rename(dir.path() + "/.a.yaml.tmp", dir.path() + "/a.yaml");
    REQUIRE(RunUntil(
        loop, [&] { return seen.loads.size() == 2; }, 5000));
    CHECK(Kinds(seen.loads[1]) == Lines{"B"});
    // Now a change was read: an event right behind it is a burst again.
    dir.Write("a.yaml", "kind: C\n");
    CHECK_FALSE(RunUntil(
        loop, [&] { return seen.loads.size() > 2; }, 300));
  });
}

TEST_CASE("the file source follows a ConfigMap volume update (atomic ..data swap)",
          "[file_source]") {
  namespace fs = std::filesystem;
  TempDir dir;
  fs::path root = dir.path();
  // The kubelet's layout: visible names link into ..data, itself a link to
  // a timestamped directory that is replaced as a whole on every update.
  dir.Write("..v1/app.yaml", "kind: V1\n");
  fs::create_directory_symlink("..v1", root / "..data");
  fs::create_symlink("..data/app.yaml", root / "app.yaml");
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<std::string> kinds;
  {
    FileSource source(
        &loop, {.root = dir.path()},
        [&](const SourceLoad& load) {
          for (const SourceObject& o : load.objects) kinds.push_back(o.json["kind"].GetString());
        },
        [](const std::string&) {});
    REQUIRE(source.Start().empty());
    REQUIRE(RunUntil(
        &loop, [&] { return kinds.size() == 1; }, 2000));
    dir.Write("..v2/app.yaml", "kind: V2\n");
    fs::create_directory_symlink("..v2", root / "..data_tmp");
    fs::rename(root / "..data_tmp", root / "..data");
    fs::remove_all(root / "..v1");
    REQUIRE(RunUntil(
        &loop, [&] { return kinds.size() == 2; }, 2000));
    CHECK(kinds == std::vector<std::string>{"V1", "V2"});
    source.Close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("the file source refuses a root that is not a directory", "[file_source]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    FileSource source(
        &loop, {.root = "/nonexistent/portico"}, [](const SourceLoad&) {}, [](const std::string&) {});
    CHECK(source.Start() == "source directory /nonexistent/portico: No such file or directory");
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace portico::controlplane
