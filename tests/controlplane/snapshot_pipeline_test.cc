#include "controlplane/snapshot_pipeline.h"

#include <catch2/catch.hpp>

#include "tests/controlplane/support/manifests.h"

namespace portico::controlplane {
namespace {

constexpr char kService[] = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n";
constexpr char kIngress[] =
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n"
    "spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}\n";

TEST_CASE("the pipeline publishes only when the version changes", "[snapshot_pipeline]") {
  std::vector<std::shared_ptr<const SharedSnapshot>> published;
  SnapshotPipeline pipeline([&](auto snapshot) { published.push_back(snapshot); });
  CHECK(pipeline.current() == nullptr);

  pipeline.Apply({.objects = testing::ObjectsFromYaml(kService)});
  REQUIRE(published.size() == 1);
  CHECK(published[0]->routes_size() == 0);
  CHECK(pipeline.current() == published[0]);

  pipeline.Apply({.objects = testing::ObjectsFromYaml(kService),
                  .issues = {{"x.yaml", "not loaded: broken"}}});
  CHECK(published.size() == 1);  // same content, same version
  CHECK(pipeline.stats().compiles_total == 2);
  CHECK(pipeline.stats().source_errors == 1);
  // Kept for the status writers, with the object or origin they concern.
  REQUIRE(pipeline.issues().size() == 1);
  CHECK(pipeline.issues()[0].origin == "x.yaml");
  CHECK(pipeline.diagnostics().empty());

  pipeline.Apply({.objects = testing::ObjectsFromYaml(std::string(kService) + "---\n" + kIngress)});
  REQUIRE(published.size() == 2);
  CHECK(published[1]->routes_size() == 1);
  CHECK(published[1]->version() != published[0]->version());
  CHECK(pipeline.stats().diagnostics == 1);  // the Service has no port 80
  REQUIRE(pipeline.diagnostics().size() == 1);
  CHECK(pipeline.diagnostics()[0].object == "Ingress/default/web");
  CHECK(pipeline.issues().empty());
  CHECK(pipeline.routed() == std::set<std::string>{"Ingress/default/web"});
  CHECK(pipeline.stats().source_errors == 0);
  CHECK(pipeline.stats().source_errors_total == 1);
}

}  // namespace
}  // namespace portico::controlplane

namespace portico::controlplane {
namespace {

constexpr char kTraefikRoute[] = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: web}
spec:
  routes:
  - {match: Host(`a.test`), services: [{name: web, port: 80}]}
)";

TEST_CASE("traefik.io objects count only with --traefik-compat", "[snapshot_pipeline]") {
  std::shared_ptr<const SharedSnapshot> without, with;
  SnapshotPipeline plain([&](auto s) { without = s; });
  plain.Apply({.objects = testing::ObjectsFromYaml(kTraefikRoute)});
  REQUIRE(without != nullptr);
  CHECK(without->routes_size() == 0);

  SnapshotPipeline compat([&](auto s) { with = s; }, {.traefik_compat = true});
  compat.Apply({.objects = testing::ObjectsFromYaml(kTraefikRoute)});
  REQUIRE(with != nullptr);
  REQUIRE(with->routes_size() == 1);
  CHECK(with->routes(0).source() == "IngressRoute/default/web");

  std::vector<SourceObject> objects = testing::ObjectsFromYaml(kTraefikRoute);
  CHECK(FilterCompatObjects({}, &objects) == 1);
  CHECK(objects.size() == 1);
}

}  // namespace
}  // namespace portico::controlplane

namespace portico::controlplane {
namespace {

constexpr char kTwoClasses[] = R"(
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: ours}
spec:
  routes:
  - {match: Host(`a.test`), services: [{name: web, port: 80}]}
---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: theirs}
spec:
  ingressClassName: nginx
  routes:
  - {match: Host(`b.test`), services: [{name: web, port: 80}]}
)";

TEST_CASE("the pipeline tells routed objects from another class's", "[snapshot_pipeline]") {
  SnapshotPipeline pipeline([](auto) {});
  pipeline.Apply({.objects = testing::ObjectsFromYaml(kTwoClasses)});
  CHECK(pipeline.routed() == std::set<std::string>{"IngressRoute/default/ours"});
  CHECK(pipeline.other_class() == std::set<std::string>{"IngressRoute/default/theirs"});
}

constexpr char kL4Objects[] = R"(
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: {name: tcp}
spec:
  routes: [{match: HostSNI(`*`), services: [{name: db, port: 5432}]}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteUDP
metadata: {name: udp}
spec:
  routes: [{services: [{name: dns, port: 53}]}]
---
apiVersion: portico.dev/v1alpha1
kind: IngressRouteTCP
metadata: {name: theirs}
spec:
  ingressClassName: nginx
  routes: [{match: HostSNI(`*`), services: [{name: db, port: 5432}]}]
)";

TEST_CASE("TCP and UDP routes: --traefik-compat, classes and routed objects",
          "[snapshot_pipeline][tcp][udp]") {
  // Their Services are missing: the routes are kept, closing connections,
  // and count as routed (the status reports the missing Service instead).
  std::shared_ptr<const SharedSnapshot> without, with;
  SnapshotPipeline plain([&](auto s) { without = s; });
  plain.Apply({.objects = testing::ObjectsFromYaml(kL4Objects)});
  REQUIRE(without != nullptr);
  CHECK(without->rest().tcp_routes_size() == 0);
  CHECK(without->rest().udp_routes_size() == 0);
  CHECK(plain.routed().empty());
  CHECK(plain.other_class() == std::set<std::string>{"IngressRouteTCP/default/theirs"});

  SnapshotPipeline compat([&](auto s) { with = s; }, {.traefik_compat = true});
  compat.Apply({.objects = testing::ObjectsFromYaml(kL4Objects)});
  REQUIRE(with != nullptr);
  REQUIRE(with->rest().tcp_routes_size() == 1);
  REQUIRE(with->rest().udp_routes_size() == 1);
  CHECK(with->rest().tcp_routes(0).backends_size() == 0);
  CHECK(compat.routed() ==
        std::set<std::string>{"IngressRouteTCP/default/tcp", "IngressRouteUDP/default/udp"});
  CHECK(compat.diagnostics().size() == 2);
}

}  // namespace
}  // namespace portico::controlplane
