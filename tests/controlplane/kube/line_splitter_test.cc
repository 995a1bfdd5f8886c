#include "controlplane/kube/line_splitter.h"

#include <catch2/catch.hpp>
#include <vector>

namespace portico::controlplane {
namespace {

TEST_CASE("lines fed byte by byte come out whole", "[kube][line_splitter]") {
  LineSplitter splitter(64);
  std::vector<std::string> lines;
  std::string stream = "{\"a\":1}\n{\"b\":\"h\xc3\xa9\"}\r\n\n{\"c\":3}\npartial";
  for (char c : stream) {
    REQUIRE(splitter.Feed(std::string_view(&c, 1), [&](std::string_view line) {
      lines.emplace_back(line);
    }) == "");
  }
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":\"h\xc3\xa9\"}", "", "{\"c\":3}"});
  CHECK(splitter.pending() == 7);
}

TEST_CASE("several lines in one piece, and a line across pieces", "[kube][line_splitter]") {
  LineSplitter splitter(64);
  std::vector<std::string> lines;
  auto collect = [&](std::string_view line) { lines.emplace_back(line); };
  CHECK(splitter.Feed("one\ntwo\nthr", collect) == "");
  CHECK(splitter.Feed("ee\nfour\n", collect) == "");
  CHECK(lines == std::vector<std::string>{"one", "two", "three", "four"});
  CHECK(splitter.pending() == 0);
}

TEST_CASE("a line over the limit is an error, however it arrives", "[kube][line_splitter]") {
  auto ignore = [](std::string_view) {};
  LineSplitter whole(8);
  CHECK(whole.Feed("123456789\n", ignore) == "a line exceeds 8 bytes");
  LineSplitter pieces(8);
  CHECK(pieces.Feed("12345", ignore) == "");
  CHECK(pieces.Feed("6789", ignore) == "a line exceeds 8 bytes");
  LineSplitter exact(8);
  CHECK(exact.Feed("12345678\n", ignore) == "");
}

}  // namespace
}  // namespace portico::controlplane
