#include "dataplane/tls/client_hello.h"

#include <catch2/catch.hpp>

#include "tests/dataplane/tls/test_certificates.h"

namespace portico::dataplane {
namespace {

std::string RealClientHello(const std::string& sni) {
  testing::TestClient client({.server_name = sni, .alpn = {"h2", "http/1.1"}});
  return client.Step("");
}

TEST_CASE("a real ClientHello yields SNI, ALPN, signature schemes and TLS 1.3", "[tls]") {
  std::string bytes = RealClientHello("WWW.Example.COM");
  REQUIRE(LooksLikeTls(bytes[0]));
  ClientHello hello;
  std::string why;
  REQUIRE(ParseClientHello(bytes, &hello, &why) == HelloStatus::kComplete);
  CHECK(hello.server_name == "www.example.com");
  CHECK(hello.alpn == std::vector<std::string>{"h2", "http/1.1"});
  CHECK(hello.offers_tls13);
  CHECK(std::find(hello.signature_schemes.begin(), hello.signature_schemes.end(), 0x0403) !=
        hello.signature_schemes.end());
  CHECK_FALSE(hello.cipher_suites.empty());
}

TEST_CASE("every proper prefix of a ClientHello is incomplete", "[tls]") {
  std::string bytes = RealClientHello("a.test");
  ClientHello hello;
  std::string why;
  for (size_t n = 1; n < bytes.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    REQUIRE(ParseClientHello(std::string_view(bytes).substr(0, n), &hello, &why) ==
            HelloStatus::kIncomplete);
  }
}

TEST_CASE("a ClientHello split over two records is reassembled", "[tls]") {
  std::string bytes = RealClientHello("split.test");
  std::string payload = bytes.substr(5);
  size_t half = payload.size() / 2;
  auto record = [](std::string_view body) {
    std::string r = {'\x16', '\x03', '\x01', static_cast<char>(body.size() >> 8),
                     static_cast<char>(body.size() & 0xff)};
    return r.append(body);
  };
  std::string two = record(std::string_view(payload).substr(0, half)) +
                    record(std::string_view(payload).substr(half));
  ClientHello hello;
  std::string why;
  REQUIRE(ParseClientHello(two, &hello, &why) == HelloStatus::kComplete);
  CHECK(hello.server_name == "split.test");
}

TEST_CASE("a server name must be a host name, one trailing dot is dropped", "[tls]") {
  ClientHello hello;
  std::string why;
  REQUIRE(ParseClientHello(RealClientHello("Trailing.Test."), &hello, &why) ==
          HelloStatus::kComplete);
  CHECK(hello.server_name == "trailing.test");
  // Found by fuzz_client_hello: two trailing dots left a name ending in '.'.
  for (const char* bad : {"two.dots..", "a..b.test", "space in.test", "nul\x01.test"}) {
    INFO(bad);
    ClientHello refused;
    CHECK(ParseClientHello(RealClientHello(bad), &refused, &why) == HelloStatus::kInvalid);
    CHECK(why == "the server name (SNI) is not a valid host name");
    CHECK(refused.server_name.empty());
  }
}

TEST_CASE("garbage and malformed hellos are invalid, with a reason", "[tls]") {
  ClientHello hello;
  std::string why;
  CHECK(ParseClientHello("GET / HTTP/1.1\r\n", &hello, &why) == HelloStatus::kInvalid);
  CHECK(why == "not a TLS handshake record");
  CHECK(ParseClientHello(std::string("\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9), &hello, &why) ==
        HelloStatus::kInvalid);
  CHECK(why == "the first handshake message is not a ClientHello");
  // A ClientHello whose declared length is tiny: the body is truncated.
  CHECK(ParseClientHello(std::string("\x16\x03\x01\x00\x06\x01\x00\x00\x02\x03\x03", 11), &hello,
                         &why) == HelloStatus::kInvalid);
  CHECK(why == "truncated ClientHello");
  // A declared length over the limit is refused before anything is buffered.
  CHECK(ParseClientHello(std::string("\x16\x03\x01\x00\x04\x01\x01\x00\x00", 9), &hello, &why) ==
        HelloStatus::kInvalid);
  CHECK(why == "ClientHello larger than 16384 bytes");
}

TEST_CASE("random bytes after a valid record header never crash the parser", "[tls]") {
  std::string bytes = RealClientHello("fuzz.test");
  ClientHello hello;
  std::string why;
  uint32_t state = 12345;
  int invalid = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = bytes;
    for (int i = 0; i < 4; ++i) {
      state = state * 1103515245 + 12345;
      size_t pos = 5 + (state >> 8) % (mutated.size() - 5);
      mutated[pos] = static_cast<char>(state >> 24);
    }
    invalid += ParseClientHello(mutated, &hello, &why) == HelloStatus::kInvalid;
  }
  CHECK(invalid > 0);  // bounds checks, not luck, kept it from reading out of range
}

}  // namespace
}  // namespace portico::dataplane
