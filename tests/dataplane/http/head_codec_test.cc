#include "dataplane/http/head_codec.h"

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

TEST_CASE("upstream request head drops hop-by-hop and sets forwarding", "[http]") {
  RequestHead r{.method = "POST",
                .target = "/x?y",
                .headers = {{"Host", "a.test"},
                            {"Connection", "close, X-Hop"},
                            {"X-Hop", "1"},
                            {"TE", "trailers"},
                            {"Transfer-Encoding", "chunked"},
                            {"X-Real-IP", "9.9.9.9"},
                            {"Accept", "*/*"}},
                .chunked = true};
  std::string out = SerializeUpstreamRequest(
      r, {.client_ip = "10.1.2.3", .proto = "http", .entrypoint_port = "8080"});
  CHECK(out ==
        "POST /x?y HTTP/1.1\r\n"
        "Host: a.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunked\r\n"
        "X-Forwarded-For: 10.1.2.3\r\n"
        "X-Forwarded-Proto: http\r\n"
        "X-Forwarded-Host: a.test\r\n"
        "X-Forwarded-Port: 8080\r\n"
        "X-Real-Ip: 10.1.2.3\r\n"
        "\r\n");
}

TEST_CASE("client response head framing", "[http]") {
  ResponseHead h{.status = 200,
                 .reason = "OK",
                 .headers = {{"Content-Type", "text/plain"}, {"Keep-Alive", "timeout=5"}}};
  CHECK(SerializeClientResponse(h, ResponseFraming::kChunked, true, 1) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(SerializeClientResponse(h, ResponseFraming::kAsIs, false, 1) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
  CHECK(SerializeClientResponse(h, ResponseFraming::kAsIs, true, 0) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n");
}

TEST_CASE("local responses and chunk headers", "[http]") {
  CHECK(LocalResponse(404, "nope\n", true, false) ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 5\r\n\r\nnope\n");
  CHECK(LocalResponse(502, "x", false, true) ==
        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 1\r\nConnection: close\r\n\r\n");
  CHECK(ChunkHeader(255) == "ff\r\n");
}

}  // namespace
}  // namespace portico::dataplane
