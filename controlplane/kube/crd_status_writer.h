// CrdStatusWriter: writes the Ready condition of Portico's custom resources
// (crd_status.h decides what and where) while this replica leads. Each load
// is compared with the status the watch delivered; only objects whose status
// differs are written, with a JSON merge patch to their /status subresource,
// at most `writes_per_second` (a token bucket of `burst`). 409, 429, 5xx and
// transport errors are retried after a jittered exponential backoff; 404
// (the object is gone) is dropped. A write that succeeded is not repeated for
// `resend_after_ms` while the watch has not yet shown it.
// Threading: loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "controlplane/kube/crd_status.h"
#include "controlplane/kube/kube_api_client.h"

namespace portico::controlplane {

struct CrdStatusWriterOptions {
  std::vector<ResourceKind> kinds;  // the CRD kinds watched
  double writes_per_second = 20;
  double burst = 20;
  size_t max_in_flight = 4;
  uint64_t retry_initial_ms = 500;  // doubled per failure of one object, with jitter
  uint64_t retry_max_ms = 30'000;
  uint64_t resend_after_ms = 10'000;
  std::function<std::string()> now = Rfc3339Now;
  uint64_t seed = std::random_device{}();
};

struct CrdStatusStats {
  uint64_t writes = 0;    // patches answered 200
  uint64_t failures = 0;  // patches that failed (each retried later)
  uint64_t gone = 0;      // 404: the object was deleted meanwhile
};

class CrdStatusWriter {
 public:
  CrdStatusWriter(uv_loop_t* loop, KubeApiClient* client, CrdStatusWriterOptions options);
  ~CrdStatusWriter();
  CrdStatusWriter(const CrdStatusWriter&) = delete;
  CrdStatusWriter& operator=(const CrdStatusWriter&) = delete;

  // One compile: its objects and what it found (see CrdStatusInput).
  void Observe(const std::vector<SourceObject>& objects, const CompileFindings& findings);
  // true once this replica leads; false drops every queued write.
  void SetEnabled(bool enabled);
  // Cancels every request; no handler runs afterwards. The timer is freed
  // by the loop.
  void Close();

  const CrdStatusStats& stats() const { return stats_; }
  // Writes wanted but not done yet (queued, in flight or waiting to retry).
  size_t pending() const { return queue_.size() + in_flight_.size() + retry_at_.size(); }

 private:
  struct Sent {
    std::string signature;
    uint64_t at_ms = 0;
  };

  void Enqueue(const std::string& path);
  void Pump();
  void Refill(uint64_t now_ms);
  void Write(const CrdStatusUpdate& update);
  void OnWritten(const CrdStatusUpdate& written, const ApiResult& result);
  void ScheduleWake(uint64_t now_ms);
  void RetryLater(const std::string& path, uint64_t now_ms);

  uv_loop_t* loop_;
  KubeApiClient* client_;
  const CrdStatusWriterOptions options_;
  std::mt19937_64 random_;
  bool enabled_ = false;
  bool closed_ = false;
  std::map<std::string, CrdStatusUpdate> wanted_;  // path → update, from the last Observe
  std::deque<std::string> queue_;                  // paths, each at most once
  std::set<std::string> queued_;
  std::map<std::string, uint64_t> in_flight_;  // path → request id
  std::set<std::string> again_;                // changed while in flight
  std::map<std::string, uint64_t> retry_at_;   // path → uv_now when it may be tried again
  std::map<std::string, int> failures_;        // path → failures in a row
  std::map<std::string, Sent> sent_;           // path → the last write that succeeded
  double tokens_ = 0;
  uint64_t refilled_ms_ = 0;
  uv_timer_t* timer_ = nullptr;  // owned; freed in its close callback
  CrdStatusStats stats_;
};

}  // namespace portico::controlplane
