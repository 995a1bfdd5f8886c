// IngressStatusWriter: publishes where Portico serves, as Ingress
// status.loadBalancer.ingress, on the Ingresses that compiled into routes,
// and clears it from Ingresses that stopped being ours (only when what they
// carry is exactly our address, so another controller's status is left
// alone). Writes happen only while enabled (this replica leads). Each write
// is GET → compare → PUT .../status with the read resourceVersion; a 409
// reads again (up to max_attempts); equal content is a counted no-op; a
// failed write is queued again after retry_delay_ms. With a publish Service
// the addresses are that Service's (publish_service.h), read from every
// load: when they change every Ingress is compared again; while the Service
// is absent or offers no address nothing is written.
// Threading: loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "controlplane/kube/kube_api_client.h"
#include "controlplane/source/source_object.h"

namespace portico::controlplane {

struct LoadBalancerAddress {
  std::string ip;        // set when the value parses as an IPv4/IPv6 address
  std::string hostname;  // otherwise
  bool operator==(const LoadBalancerAddress&) const = default;
};

// "10.0.0.1,lb.example.com": IP literals become `ip`, the rest `hostname`.
// Returns "" or the error naming the bad entry.
std::string ParsePublishAddresses(std::string_view text, std::vector<LoadBalancerAddress>* out);

struct IngressStatusWriterOptions {
  std::vector<LoadBalancerAddress> addresses;  // --publish-address
  // --publish-service: "namespace/name" of the Service whose addresses are
  // published instead of `addresses` ("": none).
  std::string publish_service;
  size_t max_in_flight = 4;         // concurrent GET/PUT chains
  int max_attempts = 5;             // per write, counting 409 re-reads
  uint64_t retry_delay_ms = 2'000;  // a failed write is queued again after this
};

struct IngressStatusStats {
  uint64_t writes = 0;     // successful PUTs
  uint64_t noops = 0;      // GETs that found the status already right
  uint64_t conflicts = 0;  // 409s
  uint64_t errors = 0;     // other failures and given-up writes
};

class IngressStatusWriter {
 public:
  IngressStatusWriter(uv_loop_t* loop, KubeApiClient* client, IngressStatusWriterOptions options);
  ~IngressStatusWriter();
  IngressStatusWriter(const IngressStatusWriter&) = delete;
  IngressStatusWriter& operator=(const IngressStatusWriter&) = delete;

  // Every object of the last load, and the Ingresses ("namespace/name")
  // that compiled into routes. Queues a write for each Ingress whose stored
  // status differs from what it should carry.
  void Observe(const std::vector<SourceObject>& objects, const std::set<std::string>& ours);
  // true once this replica leads: every differing Ingress is written (the
  // previous leader may have left some stale). false drops queued writes.
  void SetEnabled(bool enabled);
  // Cancels every request; no handler runs afterwards. The timer is freed by
  // the loop.
  void Close();

  const IngressStatusStats& stats() const { return stats_; }
  // What is being published; empty while the publish Service is unknown.
  const std::vector<LoadBalancerAddress>& addresses() const { return addresses_; }
  size_t pending() const { return queue_.size() + in_flight_.size(); }

 private:
  struct Wanted {
    bool ours = false;
    std::vector<LoadBalancerAddress> current;  // as stored in the last load
  };

  void Pump();
  void Enqueue(const std::string& key);
  void RetryLater(const std::string& key);
  void Fetch(const std::string& key, int attempt);
  void OnFetched(const std::string& key, int attempt, int status, const std::string& body);
  std::string Path(const std::string& key) const;
  // With a publish Service: takes its addresses from the load.
  void FollowPublishService(const std::vector<SourceObject>& objects);
  // What `key` should carry given it currently carries `current`; false when
  // it is not ours and carries someone else's address (leave it).
  bool Desired(bool ours, const std::vector<LoadBalancerAddress>& current,
               std::vector<LoadBalancerAddress>* desired) const;

  uv_loop_t* loop_;
  KubeApiClient* client_;
  const IngressStatusWriterOptions options_;
  std::vector<LoadBalancerAddress> addresses_;  // what our Ingresses carry
  bool enabled_ = false;
  bool closed_ = false;
  std::map<std::string, Wanted> ingresses_;  // key "namespace/name"
  std::deque<std::string> queue_;            // keys to write, each at most once
  std::set<std::string> queued_;
  std::map<std::string, uint64_t> in_flight_;  // key → request id
  std::map<std::string, std::string> bodies_;  // key → response body so far
  std::set<std::string> again_;                // changed while in flight: redo after
  std::set<std::string> retry_;                // failed: queued again when the timer fires
  uv_timer_t* timer_ = nullptr;                // owned; freed in its close callback
  IngressStatusStats stats_;
};

}  // namespace portico::controlplane
