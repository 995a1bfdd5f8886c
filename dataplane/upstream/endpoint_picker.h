// EndpointPicker: one per worker; picks an endpoint for each request from a
// shared PickerFactory, without locks, by the factory's algorithm (smooth
// weighted round robin by earliest deadline first, p2c, least requests or
// Maglev), honouring sticky cookies, weighted splits and mirrors.
//
// Its state is keyed by service (the factory's state_key(), the cluster
// name for endpoints) and endpoint identity, not by factory: requests in
// flight, passive health, counters and the position in the EDF sequence
// carry over when a newer config's factory of the same service arrives
// (the picker adopts it on first use), so a snapshot swap resets neither
// the rotation nor an ejection. Picks with an older factory (a request that
// began before the swap and retries) are served from that factory with the
// same health (least requests then falls back to p2c).
//
// Every Pick that returns an endpoint counts a request in flight there;
// the caller ends it with End exactly once, reporting the outcome (passive
// health). Not thread-safe: worker-owned, loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/upstream/hash_key.h"
#include "dataplane/upstream/picker_factory.h"
#include "dataplane/upstream/stable_hash.h"
#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

struct EndpointState;     // per worker, service and endpoint identity
struct ServicePickState;  // per worker and service

// The verdicts of active health checks, as the picker reads them: an
// endpoint that is down is passed over like an ejected one. Implemented
// over the prober's HealthStatus; immutable and shared by every worker.
class ActiveHealthView {
 public:
  virtual ~ActiveHealthView() = default;
  // `cluster` is a cluster name (PickerFactory::state_key of endpoints).
  virtual bool Down(std::string_view cluster, std::string_view endpoint) const = 0;
};

struct MirrorPlan {
  const PickerFactory* service = nullptr;  // pick from it for the copy
  MirrorBodySpec body;                     // see DecideMirrorBody
};

struct Picked {
  const Endpoint* endpoint = nullptr;    // null: no endpoint at all → answer 503
  EndpointState* state = nullptr;        // for End
  bool last_resort = false;              // every endpoint was ejected; this one is tried anyway
  bool rewrite_host = false;             // the endpoint's service sends Host as the endpoint address
  const UpstreamTlsContext* tls = nullptr;  // set: reach the endpoint over TLS (the config owns it)
  std::vector<std::string> set_cookies;  // Set-Cookie values to add to the response
  std::vector<MirrorPlan> mirrors;       // services that get a copy of the request
};

enum class PickOutcome : uint8_t {
  kUnjudged,  // no verdict (the client went away, a 4xx, …)
  kSuccess,
  kFailure,  // connect failure, reset or timeout before the response, or a 5xx
};

// What End reports, for sharing an ejection with sibling workers. The views
// stay valid until the next Pick or SweepIdle.
struct EndResult {
  uint64_t ejected_until = 0;  // loop time; 0: this request ejected nothing
  std::string_view cluster;  // the state key (PickerFactory::state_key)
  std::string_view endpoint;
  size_t cluster_size = 0;
  const PassiveHealthPolicy* passive = nullptr;  // the service's own rules, if any
};

struct EndpointStats {
  uint32_t in_flight = 0;
  uint64_t requests = 0;
  uint64_t failures = 0;
  bool ejected = false;
};

class EndpointPicker {
 public:
  // `seed` drives p2c's random choices (use the worker index).
  explicit EndpointPicker(PassiveHealthPolicy policy = {}, uint64_t seed = 1);
  ~EndpointPicker();
  EndpointPicker(const EndpointPicker&) = delete;
  EndpointPicker& operator=(const EndpointPicker&) = delete;

  Picked Pick(const PickerFactory& factory, const PickRequest& request);
  // Ends the request a Pick began, with its outcome.
  EndResult End(const Picked& picked, PickOutcome outcome, uint64_t now_ms);

  // An ejection another worker decided (see RoundRobinPicker::ApplyEjection).
  // `cluster` is EndResult::cluster, `passive` EndResult::passive.
  void ApplyEjection(std::string_view cluster, std::string_view endpoint, size_t cluster_size,
                     uint64_t until_ms, uint64_t now_ms,
                     const PassiveHealthPolicy* passive = nullptr);
  // The active checks' verdicts from now on (null: every endpoint up).
  // Down endpoints are passed over until a newer view says otherwise;
  // when every endpoint is out, one is still tried (as with ejections).
  void SetActiveHealth(std::shared_ptr<const ActiveHealthView> view);

  std::optional<EndpointStats> Stats(std::string_view cluster, std::string_view endpoint,
                                     uint64_t now_ms);
  uint64_t ejections_total() const { return ejections_total_; }

  // Forgets services no Pick used for `idle_ms` that have no request in
  // flight (removed from the config); returns how many. Call from a timer.
  size_t SweepIdle(uint64_t now_ms, uint64_t idle_ms);
  // Endpoints whose state this worker keeps for `service` (tests).
  size_t tracked_endpoints(std::string_view service) const;

 private:
  ServicePickState& StateFor(const PickerFactory& factory, uint64_t now_ms);
  void Adopt(ServicePickState& s, const PickerFactory& factory, uint64_t now_ms);
  EndpointState* At(ServicePickState& s, const PickerFactory& factory, uint32_t slot);
  bool Available(ServicePickState& s, EndpointState* e, uint64_t now_ms);
  void Bench(ServicePickState& s, EndpointState* e);
  void ReturnBenched(ServicePickState& s, uint64_t now_ms);
  void UpdateLoad(ServicePickState& s, EndpointState* e);
  void RefreshHealth(ServicePickState& s, uint64_t now_ms);
  EndpointState& Track(ServicePickState& s, std::string_view identity);
  const PassiveHealthPolicy& PolicyOf(const ServicePickState& s) const;
  void AdoptPassive(ServicePickState& s, const PassiveHealthPolicy& passive) const;

  uint32_t PickSlot(ServicePickState& s, const PickerFactory& factory, const PickRequest& request,
                    bool* last_resort);
  uint32_t PickInTier(ServicePickState& s, const PickerFactory& factory, int tier, uint64_t hash,
                      uint64_t now_ms);
  uint32_t HeapPick(ServicePickState& s, int tier, uint64_t now_ms);
  uint32_t SchedulePick(ServicePickState& s, const PickerFactory& factory, int tier,
                        uint64_t now_ms);
  uint32_t TwoChoices(ServicePickState& s, const PickerFactory& factory, int tier, uint64_t now_ms);
  uint32_t HashPick(ServicePickState& s, const PickerFactory& factory, int tier, uint64_t hash,
                    uint64_t now_ms);
  uint32_t StickySlot(ServicePickState& s, const PickerFactory& factory,
                      const PickRequest& request);

  Picked PickEndpoints(const PickerFactory& factory, const PickRequest& request);
  Picked PickWeighted(const PickerFactory& factory, const PickRequest& request);
  Picked PickMirroring(const PickerFactory& factory, const PickRequest& request);
  void Begin(ServicePickState& s, EndpointState* e);
  void Release(const Picked& picked);  // undoes a Pick that is not used

  // The states of recently used factories, so that a pick of a hot service
  // skips hashing its name. `generation` tells a factory from a newer one
  // that reuses its memory.
  struct RecentFactory {
    const PickerFactory* factory = nullptr;
    uint64_t generation = 0;
    ServicePickState* state = nullptr;
  };
  std::array<RecentFactory, 64> recent_{};

  PassiveHealthPolicy policy_;
  std::shared_ptr<const ActiveHealthView> health_;
  uint64_t health_epoch_ = 1;  // bumped by SetActiveHealth; services catch up lazily
  SplitMix64 random_;
  uint64_t ejections_total_ = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<ServicePickState>> services_;
};

}  // namespace portico::dataplane
