#include "controlplane/kube/api_objects.h"

#include <catch2/catch.hpp>

namespace portico::controlplane {
namespace {

ResourceKind Ingresses() {
  return {.group = "networking.k8s.io", .version = "v1", .resource = "ingresses", .kind = "Ingress"};
}

TEST_CASE("objects get their kind and lose what no compile needs", "[kube][objects]") {
  rapidjson::Document item;
  item.Parse(R"({"metadata":{"name":"web","namespace":"shop","resourceVersion":"7",
    "managedFields":[{"manager":"kubectl"}],
    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}","keep":"me"}},
    "spec":{}})");
  KeyedObject out;
  REQUIRE(TakeObject(item, Ingresses(), &out) == "");
  CHECK(out.key == "shop/web");
  CHECK(out.resource_version == "7");
  const rapidjson::Document& o = *out.object;
  CHECK(std::string(o["apiVersion"].GetString()) == "networking.k8s.io/v1");
  CHECK(std::string(o["kind"].GetString()) == "Ingress");
  CHECK_FALSE(o["metadata"].HasMember("managedFields"));
  CHECK(o["metadata"]["annotations"].MemberCount() == 1);
  CHECK(o["metadata"]["annotations"].HasMember("keep"));
}

TEST_CASE("objects and events the reflector cannot use are refused precisely",
          "[kube][objects]") {
  struct Case {
    std::string line;
    std::string error;
  };
  for (const Case& c : {
           Case{"{\"type\":\"ADDED\"", "watch event not JSON at offset 15: Missing a comma or '}' "
                                       "after an object member."},
           Case{"[1]", "watch event: expected {\"type\": ..., \"object\": {...}}"},
           Case{R"({"type":"ADDED","object":{"metadata":{"namespace":"a"}}})",
                "ADDED event: metadata.name: missing"},
           Case{R"({"type":"ADDED","object":{"metadata":{"name":"x"}}})",
                "ADDED event: metadata.namespace: missing (x)"},
           Case{R"({"type":"MODIFIED","object":{"metadata":{"name":"x","namespace":"a"}}})",
                "MODIFIED event: metadata.resourceVersion missing (a/x)"},
           Case{R"({"type":"BOOKMARK","object":{"metadata":{}}})",
                "BOOKMARK event: metadata.resourceVersion missing"},
       }) {
    WatchEvent event;
    INFO(c.line);
    CHECK(ParseWatchEvent(c.line, Ingresses(), &event) == c.error);
  }
  ListPage page;
  CHECK(ParseListPage(R"({"metadata":{"resourceVersion":"1"},"items":[{"metadata":{}}]})",
                      Ingresses(), &page) == "list body: items[0]: metadata.name: missing");
  CHECK(ParseListPage(R"({"metadata":{},"items":[]})", Ingresses(), &page) ==
        "list body: metadata.resourceVersion missing");
}

TEST_CASE("an ERROR event carries the Status", "[kube][objects]") {
  WatchEvent event;
  REQUIRE(ParseWatchEvent(R"j({"type":"ERROR","object":{"kind":"Status","code":410,
      "reason":"Expired","message":"too old resource version: 1 (3)"}})j",
                          Ingresses(), &event) == "");
  CHECK(event.type == WatchEventType::kError);
  CHECK(event.error_code == 410);
  CHECK(event.error_reason == "Expired");
  CHECK(StatusText(R"({"kind":"Status","reason":"Forbidden","message":"no"})") == "Forbidden: no");
  CHECK(StatusText("not json") == "");
}

}  // namespace
}  // namespace portico::controlplane
