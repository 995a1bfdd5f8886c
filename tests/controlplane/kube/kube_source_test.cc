// KubeSource: nothing before every collection has listed; then one load of
// every object, and coalesced loads after changes.
#include "controlplane/kube/kube_source.h"

#include <catch2/catch.hpp>

#include "tests/controlplane/kube/support/api_json.h"
#include "tests/controlplane/kube/support/loop_wait.h"
#include "tests/controlplane/kube/support/scripted_api_server.h"

namespace portico::controlplane::testing {
namespace {

constexpr char kIngresses[] = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses";
constexpr char kClasses[] = "/apis/networking.k8s.io/v1/ingressclasses";
constexpr char kSecrets[] = "/api/v1/namespaces/shop/secrets";

std::vector<std::string> Origins(const SourceLoad& load) {
  std::vector<std::string> out;
  for (const SourceObject& o : load.objects) {
    out.push_back(o.origin + " " + o.json["kind"].GetString());
  }
  return out;
}

struct SourceHarness {
  SourceHarness() {
    uv_loop_init(&loop);
    REQUIRE(server.Start() == "");
    client = std::make_unique<KubeApiClient>(&loop, KubeConfig{.server = server.url()});
    REQUIRE(client->Start() == "");
  }
  ~SourceHarness() {
    if (source) source->Close();
    client->Close();
    server.Stop();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  void Start(KubeSourceOptions options) {
    options.reflector.backoff = {.initial_ms = 20, .max_ms = 200};
    source = std::make_unique<KubeSource>(&loop, client.get(), std::move(options),
                                          [this](SourceLoad load) {
                                            loads.push_back(std::move(load));
                                          });
    source->Start();
  }

  uv_loop_t loop{};
  ScriptedApiServer server;
  std::unique_ptr<KubeApiClient> client;
  std::unique_ptr<KubeSource> source;
  std::vector<SourceLoad> loads;
};

KubeSourceOptions ShopOptions() {
  KubeSourceOptions options;
  options.kinds = {DefaultKinds()[0], DefaultKinds()[1], DefaultKinds()[4]};
  options.namespaces = {"shop"};
  return options;
}

TEST_CASE("the first load waits for every collection, then holds every object",
          "[kube][source]") {
  SourceHarness h;
  h.server.Expect(ListOf(kIngresses),
                  {.parts = {ListBody("5", "", {Object("shop", "web", "4")})}});
  h.server.Expect(ListOf(kClasses), {.parts = {ListBody("5", "", {Object("", "portico", "3")})},
                                     .gate = "classes"});
  h.server.Expect(ListOf(kSecrets), {.parts = {ListBody("5", "", {Object("shop", "tls", "2")})}});
  h.Start(ShopOptions());
  REQUIRE(RunUntil(&h.loop, [&] { return h.server.count("watch=1") == 2; }));
  CHECK(h.loads.empty());
  CHECK_FALSE(h.source->synced());
  CHECK(h.source->waiting_for() == "ingressclasses");
  h.server.Open("classes");
  REQUIRE(RunUntil(&h.loop, [&] { return !h.loads.empty(); }));
  CHECK(h.source->synced());
  CHECK(Origins(h.loads[0]) ==
        std::vector<std::string>{"kube:ingresses/shop/web Ingress",
                                 "kube:ingressclasses/portico IngressClass",
                                 "kube:secrets/shop/tls Secret"});
  // Secrets of every type (CA bundles are Opaque), without a field selector.
  CHECK(h.server.count("/secrets?limit=500") == 1);
  CHECK(h.server.count("fieldSelector") == 0);
}

TEST_CASE("an extra collection is watched with its field selector and loaded with the rest",
          "[kube][source]") {
  SourceHarness h;
  constexpr char kServices[] = "/api/v1/namespaces/portico-system/services";
  h.server.Expect(ListOf(kIngresses), {.parts = {ListBody("5", "", {})}});
  h.server.Expect(ListOf(kClasses), {.parts = {ListBody("5", "", {})}});
  h.server.Expect(ListOf(kSecrets), {.parts = {ListBody("5", "", {})}});
  h.server.Expect(ListOf(kServices),
                  {.parts = {ListBody("5", "", {Object("portico-system", "portico", "4")})}});
  KubeSourceOptions options = ShopOptions();
  options.extra.push_back({.kind = {.version = "v1",
                                    .resource = "services",
                                    .kind = "Service",
                                    .field_selector = "metadata.name=portico"},
                           .namespace_ = "portico-system"});
  h.Start(options);
  REQUIRE(RunUntil(&h.loop, [&] { return !h.loads.empty(); }));
  CHECK(Origins(h.loads[0]) ==
        std::vector<std::string>{"kube:services/portico-system/portico Service"});
  CHECK(h.server.count(
            "/portico-system/services?limit=500&fieldSelector=metadata.name%3Dportico") == 1);
  REQUIRE(h.source->reflectors().size() == 4);
  CHECK(h.source->reflectors()[3]->namespace_name() == "portico-system");
  CHECK(h.source->reflectors()[3]->stats().last_sync_unix_ms > 0);
  CHECK(h.source->reflectors()[0]->namespace_name() == "shop");
}

TEST_CASE("a change goes out at once, a burst behind it is coalesced", "[kube][source]") {
  SourceHarness h;
  h.server.Expect(ListOf(kIngresses), {.parts = {ListBody("5", "", {})}});
  h.server.Expect(ListOf(kClasses), {.parts = {ListBody("5", "", {})}});
  h.server.Expect(ListOf(kSecrets), {.parts = {ListBody("5", "", {})}});
  std::vector<std::string> burst;
  for (int i = 0; i < 20; ++i) {
    burst.push_back(Event("ADDED", Object("shop", "burst-" + std::to_string(i),
                                          std::to_string(100 + i))));
  }
  h.server.Expect(WatchOf(kIngresses),
                  {.parts = {Event("ADDED", Object("shop", "first", "6"))},
                   .hold_open = true,
                   .gate = "first"});
  h.server.Expect(WatchOf(kClasses), {.parts = burst, .hold_open = true, .gate = "burst"});
  KubeSourceOptions options = ShopOptions();
  options.quiet_ms = 500;
  options.max_delay_ms = 3000;
  h.Start(options);
  REQUIRE(RunUntil(&h.loop, [&] { return h.loads.size() == 1; }));
  // Let a quiet spell pass since that load, then change something.
  auto loaded = std::chrono::steady_clock::now();
  RunUntil(&h.loop, [&] {
    return std::chrono::steady_clock::now() - loaded > std::chrono::milliseconds(600);
  });
  h.server.Open("first");
  auto opened = std::chrono::steady_clock::now();
  REQUIRE(RunUntil(&h.loop, [&] { return h.loads.size() == 2; }));
  // "first" went out without waiting for the quiet time.
  CHECK(std::chrono::steady_clock::now() - opened < std::chrono::milliseconds(400));
  CHECK(h.loads[1].objects.size() == 1);
  h.server.Open("burst");
  REQUIRE(RunUntil(&h.loop, [&] { return h.loads.size() == 3; }));
  // One load covers the whole burst... unless it arrived in pieces slower
  // than the quiet time, which loopback does not do.
  CHECK(h.loads[2].objects.size() == 21);
  CHECK_FALSE(RunUntil(&h.loop, [&] { return h.loads.size() > 3; }, 400));
}

}  // namespace
}  // namespace portico::controlplane::testing
