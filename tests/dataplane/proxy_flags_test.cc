#include "dataplane/proxy_flags.h"

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

TEST_CASE("proxy flags parse in both forms", "[flags]") {
  ProxyFlags f;
  REQUIRE(ParseProxyFlags({"--controller=127.0.0.1:18000", "--grpc-insecure", "--entrypoint",
                           "web=127.0.0.1:0", "--entrypoint=alt=[::1]:8081", "--workers=3",
                           "--admin-listen=127.0.0.1:0", "--connect-timeout=250ms"},
                          &f) == "");
  CHECK(f.controller == "127.0.0.1:18000");
  CHECK(f.controllers == std::vector<std::string>{"127.0.0.1:18000"});
  ProxyFlags two;
  REQUIRE(ParseProxyFlags({"--controller=a.test:1,[::1]:2", "--grpc-insecure"}, &two) == "");
  CHECK(two.controllers == std::vector<std::string>{"a.test:1", "[::1]:2"});
  CHECK(ParseProxyFlags({"--controller=a.test:1,", "--grpc-insecure"}, &two) ==
        "--controller: expected HOST:PORT[,HOST:PORT...], got 'a.test:1,'");
  REQUIRE(f.entrypoints.size() == 2);
  CHECK(f.entrypoints[0].name == "web");
  CHECK(f.entrypoints[0].port == 0);
  CHECK(f.entrypoints[1].host == "::1");
  CHECK(f.workers == 3);
  CHECK(f.admin_port == 0);
  CHECK(f.limits.connect_timeout_ms == 250);
}

TEST_CASE("proxy flag errors are precise", "[flags]") {
  auto error = [](std::vector<std::string> args) {
    ProxyFlags f;
    return ParseProxyFlags(args, &f);
  };
  CHECK(error({"--grpc-insecure"}) == "--controller=HOST:PORT is required");
  CHECK(error({"--controller=x:1"}) ==
        "the channel to the controller needs --grpc-cert, --grpc-key and --grpc-ca (mutual TLS), "
        "or --grpc-insecure (plaintext, meant for loopback)");
  CHECK(error({"--controller=x:1", "--grpc-cert=c", "--grpc-key=k"}) ==
        "the channel to the controller needs --grpc-cert, --grpc-key and --grpc-ca (mutual TLS), "
        "or --grpc-insecure (plaintext, meant for loopback)");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--grpc-ca=ca"}) ==
        "--grpc-insecure excludes --grpc-cert, --grpc-key, --grpc-ca and --grpc-server-name");
  CHECK(error({"--controller=x:1", "--grpc-cert=c", "--grpc-key=k", "--grpc-ca=ca",
               "--grpc-server-name=controller.portico"}) == "");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--bogus=1"}) ==
        "unknown flag --bogus (see --help)");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--workers=0"}) ==
        "--workers: expected a number from 1 to 256, got '0'");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--entrypoint=web"}) ==
        "--entrypoint: expected NAME=HOST:PORT, got 'web'");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--entrypoint=a=1.2.3.4:1",
               "--entrypoint=a=1.2.3.4:2"}) == "--entrypoint: duplicate name a");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--idle-timeout=5"}) ==
        "--idle-timeout: invalid duration '5' (use e.g. 500ms, 5s, 1m)");
  CHECK(error({"--controller"}) == "--controller needs a value");
}

TEST_CASE("durations need a unit", "[flags]") {
  uint64_t ms = 0;
  CHECK(ParseDurationMs("2m", &ms));
  CHECK(ms == 120'000);
  CHECK_FALSE(ParseDurationMs("5", &ms));
  CHECK_FALSE(ParseDurationMs("s", &ms));
  CHECK_FALSE(ParseDurationMs("-1s", &ms));
}

}  // namespace
}  // namespace portico::dataplane

namespace portico::dataplane {
namespace {

TEST_CASE("per-entrypoint trusted IPs and connection limits", "[flags]") {
  ProxyFlags f;
  REQUIRE(ParseProxyFlags(
              {"--controller=x:1", "--grpc-insecure", "--trusted-ips=web=10.0.0.0/8,::1",
               "--max-connections=admin=5", "--max-connections=100", "--entrypoint=web=127.0.0.1:0",
               "--entrypoint=admin=127.0.0.1:0", "--drain-delay=2s", "--tunnel-idle-timeout=5m"},
              &f) == "");
  REQUIRE(f.entrypoints.size() == 2);
  CHECK(f.entrypoints[0].trusted_ips.size() == 2);
  CHECK(f.entrypoints[1].trusted_ips.empty());
  CHECK(f.entrypoints[0].max_connections == 100);
  CHECK(f.entrypoints[1].max_connections == 5);
  CHECK(f.drain_delay_ms == 2000);
  CHECK(f.limits.tunnel_idle_timeout_ms == 300'000);

  auto error = [](std::vector<std::string> args) {
    ProxyFlags flags;
    return ParseProxyFlags(args, &flags);
  };
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--trusted-ips=nope=1.2.3.4"}) ==
        "--trusted-ips: no entrypoint named 'nope'");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--trusted-ips=web=1.2.3.4/33"}) ==
        "--trusted-ips web: '1.2.3.4/33': prefix length must be 0 to 32");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--trusted-ips=web=10.0.0.x"}) ==
        "--trusted-ips web: '10.0.0.x' is not an IP address or CIDR network");
  CHECK(error({"--controller=x:1", "--grpc-insecure", "--max-connections=web=0"}) ==
        "--max-connections: expected [NAME=]N with N >= 1, got 'web=0'");
}

}  // namespace
}  // namespace portico::dataplane

namespace portico::dataplane {
namespace {

TEST_CASE("limits take sizes with units and refuse what is out of range", "[flags]") {
  ProxyFlags f;
  REQUIRE(ParseProxyFlags({"--controller=x:1", "--grpc-insecure", "--max-header-bytes=16KiB",
                           "--max-headers=50", "--max-uri-bytes=4096", "--max-idle-per-endpoint=0",
                           "--upstream-idle-timeout=5s"},
                          &f) == "");
  CHECK(f.limits.max_header_bytes == 16 * 1024);
  CHECK(f.limits.max_headers == 50);
  CHECK(f.limits.max_uri_bytes == 4096);
  CHECK(f.limits.max_idle_per_endpoint == 0);
  CHECK(f.limits.upstream_idle_timeout_ms == 5000);
  ProxyFlags g;
  CHECK(ParseProxyFlags({"--controller=x:1", "--grpc-insecure", "--max-header-bytes=10"}, &g) ==
        "--max-header-bytes: expected a size from 1024 to 1048576 bytes (e.g. 16KiB), got '10'");
  CHECK(ParseProxyFlags({"--controller=x:1", "--grpc-insecure", "--max-uri-bytes=4kb"}, &g) ==
        "--max-uri-bytes: expected a size from 256 to 1048576 bytes (e.g. 16KiB), got '4kb'");
}

TEST_CASE("UDP and explicit TCP entrypoints, and the L4 timeouts", "[flags]") {
  ProxyFlags f;
  REQUIRE(ParseProxyFlags({"--controller=127.0.0.1:18000", "--grpc-insecure",
                           "--entrypoint=dns=127.0.0.1:5353/udp", "--entrypoint=db=[::1]:5432/tcp",
                           "--entrypoint=web=127.0.0.1:0", "--udp-timeout=5s",
                           "--udp-max-sessions=7", "--tcp-peek-timeout=2s"},
                          &f) == "");
  REQUIRE(f.entrypoints.size() == 3);
  CHECK(f.entrypoints[0].udp);
  CHECK(f.entrypoints[0].port == 5353);
  CHECK_FALSE(f.entrypoints[1].udp);
  CHECK(f.entrypoints[1].host == "::1");
  CHECK(f.entrypoints[1].port == 5432);
  CHECK_FALSE(f.entrypoints[2].udp);
  CHECK(f.limits.udp_timeout_ms == 5000);
  CHECK(f.limits.udp_max_sessions == 7);
  CHECK(f.limits.tcp_peek_timeout_ms == 2000);
  ProxyFlags g;
  CHECK(ParseProxyFlags({"--controller=x:1", "--grpc-insecure", "--udp-max-sessions=0"}, &g) ==
        "--udp-max-sessions: expected 1 to 1000000, got '0'");
}

TEST_CASE("L4 timeouts have a minimum, /UDP is case-insensitive, TCP-only flags refuse UDP",
          "[flags]") {
  ProxyFlags f;
  REQUIRE(
      ParseProxyFlags(
          {"--controller=x:1", "--grpc-insecure", "--entrypoint=dns=127.0.0.1:53/UDP",
           "--entrypoint=db=127.0.0.1:5432/Tcp", "--tcp-peek-timeout=100ms", "--udp-timeout=100ms"},
          &f) == "");
  REQUIRE(f.entrypoints.size() == 2);
  CHECK(f.entrypoints[0].udp);
  CHECK(f.entrypoints[0].port == 53);
  CHECK_FALSE(f.entrypoints[1].udp);
  CHECK(f.limits.udp_timeout_ms == 100);
  for (const char* zero : {"--tcp-peek-timeout=0s", "--udp-timeout=99ms"}) {
    ProxyFlags g;
    std::string flag = std::string(zero).substr(2, std::string(zero).find('=') - 2);
    std::string value = std::string(zero).substr(std::string(zero).find('=') + 1);
    CHECK(ParseProxyFlags({"--controller=x:1", "--grpc-insecure", zero}, &g) ==
          "--" + flag + ": expected at least 100ms, got '" + value + "'");
  }
  for (const char* flag :
       {"--tls=dns=off", "--max-connections=dns=5", "--trusted-ips=dns=10.0.0.0/8"}) {
    ProxyFlags g;
    std::string name = std::string(flag).substr(2, std::string(flag).find('=') - 2);
    CHECK(ParseProxyFlags(
              {"--controller=x:1", "--grpc-insecure", "--entrypoint=dns=127.0.0.1:53/udp", flag},
              &g) == "--" + name +
                         ": 'dns' is a UDP entrypoint (this setting is for TCP "
                         "entrypoints)");
  }
}

}  // namespace
}  // namespace portico::dataplane
