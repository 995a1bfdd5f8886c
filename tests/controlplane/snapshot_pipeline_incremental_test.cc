// The pipeline's incremental paths (endpoint-only changes, decoded objects
// moved over from the previous load) must publish and report exactly what a
// fresh pipeline's full decode and compile of the same objects does.
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/compiler/compiler.h"
#include "controlplane/snapshot_pipeline.h"
#include "controlplane/source/manifest_folder.h"
#include "dataplane/tls/self_signed.h"
#include "tests/controlplane/support/generated_pem.h"
#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

constexpr char kService[] = R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{name: http, port: 80}, {name: admin, port: 9000}]}
)";

std::string Slice(const std::string& name, const std::string& endpoints) {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
         "metadata: {name: " +
         name +
         ", namespace: shop, "
         "labels: {kubernetes.io/service-name: web}}\n"
         "addressType: IPv4\nports: [{name: http, port: 8080}, {name: admin, port: 9090}]\n"
         "endpoints: " +
         endpoints + "\n";
}

constexpr char kIngress[] = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: shop}
spec:
  rules:
  - host: a.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
)";

constexpr char kMissing[] = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: missing, namespace: shop}
spec: {defaultBackend: {service: {name: gone, port: {number: 80}}}}
)";

// One SourceObject per document; its fingerprint is its text, as a source
// promises (equal fingerprints, equal objects).
SourceLoad Load(const std::vector<std::string>& documents) {
  std::string yaml;
  for (const std::string& d : documents) yaml += (yaml.empty() ? "" : "---\n") + d;
  SourceLoad load{.objects = testing::ObjectsFromYaml(yaml)};
  REQUIRE(load.objects.size() == documents.size());
  for (size_t i = 0; i < documents.size(); ++i) load.objects[i].fingerprint = "t:" + documents[i];
  return load;
}

std::vector<std::string> IssueLines(const SnapshotPipeline& pipeline) {
  std::vector<std::string> lines;
  for (const SourceIssue& issue : pipeline.issues())
    lines.push_back(issue.origin + ": " + issue.message);
  return lines;
}

// Applies `documents` to `pipeline` and checks that it took the
// endpoint-only path exactly when `fast`, and that what it publishes and
// reports equals a fresh pipeline's full compile.
void ApplyAndCompare(SnapshotPipeline* pipeline, const std::vector<std::string>& documents,
                     bool fast) {
  uint64_t before = pipeline->stats().endpoint_only_total;
  pipeline->Apply(Load(documents));
  CHECK(pipeline->stats().endpoint_only_total == before + (fast ? 1 : 0));
  SnapshotPipeline full([](auto) {});
  full.Apply(Load(documents));
  CHECK(full.stats().endpoint_only_total == 0);
  REQUIRE(pipeline->current() != nullptr);
  REQUIRE(full.current() != nullptr);
  CHECK(pipeline->current()->version() == full.current()->version());
  CHECK(pipeline->current()->ToMessage().DebugString() ==
        full.current()->ToMessage().DebugString());
  CHECK(pipeline->diagnostics() == full.diagnostics());
  CHECK(IssueLines(*pipeline) == IssueLines(full));
  CHECK(pipeline->routed() == full.routed());
}

TEST_CASE("endpoint-only changes publish what a full compile publishes", "[snapshot_pipeline]") {
  int published = 0;
  SnapshotPipeline pipeline([&](auto) { published++; });
  std::string empty_slice = Slice("web-2", "[]");
  std::vector<std::string> docs = {kService, Slice("web-1", "[{addresses: [10.0.0.1]}]"),
                                   empty_slice, kIngress, kMissing};
  ApplyAndCompare(&pipeline, docs, false);
  CHECK(published == 1);
  CHECK(pipeline.current()->clusters_size() == 1);

  SECTION("endpoints added, removed, not ready, terminating, in a second slice") {
    docs[1] = Slice("web-1", "[{addresses: [10.0.0.1]}, {addresses: [10.0.0.10]}]");
    ApplyAndCompare(&pipeline, docs, true);
    CHECK(published == 2);
    docs[1] = Slice("web-1", "[{addresses: [10.0.0.10]}]");
    ApplyAndCompare(&pipeline, docs, true);
    docs[1] = Slice("web-1", "[{addresses: [10.0.0.10], conditions: {ready: false}}]");
    ApplyAndCompare(&pipeline, docs, true);
    CHECK(pipeline.current()->clusters(0).endpoints_size() == 0);
    docs[1] = Slice("web-1",
                    "[{addresses: [10.0.0.10], conditions: {ready: false, serving: true, "
                    "terminating: true}}]");
    ApplyAndCompare(&pipeline, docs, true);
    docs[2] = Slice("web-2", "[{addresses: [10.0.0.3]}, {addresses: [10.0.0.2]}]");
    ApplyAndCompare(&pipeline, docs, true);
    CHECK(pipeline.current()->clusters(0).endpoints_size() == 2);
    CHECK(published == 6);
    // The same objects again: nothing new to publish.
    ApplyAndCompare(&pipeline, docs, true);
    CHECK(published == 6);
  }
  SECTION("a slice refused or duplicated is reported as a full decode reports it") {
    docs[2] = Slice("web-1", "[{addresses: [10.0.0.7]}]");  // same name as the first
    ApplyAndCompare(&pipeline, docs, true);
    CHECK(pipeline.issues().size() == 1);
    docs[2] = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: 7}\n";
    ApplyAndCompare(&pipeline, docs, true);
    docs[2] = empty_slice;
    ApplyAndCompare(&pipeline, docs, true);
    CHECK(pipeline.issues().empty());
  }
  SECTION("a Service port change takes the full path") {
    std::string service = kService;
    service.replace(service.find("port: 80}"), 9, "port: 81}");
    docs[0] = service;
    ApplyAndCompare(&pipeline, docs, false);
    CHECK(pipeline.current()->clusters_size() == 0);  // the Ingress names port 80
    docs[0] = kService;
    ApplyAndCompare(&pipeline, docs, false);
    CHECK(pipeline.current()->clusters_size() == 1);
  }
  SECTION("any other change, or a slice added or removed, takes the full path") {
    std::string other = kMissing;
    other.replace(other.find("gone"), 4, "web");  // now resolves
    docs[4] = other;
    ApplyAndCompare(&pipeline, docs, false);
    docs.push_back(Slice("web-3", "[{addresses: [10.0.0.9]}]"));
    ApplyAndCompare(&pipeline, docs, false);
    docs.pop_back();
    ApplyAndCompare(&pipeline, docs, false);
    docs[2] = kMissing;  // a slice's place taken by another kind
    ApplyAndCompare(&pipeline, docs, false);
  }
  SECTION("objects without a fingerprint count as changed") {
    SourceLoad load = Load(docs);
    for (SourceObject& object : load.objects) object.fingerprint.clear();
    pipeline.Apply(load);
    CHECK(pipeline.stats().endpoint_only_total == 0);
    CHECK(published == 1);
  }
}

TEST_CASE("endpoint-only changes with TCP and UDP routes publish what a full compile publishes",
          "[snapshot_pipeline][tcp][udp]") {
  // Service web's ports for TCP routes (one shared with the Ingress), and
  // a UDP port on another Service.
  const std::string dns_service =
      "apiVersion: v1\nkind: Service\nmetadata: {name: dns, namespace: shop}\n"
      "spec: {ports: [{name: dns, port: 53, protocol: UDP}]}\n";
  auto dns_slice = [](const std::string& endpoints) {
    return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
           "metadata: {name: dns-1, namespace: shop, labels: {kubernetes.io/service-name: dns}}\n"
           "addressType: IPv4\nports: [{name: dns, port: 5353, protocol: UDP}]\nendpoints: " +
           endpoints + "\n";
  };
  const std::string tcp_route = R"(apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: raw, namespace: shop}
spec:
  routes:
  - {match: HostSNI(`*`), services: [{name: web, port: 80}, {name: web, port: admin}]}
)";
  const std::string udp_route = R"(apiVersion: portico.dev/v1alpha1
kind: IngressRouteUDP
metadata: {name: dns, namespace: shop}
spec:
  routes: [{services: [{name: dns, port: dns}]}]
)";
  int published = 0;
  SnapshotPipeline pipeline([&](auto) { published++; });
  std::vector<std::string> docs = {kService, Slice("web-1", "[{addresses: [10.0.0.1]}]"),
                                   kIngress,  dns_service,
                                   dns_slice("[{addresses: [10.0.5.1]}]"), tcp_route, udp_route};
  ApplyAndCompare(&pipeline, docs, false);
  REQUIRE(pipeline.current()->rest().tcp_routes_size() == 1);
  REQUIRE(pipeline.current()->rest().udp_routes_size() == 1);
  CHECK(pipeline.current()->clusters_size() == 3);  // web:http shared, web:admin, dns:dns
  CHECK(pipeline.routed() == std::set<std::string>{"Ingress/shop/site", "IngressRouteTCP/shop/raw",
                                                   "IngressRouteUDP/shop/dns"});

  docs[1] = Slice("web-1", "[{addresses: [10.0.0.2]}, {addresses: [10.0.0.1]}]");
  ApplyAndCompare(&pipeline, docs, true);
  docs[4] = dns_slice("[{addresses: [10.0.5.2]}, {addresses: [10.0.5.1], conditions: {ready: "
                      "false, serving: true, terminating: true}}]");
  ApplyAndCompare(&pipeline, docs, true);
  CHECK(pipeline.current()->clusters(0).name() == "shop/dns:dns");
  CHECK(testing::ProtoLine(pipeline.current()->clusters(0)) ==
        "name: \"shop/dns:dns\" endpoints { address: \"10.0.5.2\" port: 5353 }");
  docs[4] = dns_slice("[{addresses: [10.0.5.1], conditions: {ready: false, serving: true, "
                      "terminating: true}}]");
  ApplyAndCompare(&pipeline, docs, true);
  CHECK(pipeline.current()->clusters(0).endpoints(0).terminating());
  CHECK(published == 4);
}

// Applies `documents` and checks how many objects were decoded again.
void ApplyCounting(SnapshotPipeline* pipeline, const std::vector<std::string>& documents,
                   uint64_t decoded, bool fast = false) {
  ApplyAndCompare(pipeline, documents, fast);
  CHECK(pipeline->stats().objects_decoded == decoded);
  CHECK(pipeline->stats().objects_reused == documents.size() - decoded);
}

constexpr char kIngressClass[] = R"(apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: portico, namespace: ignored}
spec: {controller: portico.dev/ingress-controller}
)";

constexpr char kBroken[] = R"(apiVersion: v1
kind: Service
metadata: {name: broken, namespace: shop}
spec: {ports: [{port: -1}]}
)";

constexpr char kList[] = R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: listed-a, namespace: shop}
  spec: {ports: [{port: 80}]}
- apiVersion: v1
  kind: Service
  metadata: {name: listed-b, namespace: shop}
  spec: {ports: [{port: 80}]}
)";

TEST_CASE("unchanged objects are moved over from the last decode, not decoded again",
          "[snapshot_pipeline]") {
  SnapshotPipeline pipeline([](auto) {});
  std::vector<std::string> docs = {kService,      Slice("web-1", "[{addresses: [10.0.0.1]}]"),
                                   kIngress,      kMissing,
                                   kIngressClass, kBroken,
                                   kList};
  ApplyCounting(&pipeline, docs, docs.size());
  REQUIRE(pipeline.issues().size() == 1);  // kBroken

  SECTION("a changed route decodes alone; an object with an issue decodes again") {
    std::string other = kMissing;
    other.replace(other.find("gone"), 4, "web");
    docs[3] = other;
    uint64_t in_place = pipeline.stats().decoded_in_place_total;
    ApplyCounting(&pipeline, docs, 2);
    CHECK(pipeline.stats().decoded_in_place_total == in_place + 1);
    // Nothing changed: the endpoint-only path, which decodes the slice.
    ApplyCounting(&pipeline, docs, 1, /*fast=*/true);
    CHECK(pipeline.issues().size() == 1);
  }
  SECTION("an object that becomes a duplicate is decoded and reported as one") {
    // Origins are document indexes: a new object before the List.
    docs[5] = R"(apiVersion: v1
kind: Service
metadata: {name: listed-a, namespace: shop}
spec: {ports: [{port: 81}]}
)";
    uint64_t in_place = pipeline.stats().decoded_in_place_total;
    ApplyCounting(&pipeline, docs, 2);  // it, and the List (listed-a a duplicate now)
    CHECK(pipeline.stats().decoded_in_place_total == in_place);  // order decides: all decoded
    REQUIRE(pipeline.issues().size() == 1);
    CHECK(pipeline.issues()[0].message.find("listed-a: duplicate") != std::string::npos);
    docs[5] = kBroken;
    ApplyCounting(&pipeline, docs, 2);  // the List had an issue last time
    CHECK(pipeline.stats().decoded_in_place_total == in_place + 1);  // listed-a left with docs[5]
    docs[3] = kIngress;  // a duplicate Ingress now
    ApplyCounting(&pipeline, docs, 2);  // it and kBroken
  }
  SECTION("a List's items are moved together; objects that moved order still match") {
    std::swap(docs[2], docs[3]);  // origins follow documents: both decode again
    ApplyCounting(&pipeline, docs, 3);
    docs.push_back(R"(apiVersion: v1
kind: Service
metadata: {name: listed-b, namespace: shop}
spec: {ports: [{port: 81}]}
)");  // a duplicate of a List item, after the List
    ApplyCounting(&pipeline, docs, 2);
    CHECK(pipeline.issues().size() == 2);
  }
  SECTION("after an endpoint-only change, slices move over as decoded then") {
    docs[1] = Slice("web-1", "[{addresses: [10.0.0.2]}]");
    ApplyAndCompare(&pipeline, docs, true);
    CHECK(pipeline.stats().objects_decoded == 1);
    std::string other = kMissing;
    other.replace(other.find("gone"), 4, "web");
    docs[3] = other;
    ApplyCounting(&pipeline, docs, 2);
    REQUIRE(pipeline.current()->clusters_size() == 1);
    CHECK(pipeline.current()->clusters(0).endpoints(0).address() == "10.0.0.2");
  }
  SECTION("objects added, removed and renamed edit the last state in place") {
    uint64_t in_place = pipeline.stats().decoded_in_place_total;
    docs.push_back(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: extra, namespace: shop}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
)");
    ApplyCounting(&pipeline, docs, 2);  // it, and kBroken (an issue: decoded every time)
    docs.erase(docs.begin() + 2);  // kIngress gone; the later origins shift
    ApplyCounting(&pipeline, docs, 5);
    docs.pop_back();
    ApplyCounting(&pipeline, docs, 1);
    CHECK(pipeline.stats().decoded_in_place_total == in_place + 3);
    std::swap(docs[0], docs.back());  // kService moves behind the List
    ApplyCounting(&pipeline, docs, 3);
  }
  SECTION("objects without a fingerprint are always decoded") {
    SourceLoad load = Load(docs);
    for (SourceObject& object : load.objects) object.fingerprint.clear();
    pipeline.Apply(load);
    CHECK(pipeline.stats().objects_decoded == docs.size());
  }
}

std::string HostIngress(const std::string& name, const std::string& host, const std::string& path,
                        const std::string& port, const std::string& extra = "") {
  return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: " + name +
         ", namespace: shop}\nspec:\n" + extra + "  rules:\n  - host: '" + host +
         "'\n    http: {paths: [{path: " + path +
         ", pathType: Prefix, backend: {service: {name: web, port: " + port + "}}}]}\n";
}

// Applies `documents`, compares with a full compile, and checks whether
// the last compile was patched (RecompileIngresses) rather than redone.
void ApplyPatching(SnapshotPipeline* pipeline, const std::vector<std::string>& documents,
                   bool patched) {
  uint64_t before = pipeline->stats().ingress_patches_total;
  ApplyAndCompare(pipeline, documents, false);
  CHECK(pipeline->stats().ingress_patches_total == before + (patched ? 1 : 0));
}

TEST_CASE("a change of Ingresses only patches the last compile", "[snapshot_pipeline]") {
  SnapshotPipeline pipeline([](auto) {});
  std::vector<std::string> docs = {kService, Slice("web-1", "[{addresses: [10.0.0.1]}]"), kIngress,
                                   kMissing};
  ApplyPatching(&pipeline, docs, false);

  SECTION("routes and their clusters come and go; diagnostics follow") {
    docs.push_back(HostIngress("b", "b.test", "/api", "{name: admin}"));
    ApplyPatching(&pipeline, docs, true);  // a new cluster, shop/web:admin
    CHECK(pipeline.current()->clusters_size() == 2);
    docs.back() = HostIngress("b", "b.test", "/api", "{number: 81}");
    ApplyPatching(&pipeline, docs, true);  // no such port: 503 and a diagnostic
    CHECK(pipeline.current()->clusters_size() == 1);
    docs.push_back(HostIngress("c", "*.test", "/", "{number: 80}"));
    docs.push_back(HostIngress("d", "a.test", "/a", "{number: 80}"));
    ApplyPatching(&pipeline, docs, true);  // two at once, sorted in among the others
    docs.erase(docs.begin() + 3);  // kMissing, and its diagnostic
    ApplyPatching(&pipeline, docs, true);
    docs.push_back(HostIngress("other", "o.test", "/", "{number: 80}",
                               "  ingressClassName: other\n"));
    ApplyPatching(&pipeline, docs, true);  // another controller's: no route
    docs[1] = Slice("web-1", "[{addresses: [10.0.0.3]}]");
    ApplyAndCompare(&pipeline, docs, true);  // endpoints only: the patch's base moves on
    docs.push_back(HostIngress("g", "g.test", "/", "{number: 80}"));
    ApplyPatching(&pipeline, docs, true);
    CHECK(pipeline.current()->clusters(0).endpoints(0).address() == "10.0.0.3");
  }
  SECTION("a conflict, TLS, or any other kind changed compiles in full") {
    docs.push_back(HostIngress("twin", "a.test", "/", "{number: 80}"));
    ApplyPatching(&pipeline, docs, false);  // claims site's host and path
    REQUIRE(!pipeline.diagnostics().empty());
    docs.push_back(HostIngress("e", "e.test", "/", "{number: 80}"));
    ApplyPatching(&pipeline, docs, false);  // the last compile had a conflict
    docs.erase(docs.end() - 2);  // twin
    ApplyPatching(&pipeline, docs, false);
    docs.push_back(HostIngress("f", "f.test", "/", "{number: 80}"));
    ApplyPatching(&pipeline, docs, true);  // no conflict left
    docs.push_back(HostIngress("secure", "s.test", "/", "{number: 80}",
                               "  tls: [{hosts: [s.test], secretName: missing}]\n"));
    ApplyPatching(&pipeline, docs, false);
    docs.back() = HostIngress("secure", "s.test", "/", "{number: 80}");
    ApplyPatching(&pipeline, docs, false);  // it had TLS in the last compile
    docs.back() = HostIngress("secure", "s.test", "/x", "{number: 80}");
    ApplyPatching(&pipeline, docs, true);
    docs[0] = kService;
    docs[0].replace(docs[0].find("namespace: shop}"), 16, "namespace: shop, labels: {a: b}}");
    ApplyPatching(&pipeline, docs, false);  // a Service
  }
}

TEST_CASE("a compile says until when a certificate check keeps its answer", "[compiler]") {
  std::string backend = testing::kShopWebBackend;
  CHECK(Compile(testing::StateFromYaml(backend)).valid_until == INT64_MAX);
  std::string yaml = backend + R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: shop}
spec:
  tls: [{hosts: [a.test], secretName: cert}]
  rules:
  - host: a.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: shop}
type: kubernetes.io/tls
stringData:
  tls.crt: |
)" + testing::GeneratedCertificateBlock() +
                     "  tls.key: |\n" + testing::GeneratedKeyBlock();
  CompileResult result = Compile(testing::StateFromYaml(yaml));
  REQUIRE(result.certificates.size() == 1);
  // Served now; refused from the second after notAfter.
  CHECK(result.valid_until == dataplane::GeneratedDefaultCertificate()->not_after + 1);
}

TEST_CASE("the parse cache gives a file's objects one fingerprint per parse", "[manifest_folder]") {
  ManifestFolder folder;
  folder.files = {{"a.yaml", "kind: A\n---\nkind: B\n"}, {"b.yaml", "kind: C\n"}};
  ManifestParseCache cache;
  auto fingerprints = [](const SourceLoad& load) {
    std::vector<std::string> out;
    for (const SourceObject& object : load.objects) out.push_back(object.fingerprint);
    return out;
  };
  std::vector<std::string> first = fingerprints(cache.Parse(folder, {}));
  REQUIRE(first.size() == 3);
  CHECK(!first[0].empty());
  CHECK(first[0] == first[1]);
  CHECK(first[0] != first[2]);
  CHECK(fingerprints(cache.Parse(folder, {})) == first);  // all from the cache
  folder.files[1] = {folder.files[1].path, "kind: D\n"};
  folder.files[0] = {folder.files[0].path,
                     "kind: A\n---\nkind: E\n"};  // the first document unchanged
  std::vector<std::string> second = fingerprints(cache.Parse(folder, {}));
  REQUIRE(second.size() == 3);
  CHECK(second[0] == first[0]);
  CHECK(second[1] != first[1]);
  CHECK(second[2] != first[2]);
  ManifestParseCache other;  // another cache never repeats one
  CHECK(other.Parse(folder, {}).objects[2].fingerprint != second[2]);
}

}  // namespace
}  // namespace portico::controlplane
