// The controller's admin endpoints: /ping, /ready, /metrics (Prometheus
// text), /snapshot (the current snapshot as JSON, secrets redacted) and
// /proxies (every connected proxy: acked and pending versions, last NACK,
// lag, labels). The
// handler runs on the main loop, the same thread as the SnapshotPipeline.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/admin_server.h"
#include "controlplane/server/snapshot_server.h"
#include "controlplane/snapshot_pipeline.h"
#include "portico/v1/snapshot.pb.h"

namespace portico::controlplane {

// Counters of the CRD status writer, read when /metrics is asked for.
struct StatusWriterCounters {
  uint64_t writes = 0;
  uint64_t failures = 0;
};

// One collection of the Kubernetes source (a reflector), for /metrics.
struct ReflectorCounters {
  std::string group;               // "" for the core group
  std::string kind;                // "Ingress"
  std::string namespace_;          // "" for every namespace
  uint64_t relists = 0;            // lists after the first one
  uint64_t watch_restarts = 0;     // watch requests after the first one
  uint64_t events = 0;             // watch events applied
  uint64_t last_sync_unix_ms = 0;  // 0: never synced
};

// The Kubernetes source: leadership, Ingress status writes and every
// reflector, read when /metrics is asked for.
struct KubeCounters {
  bool leader = false;
  uint64_t lease_transitions = 0;  // times this replica started leading
  uint64_t ingress_status_writes = 0;
  uint64_t ingress_status_write_failures = 0;
  std::vector<ReflectorCounters> reflectors;
};

class ControllerAdmin {
 public:
  // Both must outlive this object; `server` may be null (tests).
  ControllerAdmin(const SnapshotPipeline* pipeline, const SnapshotServer* server)
      : pipeline_(pipeline), server_(server) {}

  AdminResponse Handle(std::string_view method, std::string_view path) const;
  // Where the status counters come from (none: reported as 0).
  void SetStatusCounters(std::function<StatusWriterCounters()> counters) {
    status_counters_ = std::move(counters);
  }
  // Where the Kubernetes source's counters come from (none, as with
  // --source=file: those metrics are left out).
  void SetKubeCounters(std::function<KubeCounters()> counters) {
    kube_counters_ = std::move(counters);
  }

 private:
  std::string Metrics() const;
  AdminResponse SnapshotJson() const;
  AdminResponse ProxiesJson() const;

  const SnapshotPipeline* pipeline_;
  const SnapshotServer* server_;
  std::function<StatusWriterCounters()> status_counters_;
  std::function<KubeCounters()> kube_counters_;
};

// Removes what must never leave the controller through /snapshot: TLS
// private keys become "<redacted>". Every dump of a snapshot goes through it.
v1::Snapshot RedactSecrets(const v1::Snapshot& snapshot);

}  // namespace portico::controlplane
