// IngressStatusWriter against the scripted API server: only when enabled,
// GET → compare → PUT /status, 409 re-reads, no-ops, clearing, and the
// addresses of a publish Service followed from load to load.
#include "controlplane/kube/ingress_status_writer.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "tests/controlplane/kube/support/client_harness.h"

namespace portico::controlplane::testing {
namespace {

constexpr char kWeb[] = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web";
constexpr char kWebStatus[] = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web/status";

std::string IngressJson(const std::string& name, const std::string& rv,
                        const std::string& lb_ingress) {
  return R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":")" + name +
         R"(","namespace":"default","resourceVersion":")" + rv +
         R"("},"spec":{"rules":[]},"status":{"loadBalancer":{)" +
         (lb_ingress.empty() ? "" : "\"ingress\":" + lb_ingress) + "}}}";
}

std::vector<SourceObject> Load(const std::vector<std::string>& jsons) {
  std::vector<SourceObject> objects;
  for (const std::string& j : jsons) {
    SourceObject o{.origin = "test"};
    o.json.Parse(j.c_str());
    REQUIRE(o.json.IsObject());
    objects.push_back(std::move(o));
  }
  return objects;
}

struct Writer {
  ClientHarness h;
  std::unique_ptr<IngressStatusWriter> writer;
  // Publishes 10.0.0.1,lb.example.com, or the addresses of `publish_service`.
  explicit Writer(const std::string& publish_service = "") {
    std::vector<LoadBalancerAddress> addresses;
    REQUIRE(ParsePublishAddresses("10.0.0.1,lb.example.com", &addresses).empty());
    if (!publish_service.empty()) addresses.clear();
    writer = std::make_unique<IngressStatusWriter>(
        &h.loop, h.client.get(),
        IngressStatusWriterOptions{
            .addresses = addresses, .publish_service = publish_service, .retry_delay_ms = 50});
    // No before_close: `writer` is destroyed before `h` (declared after it),
    // closing itself; a before_close would call it once destroyed (ASan).
  }
  bool Idle() {
    return h.RunUntil([&] { return writer->pending() == 0; });
  }
};

constexpr char kOurs[] = R"([{"ip":"10.0.0.1"},{"hostname":"lb.example.com"}])";

TEST_CASE("publish addresses: IPs become ip, the rest hostname", "[kube][status]") {
  std::vector<LoadBalancerAddress> a;
  REQUIRE(ParsePublishAddresses("10.0.0.1,LB.Example.com,::1", &a).empty());
  CHECK(a == std::vector<LoadBalancerAddress>{
                 {.ip = "10.0.0.1"}, {.hostname = "lb.example.com"}, {.ip = "::1"}});
  CHECK(ParsePublishAddresses("10.0.0.1,bad host", &a) ==
        "--publish-address entry 2 (\"bad host\") is neither an IP address nor a hostname");
  CHECK_FALSE(ParsePublishAddresses("", &a).empty());
  CHECK_FALSE(ParsePublishAddresses("a,,b", &a).empty());
}

TEST_CASE("status is written only once enabled, with the read resourceVersion", "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  CHECK(w.writer->pending() == 0);  // not leading: nothing queued, nothing sent
  w.writer->SetEnabled(true);
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().writes == 1);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].method == "PUT");
  rapidjson::Document put;
  put.Parse(requests[1].body.c_str());
  REQUIRE(put.IsObject());
  CHECK(std::string(put["metadata"]["resourceVersion"].GetString()) == "7");
  const auto& list = put["status"]["loadBalancer"]["ingress"];
  REQUIRE(list.Size() == 2);
  CHECK(std::string(list[0]["ip"].GetString()) == "10.0.0.1");
  CHECK(std::string(list[1]["hostname"].GetString()) == "lb.example.com");
}

TEST_CASE("an Ingress already right is not written", "[kube][status]") {
  Writer w;
  w.writer->SetEnabled(true);
  // Right in the cache: no request at all.
  w.writer->Observe(Load({IngressJson("web", "6", kOurs)}), {"default/web"});
  CHECK(w.writer->pending() == 0);
  // Stale in the cache, right on the server: one GET, counted as a no-op.
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().noops == 1);
  CHECK(w.writer->stats().writes == 0);
  CHECK(w.h.server.requests().size() == 1);
}

TEST_CASE("a 409 on the status write reads again and retries", "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.status = 409, .parts = {"{}"}});
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "9", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "10", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  w.writer->SetEnabled(true);
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().conflicts == 1);
  CHECK(w.writer->stats().writes == 1);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 4);
  rapidjson::Document put;
  put.Parse(requests[3].body.c_str());
  CHECK(std::string(put["metadata"]["resourceVersion"].GetString()) == "9");
}

TEST_CASE("a failed write is tried again after the retry delay", "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.status = 500, .parts = {"{}"}});
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.status = 422, .parts = {"{}"}});
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", kOurs)}});
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  w.writer->SetEnabled(true);
  REQUIRE(w.h.RunUntil([&] { return w.writer->stats().writes == 1; }));
  CHECK(w.writer->stats().errors == 2);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[1].at - requests[0].at >= std::chrono::milliseconds(50));
  CHECK(requests[3].at - requests[2].at >= std::chrono::milliseconds(50));
}

TEST_CASE("our address is cleared from an Ingress no longer ours, others are left alone",
          "[kube][status]") {
  Writer w;
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", kOurs)}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", "")}});
  w.writer->SetEnabled(true);
  w.writer->Observe(
      Load({IngressJson("web", "6", kOurs), IngressJson("theirs", "3", R"([{"ip":"192.0.2.9"}])")}),
      {});
  REQUIRE(w.Idle());
  CHECK(w.writer->stats().writes == 1);
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 2);  // nothing for "theirs"
  rapidjson::Document put;
  put.Parse(requests[1].body.c_str());
  CHECK_FALSE(put["status"]["loadBalancer"].HasMember("ingress"));
}

TEST_CASE("disabling drops queued and in-flight writes", "[kube][status]") {
  Writer w;
  // The GET is never answered.
  w.writer->Observe(Load({IngressJson("web", "6", "")}), {"default/web"});
  w.writer->SetEnabled(true);
  REQUIRE(w.h.RunUntil([&] { return w.h.server.requests().size() == 1; }));
  w.writer->SetEnabled(false);
  CHECK(w.writer->pending() == 0);
}

// A Service in portico-system with cluster IP 10.96.0.10 and `lb_ingress`
// as its status.loadBalancer.ingress ("" for none).
std::string ServiceJson(const std::string& rv, const std::string& lb_ingress) {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"portico",)"
         R"("namespace":"portico-system","resourceVersion":")" +
         rv + R"("},"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.10"},)" +
         R"("status":{"loadBalancer":{)" + (lb_ingress.empty() ? "" : "\"ingress\":" + lb_ingress) +
         "}}}";
}

std::vector<std::string> PutAddresses(const ReceivedRequest& put) {
  rapidjson::Document doc;
  doc.Parse(put.body.c_str());
  REQUIRE(doc.IsObject());
  std::vector<std::string> out;
  for (const auto& item : doc["status"]["loadBalancer"]["ingress"].GetArray()) {
    out.push_back(item.HasMember("ip") ? item["ip"].GetString() : item["hostname"].GetString());
  }
  return out;
}

TEST_CASE("publish Service: its addresses are written, and written again when they change",
          "[kube][status]") {
  Writer w("portico-system/portico");
  w.writer->SetEnabled(true);
  // No load-balancer address yet: the cluster IP.
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", "")}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", "")}});
  w.writer->Observe(Load({IngressJson("web", "6", ""), ServiceJson("3", "")}), {"default/web"});
  REQUIRE(w.Idle());
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(PutAddresses(requests[1]) == std::vector<std::string>{"10.96.0.10"});

  // The load balancer got its addresses: both are written, in order.
  constexpr char kCluster[] = R"([{"ip":"10.96.0.10"}])";
  constexpr char kLb[] = R"([{"ip":"203.0.113.7"},{"hostname":"lb.example.com"}])";
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "8", kCluster)}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "9", kLb)}});
  w.writer->Observe(Load({IngressJson("web", "8", kCluster), ServiceJson("4", kLb)}),
                    {"default/web"});
  REQUIRE(w.Idle());
  requests = w.h.server.requests();
  REQUIRE(requests.size() == 4);
  CHECK(PutAddresses(requests[3]) == std::vector<std::string>{"203.0.113.7", "lb.example.com"});
  CHECK(w.writer->stats().writes == 2);

  // The Service changes, its addresses do not: nothing is sent.
  w.writer->Observe(Load({IngressJson("web", "9", kLb), ServiceJson("5", kLb)}), {"default/web"});
  CHECK(w.writer->pending() == 0);
  CHECK(w.h.server.requests().size() == 4);
}

TEST_CASE("publish Service: nothing is written while it is absent", "[kube][status]") {
  Writer w("portico-system/portico");
  w.writer->SetEnabled(true);
  // Absent, or present in another namespace: no address, no request, and
  // what the Ingress carries is left alone.
  std::string elsewhere = ServiceJson("3", "");
  elsewhere.replace(elsewhere.find("portico-system"), 14, "default");
  w.writer->Observe(Load({IngressJson("web", "6", R"([{"ip":"192.0.2.1"}])"), elsewhere}),
                    {"default/web"});
  CHECK(w.writer->pending() == 0);
  CHECK(w.writer->addresses().empty());
  CHECK(w.h.server.requests().empty());
}

TEST_CASE("publish Service: its address is cleared from an Ingress that left the class",
          "[kube][status]") {
  Writer w("portico-system/portico");
  constexpr char kLb[] = R"([{"ip":"203.0.113.7"}])";
  w.h.server.Expect("GET", Target(kWeb), {.parts = {IngressJson("web", "7", kLb)}});
  w.h.server.Expect("PUT", Target(kWebStatus), {.parts = {IngressJson("web", "8", "")}});
  w.writer->SetEnabled(true);
  // "web" carries our address but compiled into no route (another class).
  w.writer->Observe(Load({IngressJson("web", "6", kLb), ServiceJson("3", kLb)}), {});
  REQUIRE(w.Idle());
  auto requests = w.h.server.requests();
  REQUIRE(requests.size() == 2);
  rapidjson::Document put;
  put.Parse(requests[1].body.c_str());
  CHECK_FALSE(put["status"]["loadBalancer"].HasMember("ingress"));
}

}  // namespace
}  // namespace portico::controlplane::testing
