#include "controlplane/snapshot_pipeline.h"

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

}  // namespace

void SnapshotPipeline::Apply(const SourceLoad& load) {
  ClusterStateBuild build = BuildClusterState(load.objects);
  LogIssues(load.issues);
  LogIssues(build.issues);
  CompileResult result = Compile(build.state);
  for (const Diagnostic& d : result.diagnostics) {
    LogWarn("controller", d.object + ": " + d.reason + ": " + d.message);
  }
  stats_.compiles_total++;
  stats_.source_errors = load.issues.size() + build.issues.size();
  stats_.source_errors_total += stats_.source_errors;
  stats_.diagnostics = result.diagnostics.size();
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
