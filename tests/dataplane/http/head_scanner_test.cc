#include "dataplane/http/head_scanner.h"

#include <catch2/catch.hpp>

#include <string>

namespace portico::dataplane {
namespace {

// Feeds `bytes` in pieces of `step` bytes; returns the first refusal or "".
std::string Scan(HeadScanner::Kind kind, const std::string& bytes, size_t step) {
  HeadScanner scanner(kind);
  for (size_t i = 0; i < bytes.size(); i += step) {
    const char* err = scanner.Feed(bytes.data() + i, std::min(step, bytes.size() - i));
    if (err != nullptr) return err;
  }
  return scanner.head_done() ? "" : "incomplete";
}

TEST_CASE("head scanner accepts well-formed heads however they are split", "[head_scanner]") {
  auto step = GENERATE(1u, 2u, 3u, 7u, 1000u);
  CHECK(Scan(HeadScanner::Kind::kRequest, "GET /a?b HTTP/1.1\r\nHost: x\r\nA: b c\r\n\r\n", step)
            .empty());
  CHECK(Scan(HeadScanner::Kind::kRequest, "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", step).empty());
  CHECK(Scan(HeadScanner::Kind::kResponse, "HTTP/1.1 404 Not  Found\r\nA: b\r\n\r\n", step)
            .empty());
  // Whatever follows the head is not the scanner's business.
  CHECK(Scan(HeadScanner::Kind::kRequest, "GET / HTTP/1.1\r\n\r\n\n \r\x01", step).empty());
}

TEST_CASE("head scanner refuses folding, bare line ends and request-line spacing",
          "[head_scanner]") {
  auto step = GENERATE(1u, 2u, 5u, 1000u);
  using K = HeadScanner::Kind;
  CHECK(Scan(K::kRequest, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", step) ==
        "obsolete line folding in a header");
  CHECK(Scan(K::kRequest, "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", step) ==
        "obsolete line folding in a header");
  CHECK(Scan(K::kResponse, "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", step) ==
        "obsolete line folding in a header");
  CHECK(Scan(K::kRequest, "GET / HTTP/1.1\nHost: x\r\n\r\n", step) == "bare LF in the start line");
  CHECK(Scan(K::kRequest, "GET / HTTP/1.1\r\nHost: x\n\r\n", step) == "bare LF in a header line");
  CHECK(Scan(K::kRequest, "GET / HTTP/1.1\r\nHost: x\r\n\n", step) == "bare LF ends the head");
  CHECK(Scan(K::kRequest, "GET / HTTP/1.1\r\nA: x\r\n\rX", step) == "bare CR in the head");
  CHECK(Scan(K::kRequest, "GET  / HTTP/1.1\r\n\r\n", step) == "extra space in the request line");
  CHECK(Scan(K::kRequest, " GET / HTTP/1.1\r\n\r\n", step) == "extra space in the request line");
  CHECK(Scan(K::kRequest, "GET /\tHTTP/1.1\r\n\r\n", step) == "tab in the request line");
}

TEST_CASE("head scanner starts over after Reset", "[head_scanner]") {
  HeadScanner scanner(HeadScanner::Kind::kRequest);
  std::string head = "GET / HTTP/1.1\r\n\r\n";
  REQUIRE(scanner.Feed(head.data(), head.size()) == nullptr);
  REQUIRE(scanner.head_done());
  scanner.Reset();
  std::string folded = "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n";
  CHECK(scanner.Feed(folded.data(), folded.size()) != nullptr);
}

}  // namespace
}  // namespace portico::dataplane
