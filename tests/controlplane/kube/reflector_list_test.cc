// Reflector: the paginated list, and how list requests are retried.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "controlplane/kube/reflector.h"
#include "tests/controlplane/kube/support/api_json.h"
#include "tests/controlplane/kube/support/reflector_harness.h"

namespace portico::controlplane::testing {
namespace {

std::string Param(const std::string& target, const std::string& name) {
  size_t at = target.find(name + "=");
  if (at == std::string::npos) return "<absent>";
  at += name.size() + 1;
  return target.substr(at, target.find('&', at) - at);
}

TEST_CASE("a list follows continue tokens, then watches from the list's version",
          "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices),
                  {.parts = {ListBody("10", "page/2+=", {Object("default", "a", "5"),
                                                         Object("default", "b", "6")})}});
  h.server.Expect(ListOf(kServices),
                  {.parts = {ListBody("10", "", {Object("other", "c", "7")})}});
  h.Start();
  REQUIRE(h.WaitForRequests(3));
  auto requests = h.server.requests();
  CHECK(requests[0].target == "/api/v1/services?limit=500");
  CHECK(requests[1].target == "/api/v1/services?limit=500&continue=page%2F2%2B%3D");
  const std::string& watch = requests[2].target;
  CHECK(watch.starts_with(
      "/api/v1/services?watch=1&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds="));
  int timeout = std::atoi(Param(watch, "timeoutSeconds").c_str());
  CHECK(timeout >= 300);
  CHECK(timeout < 600);
  CHECK(h.reflector->synced());
  CHECK(h.listed == 1);
  CHECK(h.Stored() == std::vector<std::string>{"default/a@5", "default/b@6", "other/c@7"});
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/a 5", "ADDED default/b 6",
                                             "ADDED other/c 7"});
  // List items carry no kind; the reflector fills it in for the decoder.
  const rapidjson::Document& a = *h.reflector->objects().at("default/a");
  CHECK(std::string(a["apiVersion"].GetString()) == "v1");
  CHECK(std::string(a["kind"].GetString()) == "Service");
}

TEST_CASE("an expired continue token restarts the list from the first page",
          "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices),
                  {.parts = {ListBody("10", "tok", {Object("default", "a", "5")})}});
  h.server.Expect(ListOf(kServices), {.status = 410, .parts = {ExpiredStatus()}});
  h.server.Expect(ListOf(kServices),
                  {.parts = {ListBody("20", "", {Object("default", "b", "15")})}});
  h.Start();
  REQUIRE(h.WaitForRequests(4));
  auto requests = h.server.requests();
  CHECK(requests[1].target == "/api/v1/services?limit=500&continue=tok");
  CHECK(requests[2].target == "/api/v1/services?limit=500");
  CHECK(Param(requests[3].target, "resourceVersion") == "20");
  // The half-read first attempt never reaches the store.
  CHECK(h.Stored() == std::vector<std::string>{"default/b@15"});
  CHECK(h.deltas == std::vector<std::string>{"ADDED default/b 15"});
}

TEST_CASE("429 on a list waits for Retry-After before asking again", "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.status = 429, .headers = {{"Retry-After", "1"}},
                                      .parts = {"{\"kind\":\"Status\",\"code\":429}"}});
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("3", "", {})}});
  h.Start();
  REQUIRE(h.WaitForRequests(3));
  auto requests = h.server.requests();
  auto waited = requests[1].at - requests[0].at;
  CHECK(waited >= std::chrono::milliseconds(950));
  CHECK(waited < std::chrono::milliseconds(3000));
  CHECK(h.reflector->synced());
  CHECK(h.reflector->stats().failures == 1);
}

TEST_CASE("a failed list is retried with backoff and the page limit is configurable",
          "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.status = 500, .parts = {"{}"}});
  h.server.Expect(ListOf(kServices), {.status = 200, .parts = {"{\"items\": [}"}});
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("3", "", {})}});
  h.Start({}, {.page_limit = 2});
  REQUIRE(h.WaitForRequests(4));
  CHECK(h.server.requests()[0].target == "/api/v1/services?limit=2");
  CHECK(h.reflector->stats().failures == 2);
  CHECK(h.reflector->synced());
}

TEST_CASE("401 makes the token file be read again and the request retried once",
          "[kube][reflector]") {
  char dir[] = "/tmp/kube-token-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string token_file = std::string(dir) + "/token";
  std::ofstream(token_file) << "first-token\n";
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices),
                  {.status = 401,
                   .parts = {"{\"kind\":\"Status\",\"code\":401}"},
                   .before = [&] { std::ofstream(token_file) << "second-token\n"; }});
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("3", "", {})}});
  h.Start({.token_file = token_file});
  REQUIRE(h.WaitForRequests(3));
  auto requests = h.server.requests();
  CHECK(requests[0].authorization == "Bearer first-token");
  CHECK(requests[1].authorization == "Bearer second-token");
  CHECK(requests[2].authorization == "Bearer second-token");
  CHECK(h.reflector->synced());
  CHECK(h.reflector->stats().failures == 0);  // the retry is the client's, unseen
  CHECK(h.client->stats().unauthorized_retries == 1);
  std::remove(token_file.c_str());
  rmdir(dir);
}

TEST_CASE("a 401 that persists after the re-read is a failure", "[kube][reflector]") {
  ReflectorHarness h;
  h.server.Expect(ListOf(kServices), {.status = 401, .parts = {"{}"}});
  h.server.Expect(ListOf(kServices), {.parts = {ListBody("3", "", {})}});
  h.Start({.token = "fixed"});  // a fixed token: nothing to re-read
  REQUIRE(h.WaitForRequests(3));
  CHECK(h.server.requests()[0].authorization == "Bearer fixed");
  CHECK(h.reflector->stats().failures == 1);
  CHECK(h.client->stats().unauthorized_retries == 0);
}

}  // namespace
}  // namespace portico::controlplane::testing
