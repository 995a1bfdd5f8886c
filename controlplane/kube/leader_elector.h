// LeaderElector: leader election over a coordination.k8s.io/v1 Lease, so
// that of several controller replicas only one writes status. Every replica
// keeps serving snapshots; leadership only gates writes.
//
// Each retry period the elector reads the Lease. It takes it (PUT with the
// read resourceVersion, or POST when absent) when the Lease is absent, has
// no holder, is expired (renewTime + leaseDurationSeconds < now, by this
// replica's wall clock) or is already ours. A 409 means someone else wrote
// first: the Lease is read again at once. A leader that has not renewed
// within the renew deadline stops leading even if the API server is
// unreachable, before the lease can expire for the others. Release() clears
// holderIdentity so another replica takes over at its next attempt.
// Threading: loop thread only; callbacks run on the loop, never from inside
// Start(), Release() or Close().
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "controlplane/kube/kube_api_client.h"

namespace portico::controlplane {

struct LeaderElectorOptions {
  std::string lease_namespace = "portico-system";
  std::string lease_name = "portico-controller";
  std::string identity;  // this replica: "hostname-pid" in portico-controller
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  // The wall clock the lease times are written and judged with.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
};

struct LeaderElectorStats {
  uint64_t attempts = 0;     // reads of the Lease
  uint64_t writes = 0;       // successful acquires and renewals
  uint64_t conflicts = 0;    // 409 answers
  uint64_t errors = 0;       // other failures
  uint64_t transitions = 0;  // times this replica started leading
};

// "2026-12-04T16:07:00.123456Z" (a Kubernetes MicroTime), and back. Parse
// accepts any fraction and returns false on anything else.
std::string FormatMicroTime(std::chrono::system_clock::time_point t);
bool ParseMicroTime(std::string_view text, std::chrono::system_clock::time_point* t);

class LeaderElector {
 public:
  LeaderElector(uv_loop_t* loop, KubeApiClient* client, LeaderElectorOptions options,
                LeaderCallbacks callbacks);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Stops trying; when leading, writes the Lease free (one attempt) and calls
  // on_stopped_leading. `done` runs once that write ended (or at once, on the
  // next loop turn, when not leading), or after one retry period at most.
  void Release(std::function<void()> done);
  // Stops without releasing; no callback runs afterwards. The timer is freed
  // by the loop.
  void Close();

  bool leading() const { return leading_; }
  const LeaderElectorStats& stats() const { return stats_; }
  std::string lease_path() const;

 private:
  struct Lease {
    bool exists = false;
    std::string resource_version;
    std::string holder;
    int64_t duration_s = 0;
    std::chrono::system_clock::time_point acquire_time{}, renew_time{};
    int64_t transitions = 0;
  };

  void Schedule(std::chrono::milliseconds delay);
  void Tick();
  void Read();
  void OnRead(int status, const std::string& body);
  void Write(const Lease& seen, bool release);
  void OnWritten(int status, bool release);
  void SetLeading(bool leading);
  void CheckDeadline();
  std::string LeaseBody(const Lease& seen, bool release) const;

  uv_loop_t* loop_;
  KubeApiClient* client_;
  const LeaderElectorOptions options_;
  LeaderCallbacks callbacks_;
  uv_timer_t* timer_ = nullptr;  // owned; freed in its close callback
  uint64_t in_flight_ = 0;       // the request being waited for, 0 when none
  std::chrono::steady_clock::time_point in_flight_since_{};
  std::string body_;
  bool leading_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_renew_{};
  std::function<void()> release_done_;
  Lease held_;  // the Lease as last written by us (resourceVersion for renew/release)
  LeaderElectorStats stats_;
};

}  // namespace portico::controlplane
