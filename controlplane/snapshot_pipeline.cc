#include "controlplane/snapshot_pipeline.h"

#include <algorithm>
#include <string_view>

#include "common/log.h"
#include "controlplane/compiler/compiler.h"
#include "controlplane/model/cluster_state.h"
#include "controlplane/translate/snapshot_translator.h"

namespace portico::controlplane {
namespace {

void LogIssues(const std::vector<SourceIssue>& issues) {
  for (const SourceIssue& issue : issues)
    LogWarn("controller", issue.origin + ": " + issue.message);
}

bool IsTraefikObject(const SourceObject& object) {
  if (!object.json.IsObject()) return false;
  auto it = object.json.FindMember("apiVersion");
  return it != object.json.MemberEnd() && it->value.IsString() &&
         std::string_view(it->value.GetString()).starts_with("traefik.io/");
}

}  // namespace

size_t FilterCompatObjects(const PipelineOptions& options, std::vector<SourceObject>* objects) {
  if (options.traefik_compat) return 0;
  size_t before = objects->size();
  std::erase_if(*objects, IsTraefikObject);
  return before - objects->size();
}

namespace {

template <typename Map>
void AddOtherClass(const Map& objects, const std::string& kind, const std::string& our_class,
                   std::set<std::string>* out) {
  for (const auto& [key, object] : objects) {
    if (!IngressRouteClassMismatch(object.spec.ingress_class_name, our_class).empty()) {
      out->insert(kind + "/" + key.str());
    }
  }
}

}  // namespace

void SnapshotPipeline::NoteOwnership(const ClusterState& state, const CompileResult& result) {
  routed_.clear();
  for (const Route& route : result.routes) routed_.insert(route.source);
  other_class_.clear();
  const std::string& ours = options_.compile.ingress_class;
  AddOtherClass(state.crds.ingress_routes, "IngressRoute", ours, &other_class_);
  AddOtherClass(state.crds.ingress_routes_tcp, "IngressRouteTCP", ours, &other_class_);
  AddOtherClass(state.crds.ingress_routes_udp, "IngressRouteUDP", ours, &other_class_);
}

void SnapshotPipeline::Apply(const SourceLoad& load) {
  ClusterStateBuild build;
  if (options_.traefik_compat ||
      std::none_of(load.objects.begin(), load.objects.end(), IsTraefikObject)) {
    build = BuildClusterState(load.objects);
  } else {
    // Only the copy pays: Traefik objects present without --traefik-compat.
    std::vector<SourceObject> objects;
    for (const SourceObject& object : load.objects) {
      if (IsTraefikObject(object)) continue;
      SourceObject copy{.origin = object.origin, .json = rapidjson::Document()};
      copy.json.CopyFrom(object.json, copy.json.GetAllocator());
      objects.push_back(std::move(copy));
    }
    LogDebug("controller", std::to_string(load.objects.size() - objects.size()) +
                               " traefik.io objects ignored (no --traefik-compat)");
    build = BuildClusterState(objects);
  }
  LogIssues(load.issues);
  LogIssues(build.issues);
  CompileResult result = Compile(build.state, options_.compile);
  for (const Diagnostic& d : result.diagnostics) {
    LogWarn("controller", d.object + ": " + d.reason + ": " + d.message);
  }
  stats_.compiles_total++;
  stats_.source_errors = load.issues.size() + build.issues.size();
  stats_.source_errors_total += stats_.source_errors;
  stats_.diagnostics = result.diagnostics.size();
  diagnostics_ = result.diagnostics;
  issues_ = load.issues;
  issues_.insert(issues_.end(), build.issues.begin(), build.issues.end());
  NoteOwnership(build.state, result);
  auto snapshot = std::make_shared<const v1::Snapshot>(TranslateSnapshot(result));
  if (current_ && current_->version() == snapshot->version()) {
    LogDebug("controller", "snapshot " + snapshot->version().substr(0, 12) + " unchanged");
    return;
  }
  current_ = snapshot;
  LogInfo("controller", "snapshot " + snapshot->version().substr(0, 12) +
                            " routes=" + std::to_string(snapshot->routes_size()) +
                            " clusters=" + std::to_string(snapshot->clusters_size()));
  publish_(std::move(snapshot));
}

}  // namespace portico::controlplane
