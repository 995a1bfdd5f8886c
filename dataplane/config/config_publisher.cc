#include "dataplane/config/config_publisher.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/config/runtime_config.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {

ConfigError ConfigPublisher::Apply(v1::Snapshot snapshot,
                                   const absl::flat_hash_set<std::string>* changed_clusters) {
  return Apply(
      std::make_shared<const SharedSnapshot>(SharedSnapshot::FromMessage(std::move(snapshot))),
      changed_clusters);
}

ConfigError ConfigPublisher::Apply(std::shared_ptr<const SharedSnapshot> snapshot,
                                   const absl::flat_hash_set<std::string>* changed_clusters) {
  auto started = std::chrono::steady_clock::now();
  ConfigError error;
  std::shared_ptr<const RuntimeConfig> previous;
  {
    std::lock_guard lock(mu_);
    previous = config_;
  }
  bool fast = changed_clusters != nullptr && previous != nullptr;
  std::shared_ptr<const RuntimeConfig> config =
      fast ? RuntimeConfig::WithEndpoints(*previous, *snapshot, *changed_clusters, &error)
           : RuntimeConfig::Build(*snapshot, &error, previous.get());
  if (config == nullptr) {
    rejections_.fetch_add(1);
    return error;
  }
  for (Worker* worker : workers_) worker->PostConfig(config);
  std::string version = snapshot->version();
  std::shared_ptr<const SharedSnapshot> applied = std::move(snapshot);
  {
    std::lock_guard lock(mu_);
    std::swap(snapshot_, applied);
    config_ = config;
  }
  // What was replaced: at 10 000 routes freeing the config takes
  // milliseconds (the snapshot shares most of its parts with the new one).
  release_.Release(std::move(applied));
  release_.Release(std::move(previous));
  for (const std::string& warning : config->services().warnings()) LogWarn("proxy", warning);
  if (on_applied_) on_applied_(*config);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  last_apply_duration_.store(took.count());
  last_apply_unix_.store(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  applies_.fetch_add(1);
  if (fast) endpoint_only_applies_.fetch_add(1);
  LogInfo("proxy", absl::StrCat("applied snapshot ", version.substr(0, 12), " routes=",
                                config->route_count(), " clusters=", config->cluster_count(),
                                fast ? " (endpoints only)" : ""));
  return {};
}

std::string ConfigPublisher::version() const {
  std::lock_guard lock(mu_);
  return snapshot_ ? snapshot_->version() : "";
}

std::shared_ptr<const SharedSnapshot> ConfigPublisher::snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

}  // namespace portico::dataplane
