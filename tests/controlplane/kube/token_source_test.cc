#include "controlplane/kube/token_source.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

namespace portico::controlplane {
namespace {

TEST_CASE("a token file is re-read once a minute and after Invalidate", "[kube][token]") {
  char dir[] = "/tmp/kube-token-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string file = std::string(dir) + "/token";
  std::ofstream(file) << "one\n";
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  TokenSource tokens({.token_file = file, .now = [&] { return now; }});
  CHECK(tokens.Get() == "one");
  std::ofstream(file) << "two";
  now += std::chrono::seconds(59);
  CHECK(tokens.Get() == "one");  // cached
  now += std::chrono::seconds(1);
  CHECK(tokens.Get() == "two");  // a minute old: read again
  std::ofstream(file) << "three";
  CHECK(tokens.Invalidate());
  CHECK(tokens.Get() == "three");
  CHECK(tokens.reads() == 3);

  // An unreadable or empty file keeps the last token and says why, without it.
  std::remove(file.c_str());
  tokens.Invalidate();
  std::string error;
  CHECK(tokens.Get(&error) == "three");
  CHECK(error == "token file " + file + ": No such file or directory");
  CHECK(error.find("three") == std::string::npos);
  std::ofstream(file) << "\n";
  tokens.Invalidate();
  CHECK(tokens.Get(&error) == "three");
  CHECK(error == "token file " + file + " is empty");
  std::remove(file.c_str());
  rmdir(dir);
}

TEST_CASE("a fixed token is used as is", "[kube][token]") {
  TokenSource tokens({.token = "fixed", .token_file = "/nonexistent"});
  CHECK(tokens.Get() == "fixed");
  CHECK_FALSE(tokens.Invalidate());
  TokenSource none({});
  CHECK(none.Get() == "");
}

}  // namespace
}  // namespace portico::controlplane
