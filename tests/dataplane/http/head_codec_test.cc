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

namespace portico::dataplane {
namespace {

TEST_CASE("hop-by-hop: the fixed list, Proxy-*, and names listed in Connection", "[http]") {
  HeaderList headers = {{"Connection", "close, X-Secret"}};
  for (const char* name : {"Connection", "keep-alive", "TE", "Trailer", "Transfer-Encoding",
                           "Upgrade", "Proxy", "Proxy-Authorization", "proxy-connection",
                           "Proxy-Anything", "x-secret"}) {
    INFO(name);
    CHECK(IsHopByHop(name, headers));
  }
  for (const char* name : {"Proxyish", "X-Proxy-Id", "Trailers", "Host"}) {
    INFO(name);
    CHECK_FALSE(IsHopByHop(name, headers));
  }
}

TEST_CASE("upgrade requests and 101 responses keep Upgrade", "[http]") {
  RequestHead r;
  r.method = "GET";
  r.target = "/ws";
  r.upgrade = true;
  r.headers = {{"Host", "a.test"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}};
  std::string out = SerializeUpstreamRequest(r, {.client_ip = "1.2.3.4", .proto = "http",
                                                 .entrypoint_port = "80"});
  CHECK(out.find("Upgrade: websocket\r\n") != std::string::npos);
  CHECK(out.find("Connection: Upgrade\r\n") != std::string::npos);
  r.upgrade = false;
  out = SerializeUpstreamRequest(r, {.client_ip = "1.2.3.4", .proto = "http",
                                     .entrypoint_port = "80"});
  CHECK(out.find("Upgrade") == std::string::npos);

  ResponseHead switching{.status = 101,
                         .reason = "Switching Protocols",
                         .headers = {{"Upgrade", "websocket"}, {"Connection", "upgrade"}}};
  out = SerializeClientResponse(switching, ResponseFraming::kAsIs, false, 1);
  CHECK(out ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
}

TEST_CASE("trusted peers' forwarding headers are kept and appended to", "[http]") {
  RequestHead r;
  r.method = "GET";
  r.target = "/";
  r.headers = {{"Host", "a.test"},
               {"X-Forwarded-For", "10.0.0.1"},
               {"x-forwarded-for", "10.0.0.2"},
               {"X-Forwarded-Host", "public.test"}};
  ForwardingInfo fwd{.client_ip = "192.0.2.1", .proto = "http", .entrypoint_port = "8080"};
  fwd.trusted_peer = true;
  std::string out = SerializeUpstreamRequest(r, fwd);
  CHECK(out.find("X-Forwarded-For: 10.0.0.1, 10.0.0.2, 192.0.2.1\r\n") != std::string::npos);
  CHECK(out.find("X-Forwarded-Host: public.test\r\n") != std::string::npos);
  CHECK(out.find("X-Forwarded-Host: a.test") == std::string::npos);
  CHECK(out.find("X-Forwarded-Proto: http\r\n") != std::string::npos);
  fwd.trusted_peer = false;
  out = SerializeUpstreamRequest(r, fwd);
  CHECK(out.find("10.0.0.") == std::string::npos);
  CHECK(out.find("X-Forwarded-Host: a.test\r\n") != std::string::npos);
}

TEST_CASE("the last chunk carries end-to-end trailers only", "[http]") {
  CHECK(LastChunk({}) == "0\r\n\r\n");
  CHECK(LastChunk({{"X-Sum", "1"}, {"Content-Length", "9"}, {"Host", "x"}, {"TE", "y"}}) ==
        "0\r\nX-Sum: 1\r\n\r\n");
}

}  // namespace
}  // namespace portico::dataplane
