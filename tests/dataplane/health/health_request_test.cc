// The pure parts of a health check: validation, request bytes, passing
// statuses, redirects that stay on the endpoint.
#include "dataplane/upstream/health_request.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

v1::HealthCheck Check(const std::string& path) {
  v1::HealthCheck c;
  c.set_path(path);
  return c;
}

void AddHeader(v1::HealthCheck* c, const std::string& name, const std::string& value) {
  v1::Header* h = c->add_headers();
  h->set_name(name);
  h->set_value(value);
}

TEST_CASE("health request: default GET with Host, Connection and User-Agent") {
  CHECK(BuildHealthRequest(Check("/health"), "/health", "10.0.0.1:8080") ==
        "GET /health HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nConnection: close\r\n"
        "User-Agent: portico-health\r\n\r\n");
}

TEST_CASE("health request: method and headers, configured Host and Connection are ignored") {
  v1::HealthCheck c = Check("/ready?deep=1");
  c.set_method("HEAD");
  AddHeader(&c, "Connection", "keep-alive");
  AddHeader(&c, "host", "evil");
  AddHeader(&c, "X-Probe", "a b");
  CHECK(BuildHealthRequest(c, "/ready?deep=1", "svc.example") ==
        "HEAD /ready?deep=1 HTTP/1.1\r\nHost: svc.example\r\nX-Probe: a b\r\n"
        "Connection: close\r\nUser-Agent: portico-health\r\n\r\n");
}

TEST_CASE("health request: validation names the field") {
  CHECK(ValidateHealthCheck(Check("/ok")) == "");
  CHECK(ValidateHealthCheck(Check("ok")).starts_with("healthCheck.path:"));
  CHECK(ValidateHealthCheck(Check("/a b")).starts_with("healthCheck.path:"));
  v1::HealthCheck c = Check("/ok");
  c.set_scheme("ftp");
  CHECK(ValidateHealthCheck(c).starts_with("healthCheck.scheme:"));
  c = Check("/ok");
  c.set_hostname("a\r\nb");
  CHECK(ValidateHealthCheck(c).starts_with("healthCheck.hostname:"));
  c = Check("/ok");
  c.set_method("GE T");
  CHECK(ValidateHealthCheck(c).starts_with("healthCheck.method:"));
  c = Check("/ok");
  c.set_port(70000);
  CHECK(ValidateHealthCheck(c) == "healthCheck.port: 70000 > 65535");
  c = Check("/ok");
  AddHeader(&c, "X-A", "1");
  AddHeader(&c, "X-B", "1\r\nInjected: yes");
  CHECK(ValidateHealthCheck(c) == "healthCheck.headers[1].value: contains CR, LF or NUL");
  c = Check("/ok");
  AddHeader(&c, "X:A", "1");
  CHECK(ValidateHealthCheck(c) == "healthCheck.headers[0].name: not an HTTP token");
}

TEST_CASE("health request: 2xx and 3xx pass unless a status is expected") {
  v1::HealthCheck c = Check("/");
  CHECK(HealthStatusPasses(c, 200));
  CHECK(HealthStatusPasses(c, 204));
  CHECK(HealthStatusPasses(c, 399));
  CHECK_FALSE(HealthStatusPasses(c, 199));
  CHECK_FALSE(HealthStatusPasses(c, 404));
  CHECK_FALSE(HealthStatusPasses(c, 500));
  c.set_status(503);
  CHECK(HealthStatusPasses(c, 503));
  CHECK_FALSE(HealthStatusPasses(c, 200));
}

TEST_CASE("health request: authority of IPv4 and IPv6 addresses") {
  sockaddr_storage a{};
  auto* in = reinterpret_cast<sockaddr_in*>(&a);
  in->sin_family = AF_INET;
  inet_pton(AF_INET, "10.1.2.3", &in->sin_addr);
  CHECK(AddressAuthority(a, 8080) == "10.1.2.3:8080");
  sockaddr_storage b{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&b);
  in6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::1", &in6->sin6_addr);
  CHECK(AddressAuthority(b, 9) == "[::1]:9");
}

TEST_CASE("health request: redirects that stay on the endpoint") {
  auto follow = [](const std::string& location, const std::string& scheme = "") {
    return SameEndpointRedirect(location, "/a/health?x=1", scheme, "svc.example", "10.0.0.1:8080");
  };
  CHECK(follow("/login") == "/login");
  CHECK(follow("/login#top") == "/login");
  CHECK(follow("ready") == "/a/ready");
  CHECK(follow("http://10.0.0.1:8080/b?c") == "/b?c");
  CHECK(follow("HTTP://SVC.example/b") == "/b");
  CHECK(follow("http://svc.example") == "/");
  CHECK(follow("http://svc.example?q") == "/?q");
  CHECK(follow("//svc.example/c") == "/c");
  CHECK(follow("https://svc.example/b", "https") == "/b");
}

TEST_CASE("health request: redirects that leave the endpoint are not followed") {
  auto follow = [](const std::string& location, const std::string& scheme = "") {
    return SameEndpointRedirect(location, "/health", scheme, "svc.example", "10.0.0.1:8080");
  };
  CHECK_FALSE(follow("http://other.example/health"));
  CHECK_FALSE(follow("http://10.0.0.1:8081/health"));
  CHECK_FALSE(follow("http://10.0.0.1:8080.evil/health"));
  CHECK_FALSE(follow("https://svc.example/health"));  // another scheme
  CHECK_FALSE(follow("http://svc.example/health", "https"));
  CHECK_FALSE(follow("//other.example/x"));
  CHECK_FALSE(follow(""));
  CHECK_FALSE(follow("/a b"));
}

}  // namespace
}  // namespace portico::dataplane
