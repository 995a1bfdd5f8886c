// PickerFactory: the immutable, shared half of load balancing for one
// service of one config: its endpoints in order of preference (ready, then
// serving+terminating), their weights, the Maglev tables and sticky-cookie
// values, all computed once off the worker loops when the config is built.
// Each worker's EndpointPicker picks from it without locks, keeping its own
// mutable state by the factory's state_key(). A factory may also split
// traffic over other factories by weight (canary) or mirror it; these nest.
// Thread-safe after construction (const); an endpoints factory points into
// its Cluster, which must outlive it (both belong to one RuntimeConfig).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/config/cluster.h"
#include "dataplane/upstream/balancer_spec.h"
#include "dataplane/upstream/edf_schedule.h"
#include "dataplane/upstream/maglev_table.h"

namespace portico::dataplane {

class PickerFactory;

struct WeightedService {
  std::shared_ptr<const PickerFactory> service;
  double weight = 1;  // 0: no traffic; else in (0, 1e6]
};

struct MirrorService {
  std::shared_ptr<const PickerFactory> service;
  int percent = 0;  // 0–100 of the requests
};

struct MirrorBodySpec {
  bool mirror_body = true;
  int64_t max_body_size = -1;  // bytes; -1: no limit
};

// The cluster of an endpoints factory's state_key() (without the passive
// health suffix): what active health checks are filed under.
std::string_view ClusterOfStateKey(std::string_view state_key);

class PickerFactory {
 public:
  enum class Kind : uint8_t { kEndpoints, kWeighted, kMirroring };

  // One candidate: an endpoint (kEndpoints) or a child service (kWeighted).
  struct Slot {
    // Endpoint "10.0.0.1:8080" (the key in the Cluster), or the child's
    // name (in the child factory): both outlive the slot.
    std::string_view identity;
    double weight = 1;
    const Endpoint* endpoint = nullptr;
    const PickerFactory* service = nullptr;
    std::string cookie_value;  // sticky only: 16 hex digits
  };

  // Null with *error set (naming the field) when `spec` is invalid. With
  // `previous` (the same cluster's factory in the config being replaced),
  // unchanged EDF sequences and Maglev tables are shared, not rebuilt.
  static std::shared_ptr<const PickerFactory> ForCluster(const Cluster& cluster,
                                                         const BalancerSpec& spec,
                                                         std::string* error,
                                                         const PickerFactory* previous = nullptr);
  // Traefik's `weighted` TraefikService; `name` is its unique name ("ns/name").
  static std::shared_ptr<const PickerFactory> ForWeighted(std::string name,
                                                          std::vector<WeightedService> services,
                                                          std::optional<StickyCookieSpec> sticky,
                                                          std::string* error);
  // Traefik's `mirroring` TraefikService: `main` serves, mirrors get copies.
  static std::shared_ptr<const PickerFactory> ForMirroring(
      std::string name, std::shared_ptr<const PickerFactory> main,
      std::vector<MirrorService> mirrors, MirrorBodySpec body, std::string* error);

  Kind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  // Key of the per-worker state: the cluster name for endpoints (so health
  // is the cluster's, whatever route or service uses it), followed by
  // "|passive|<window ms>|<attempts>" for a service with its own passive
  // health rules (services with the same rules share it); prefixed for the
  // others. name() is the service's (spec.service_name, else the cluster's).
  const std::string& state_key() const { return state_key_; }
  // The service's own passive health rules; null: the picker's.
  const PassiveHealthPolicy* passive_health() const {
    return passive_health_ ? &*passive_health_ : nullptr;
  }
  // Increases with every factory built: a worker adopts a newer one.
  uint64_t generation() const { return generation_; }
  BalanceAlgorithm algorithm() const { return algorithm_; }
  bool rewrite_host() const { return rewrite_host_; }
  // Endpoints only: how they are reached over TLS; null for plain HTTP.
  const UpstreamTlsContext* tls() const { return tls_.get(); }

  const std::vector<Slot>& slots() const { return slots_; }
  // Tier 0: ready endpoints (or a split's services); tier 1: serving and
  // terminating endpoints, used only when tier 0 has none to offer.
  uint32_t tier_begin(int tier) const { return tier == 0 ? 0 : ready_count_; }
  uint32_t tier_end(int tier) const {
    return tier == 0 ? ready_count_ : static_cast<uint32_t>(slots_.size());
  }
  uint32_t ready_count() const { return ready_count_; }
  // Endpoints that count for the ejection share cap (Cluster::active()).
  size_t active_size() const {
    return ready_count_ != 0 ? ready_count_ : slots_.size() - ready_count_;
  }

  // Per tier, in tier-local indices: the EDF sequence (wrr endpoints and
  // splits) or the Maglev table (kMaglev); null otherwise or for an empty tier.
  const EdfSchedule* schedule(int tier) const { return schedule_[tier].get(); }
  const MaglevTable* maglev(int tier) const { return maglev_[tier].get(); }
  const HashKeySpec& hash_key() const { return hash_key_; }
  const std::string& hash_header() const { return hash_header_; }  // lower case

  bool sticky() const { return sticky_; }
  const std::string& cookie_name() const { return cookie_name_; }
  const std::string& cookie_attributes() const { return cookie_attributes_; }
  // The slot a sticky cookie value names, or -1.
  int64_t SlotForCookie(std::string_view value) const;

  // kMirroring only.
  const PickerFactory* main() const { return main_.get(); }
  const std::vector<MirrorService>& mirrors() const { return mirrors_; }
  const MirrorBodySpec& mirror_body() const { return mirror_body_; }

  // How many factories deep this one nests (1 for endpoints).
  int depth() const { return depth_; }
  static constexpr int kMaxDepth = 8;

 private:
  PickerFactory(Kind kind, std::string name);
  void SetSticky(const std::optional<StickyCookieSpec>& sticky);
  void BuildTables(const PickerFactory* previous);

  Kind kind_;
  std::string name_;
  std::string state_key_;
  uint64_t generation_;
  BalanceAlgorithm algorithm_ = BalanceAlgorithm::kWeightedRoundRobin;
  bool rewrite_host_ = false;
  std::optional<PassiveHealthPolicy> passive_health_;
  std::shared_ptr<const UpstreamTlsContext> tls_;
  std::vector<Slot> slots_;
  uint32_t ready_count_ = 0;
  std::shared_ptr<const EdfSchedule> schedule_[2];
  std::shared_ptr<const MaglevTable> maglev_[2];
  HashKeySpec hash_key_;
  std::string hash_header_;
  bool sticky_ = false;
  std::string cookie_name_;
  std::string cookie_attributes_;
  absl::flat_hash_map<uint64_t, uint32_t> slot_by_cookie_;
  std::vector<std::shared_ptr<const PickerFactory>> children_;  // keeps slots' services alive
  std::shared_ptr<const PickerFactory> main_;
  std::vector<MirrorService> mirrors_;
  MirrorBodySpec mirror_body_;
  int depth_ = 1;
};

}  // namespace portico::dataplane
