// Request smuggling and desync vectors: each one must be refused with 400
// and a closed connection, and no smuggled request may reach the backend.
// Declarative: the table is the specification.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/dataplane/support/fake_backend.h"
#include "tests/dataplane/support/proxy_under_test.h"

namespace portico::dataplane {
namespace {

using testing::AppSnapshot;
using testing::Answer;
using testing::FakeBackend;
using testing::ProxyUnderTest;
using testing::TestClient;

struct Vector {
  const char* name;
  std::string bytes;  // sent at once; every vector hides a GET /smuggled
};

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n";

std::string Post(const std::string& headers, const std::string& body) {
  return "POST /upload HTTP/1.1\r\nHost: app.test\r\n" + headers + "\r\n" + body;
}

std::vector<Vector> Vectors() {
  const std::string& s = kSmuggled;
  std::string chunked_smuggle = "0\r\n\r\n" + s;
  return {
      {"Content-Length and Transfer-Encoding",
       Post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", chunked_smuggle)},
      {"Transfer-Encoding and Content-Length",
       Post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", chunked_smuggle)},
      {"differing duplicate Content-Length",
       Post("Content-Length: 0\r\nContent-Length: 44\r\n", s)},
      {"identical duplicate Content-Length", Post("Content-Length: 0\r\nContent-Length: 0\r\n", s)},
      {"Content-Length list", Post("Content-Length: 0, 44\r\n", s)},
      {"signed Content-Length", Post("Content-Length: +0\r\n", s)},
      {"negative Content-Length", Post("Content-Length: -1\r\n", s)},
      {"hexadecimal Content-Length", Post("Content-Length: 0x0\r\n", s)},
      {"Transfer-Encoding gzip, chunked",
       Post("Transfer-Encoding: gzip, chunked\r\n", chunked_smuggle)},
      {"Transfer-Encoding chunked, chunked",
       Post("Transfer-Encoding: chunked, chunked\r\n", chunked_smuggle)},
      {"Transfer-Encoding repeated",
       Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked_smuggle)},
      {"Transfer-Encoding identity", Post("Transfer-Encoding: identity\r\n", s)},
      {"Transfer-Encoding with a stray token",
       Post("Transfer-Encoding: xchunked\r\n", chunked_smuggle)},
      {"Transfer-Encoding in HTTP/1.0",
       "POST /upload HTTP/1.0\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
           chunked_smuggle},
      {"invalid chunk size", Post("Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n" + s)},
      {"chunk size overflow",
       Post("Transfer-Encoding: chunked\r\n", "10000000000000001\r\nA\r\n0\r\n\r\n" + s)},
      {"chunk data longer than its size",
       Post("Transfer-Encoding: chunked\r\n", "1\r\nAB\r\n0\r\n\r\n" + s)},
      {"chunk size with a bare LF", Post("Transfer-Encoding: chunked\r\n", "1\nA\r\n0\r\n\r\n" + s)},
      {"obsolete line folding",
       Post("X-Folded: a\r\n b\r\nContent-Length: 0\r\n", s)},
      {"folded Transfer-Encoding",
       Post("Transfer-Encoding:\r\n chunked\r\n", chunked_smuggle)},
      {"whitespace before the colon", Post("Content-Length : 44\r\n", s)},
      {"tab before the colon", Post("Transfer-Encoding\t: chunked\r\n", chunked_smuggle)},
      {"bare CR in a header value", Post("X-A: a\rContent-Length: 44\r\n", s)},
      {"bare LF line ends", "POST /upload HTTP/1.1\nHost: app.test\nContent-Length: 0\n\n" + s},
      {"NUL in a header value", Post(std::string("X-A: a\0b\r\n", 10), s)},
      {"NUL in a header name", Post(std::string("X-\0A: b\r\n", 9), s)},
      {"space in a header name", Post("X A: b\r\n", s)},
      {"control character in the target", "GET /a\x01 HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
      {"two spaces in the request line", "GET  / HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
      {"unknown HTTP version", "GET / HTTP/1.7\r\nHost: app.test\r\n\r\n" + s},
      {"a '..' segment", "GET /public/../admin HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
      {"an escaped '..' segment", "GET /public/%2e%2e/admin HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
      {"'..' before an escaped '/'", "GET /public/..%2Fadmin HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
      {"'..' before an escaped '\\'", "GET /public/..%5Cadmin HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
      {"'..' with a path parameter", "GET /public/..;/admin HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
      {"an escaped NUL", "GET /public/a%00.html HTTP/1.1\r\nHost: app.test\r\n\r\n" + s},
  };
}

TEST_CASE("every smuggling vector is refused with 400 and a close", "[proxy][smuggling]") {
  FakeBackend backend("127.0.0.1", Answer("ok"));
  ProxyUnderTest proxy(AppSnapshot({{"127.0.0.1", backend.port()}}));
  for (const Vector& v : Vectors()) {
    SECTION(v.name) {
      TestClient client(proxy.port());
      client.Send(v.bytes);
      auto r = client.Read(2);
      REQUIRE(r.size() == 1);
      CHECK(r[0].status == 400);
      CHECK_FALSE(r[0].keep_alive);
      CHECK(client.ClosedByPeer());
      for (const auto& request : backend.requests()) {
        CHECK(request.head.find("/smuggled") == std::string::npos);
        CHECK(request.head.find("/upload") == std::string::npos);
      }
    }
  }
}

}  // namespace
}  // namespace portico::dataplane
