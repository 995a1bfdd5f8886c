// compile_bench: the controller's compile at scale (issue 6): N IngressRoutes
// over N Services with E endpoints (EndpointSlices of 100 endpoints), from
// decoded objects to a versioned snapshot: BuildClusterState (decode),
// Compile, TranslateSnapshot (with its digest). Reports each step's wall
// and thread CPU time and the process's peak RSS. The objects are built as
// JSON in memory: YAML parsing belongs to the file source, not the compile.
// Usage: compile_bench [--routes=10000] [--endpoints=50000] [--rounds=3]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench_flags.h"
#include "controlplane/compiler/compiler.h"
#include "controlplane/model/cluster_state.h"
#include "controlplane/translate/snapshot_translator.h"

namespace portico::controlplane {
namespace {

SourceObject Object(const std::string& origin, const std::string& json) {
  SourceObject object{.origin = origin, .json = rapidjson::Document()};
  object.json.Parse(json.c_str(), json.size());
  return object;
}

// Replaces each "$K" in `text` by values[K] (K a single digit).
std::string Fill(std::string text, const std::vector<std::string>& values) {
  for (size_t at = text.find('$'); at != std::string::npos; at = text.find('$', at)) {
    const std::string& value = values[static_cast<size_t>(text[at + 1] - '0')];
    text.replace(at, 2, value);
    at += value.size();
  }
  return text;
}

std::vector<SourceObject> Objects(int routes, int endpoints) {
  static const char kService[] =
      R"j({"apiVersion":"v1","kind":"Service","metadata":{"name":"$0","namespace":"$1"},)j"
      R"j("spec":{"ports":[{"name":"http","port":80}]}})j";
  static const char kSlice[] =
      R"j({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",)j"
      R"j("metadata":{"name":"$0-1","namespace":"$1","labels":{"kubernetes.io/service-name":"$0"}},)j"
      R"j("addressType":"IPv4","ports":[{"name":"http","port":8080}],"endpoints":[$2]})j";
  static const char kRoute[] =
      R"j({"apiVersion":"portico.dev/v1alpha1","kind":"IngressRoute",)j"
      R"j("metadata":{"name":"r$2","namespace":"$1"},"spec":{"routes":[{)j"
      R"j("match":"Host(`app$2.example.com`) && PathPrefix(`/api`)",)j"
      R"j("services":[{"name":"$0","port":80}]}]}})j";
  std::vector<SourceObject> objects;
  int per_service = std::max(1, endpoints / std::max(1, routes));
  for (int i = 0; i < routes; ++i) {
    std::string ns = "team" + std::to_string(i % 100);
    std::string svc = "svc" + std::to_string(i);
    std::string eps;
    for (int e = 0; e < per_service; ++e) {
      if (!eps.empty()) eps += ",";
      eps += "{\"addresses\":[\"10." + std::to_string(i / 250 % 250) + "." +
             std::to_string(i % 250) + "." + std::to_string(e + 1) +
             "\"],\"conditions\":{\"ready\":true}}";
    }
    std::string index = std::to_string(i);
    objects.push_back(Object("svc#" + index, Fill(kService, {svc, ns})));
    objects.push_back(Object("eps#" + index, Fill(kSlice, {svc, ns, eps})));
    objects.push_back(Object("ir#" + index, Fill(kRoute, {svc, ns, index})));
  }
  return objects;
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

int Main(int argc, char** argv) {
  const int routes = bench::IntFlag(argc, argv, "--routes", 10'000);
  const int endpoints = bench::IntFlag(argc, argv, "--endpoints", 50'000);
  const int rounds = bench::IntFlag(argc, argv, "--rounds", 3);
  std::vector<SourceObject> objects = Objects(routes, endpoints);
  std::printf("objects=%zu (IngressRoutes=%d Services=%d endpoints=%d); RSS after building "
              "the input %.0f MB\n",
              objects.size(), routes, routes, endpoints, PeakRssMb());
  for (int round = 0; round < rounds; ++round) {
    using Clock = std::chrono::steady_clock;
    auto t0 = Clock::now();
    double c0 = bench::ThreadCpuMs();
    ClusterStateBuild build = BuildClusterState(objects);
    double c1 = bench::ThreadCpuMs();
    auto t1 = Clock::now();
    CompileResult result = Compile(build.state);
    double c2 = bench::ThreadCpuMs();
    auto t2 = Clock::now();
    v1::Snapshot snapshot = TranslateSnapshot(result);
    double c3 = bench::ThreadCpuMs();
    auto t3 = Clock::now();
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::printf("round %d: decode %.0f ms (CPU %.0f), compile %.0f ms (CPU %.0f), translate+digest "
                "%.0f ms (CPU %.0f); total %.0f ms; routes=%zu clusters=%zu diagnostics=%zu "
                "issues=%zu; peak RSS %.0f MB\n",
                round, ms(t1 - t0), c1 - c0, ms(t2 - t1), c2 - c1, ms(t3 - t2), c3 - c2,
                ms(t3 - t0), result.routes.size(), result.clusters.size(),
                result.diagnostics.size(), build.issues.size(), PeakRssMb());
    if (result.routes.size() != static_cast<size_t>(routes) || !result.diagnostics.empty() ||
        !build.issues.empty()) {
      std::fprintf(stderr, "unexpected result: the generated objects should all compile\n");
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace portico::controlplane

int main(int argc, char** argv) { return portico::controlplane::Main(argc, argv); }
