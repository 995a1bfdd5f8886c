// KubeApiClient: requests with a JSON body (PUT, POST, merge PATCH).
#include <catch2/catch.hpp>

#include "tests/controlplane/kube/support/client_harness.h"

namespace portico::controlplane::testing {
namespace {

struct Reply {
  bool done = false;
  int status = 0;
  std::string body;
};

ApiHandlers Collect(Reply* reply) {
  return {.on_body = [reply](int, std::string_view piece) { reply->body += piece; },
          .on_done =
              [reply](const ApiResult& result) {
                reply->status = result.status;
                reply->done = true;
              }};
}

TEST_CASE("PUT sends its JSON body and returns the status and body", "[kube][client]") {
  ClientHarness h;
  h.server.Expect("PUT", Target("/apis/x/v1/things/a"),
                  {.status = 409, .parts = {"{\"kind\":\"Status\",\"code\":409}"}});
  Reply reply;
  // Over 1 KiB: no Expect: 100-continue round trip to hang on.
  std::string body = "{\"pad\":\"" + std::string(3000, 'x') + "\"}";
  h.client->Send({.path = "/apis/x/v1/things/a", .method = "PUT", .body = body}, Collect(&reply));
  REQUIRE(h.RunUntil([&] { return reply.done; }));
  CHECK(reply.status == 409);
  CHECK(reply.body == "{\"kind\":\"Status\",\"code\":409}");
  auto requests = h.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "PUT");
  CHECK(requests[0].content_type == "application/json");
  CHECK(requests[0].body == body);
}

TEST_CASE("PATCH is a JSON merge patch, POST creates", "[kube][client]") {
  ClientHarness h;
  h.server.Expect("PATCH", Target("/apis/x/v1/things/a/status"), {.parts = {"{}"}});
  h.server.Expect("POST", Target("/apis/x/v1/things"), {.status = 201, .parts = {"{}"}});
  Reply patch, post;
  h.client->Send({.path = "/apis/x/v1/things/a/status", .method = "PATCH", .body = "{\"a\":1}"},
                 Collect(&patch));
  h.client->Send({.path = "/apis/x/v1/things", .method = "POST", .body = "{\"b\":2}"},
                 Collect(&post));
  REQUIRE(h.RunUntil([&] { return patch.done && post.done; }));
  CHECK(patch.status == 200);
  CHECK(post.status == 201);
  for (const ReceivedRequest& r : h.server.requests()) {
    if (r.method == "PATCH") {
      CHECK(r.content_type == "application/merge-patch+json");
      CHECK(r.body == "{\"a\":1}");
    } else {
      CHECK(r.method == "POST");
      CHECK(r.body == "{\"b\":2}");
    }
  }
}

TEST_CASE("Get stays a GET without a body even if one was set", "[kube][client]") {
  ClientHarness h;
  h.server.Expect("GET", Target("/api/v1/x"), {.parts = {"{}"}});
  Reply reply;
  h.client->Get({.path = "/api/v1/x", .method = "PUT", .body = "ignored"}, Collect(&reply));
  REQUIRE(h.RunUntil([&] { return reply.done; }));
  CHECK(reply.status == 200);
  CHECK(h.server.requests().at(0).body.empty());
}

}  // namespace
}  // namespace portico::controlplane::testing
