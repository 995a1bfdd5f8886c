#include "dataplane/upstream/endpoint_picker.h"

#include <algorithm>
#include <cstring>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "dataplane/upstream/indexed_heap.h"
#include "dataplane/upstream/mirror_policy.h"
#include "dataplane/upstream/passive_health.h"

namespace portico::dataplane {
namespace {

constexpr uint32_t kNoSlot = UINT32_MAX;
constexpr uint64_t kNever = UINT64_MAX;
// Alternative Maglev entries tried for a key whose endpoint is ejected.
constexpr uint32_t kMaglevProbes = 8;
// Random pairs p2c draws before it scans for any endpoint not ejected.
constexpr int kTwoChoiceRounds = 4;

// Debian's Abseil has its own string_view, which heterogeneous lookup needs.
absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

struct EndpointState {
  std::string identity;
  ServicePickState* service = nullptr;
  EndpointHealth health;
  uint32_t in_flight = 0;
  uint64_t requests = 0;
  uint64_t failures = 0;
  float inverse_weight = 1;  // in the newest factory
  // Least requests: the order of the last pick, which breaks ties between
  // equal loads (the endpoint picked longest ago first); 0: never queued.
  uint32_t seq = 0;
  bool benched = false;     // ejected or down: out of its queue, in ServicePickState::benched
  bool down = false;        // active health checks failed
  uint32_t slot = kNoSlot;  // in the newest factory adopted; kNoSlot: not in it
};

struct ServicePickState {
  std::string key;
  uint64_t generation = 0;  // of the newest factory adopted; 0: none yet
  uint64_t health_epoch = 0;  // the picker's active-health view last applied
  BalanceAlgorithm algorithm = BalanceAlgorithm::kWeightedRoundRobin;
  bool least_requests = false;  // queue[] orders the slots by load
  uint32_t ready_count = 0;
  size_t active_size = 0;
  std::vector<EndpointState*> slots;  // of the newest factory
  uint64_t position[2] = {0, 0};      // per tier: the next pick in the EDF sequence
  IndexedHeap queue[2];               // least requests, per tier; ejected ones are benched
  std::vector<EndpointState*> benched;
  uint64_t bench_until = kNever;  // the earliest an ejection in `benched` ends
  uint32_t seq = 0;
  uint64_t rotation = 0;  // for the last resort
  int ejected = 0;        // endpoints with health.ejected_until != 0
  // The service's own passive health rules (PickerFactory::passive_health);
  // unset: the picker's.
  std::optional<PassiveHealthPolicy> passive;
  uint64_t last_used_ms = 0;
  std::vector<uint64_t> mirror_counts;  // requests seen per mirror
  absl::node_hash_map<std::string, EndpointState> endpoints;

  int Tier(uint32_t slot) const { return slot < ready_count ? 0 : 1; }
};

namespace {

// Least requests orders by (requests in flight + 1) / weight, then by the
// last pick: a positive float's bits order like the float, so both fit one
// 64-bit key. (seq wraps after 2^32 picks of a service: ties then briefly
// favour the wrong endpoint, nothing worse.)
uint64_t LoadKey(const EndpointState* e) {
  float load = static_cast<float>(e->in_flight + 1) * e->inverse_weight;
  uint32_t bits;
  std::memcpy(&bits, &load, sizeof bits);
  return static_cast<uint64_t>(bits) << 32 | e->seq;
}

// a is no more loaded than b; no division on the request path.
bool NoMoreLoaded(const EndpointState* a, const EndpointState* b) {
  return (a->in_flight + 1.0f) * a->inverse_weight <= (b->in_flight + 1.0f) * b->inverse_weight;
}

// When the endpoint's ejection (if any) ends; never for a down one, which
// returns when a health view says so.
uint64_t BenchedUntil(const EndpointState* e) {
  return e->down || e->health.ejected_until == 0 ? kNever : e->health.ejected_until;
}

}  // namespace

void EndpointPicker::AdoptPassive(ServicePickState& s, const PassiveHealthPolicy& passive) const {
  s.passive = passive;
  s.passive->max_ejected_percent = policy_.max_ejected_percent;  // the proxy's cap still holds
}

const PassiveHealthPolicy& EndpointPicker::PolicyOf(const ServicePickState& s) const {
  return s.passive ? *s.passive : policy_;
}

EndpointState& EndpointPicker::Track(ServicePickState& s, std::string_view identity) {
  auto [it, inserted] = s.endpoints.try_emplace(Key(identity));
  if (inserted) {
    it->second.identity = std::string(identity);
    it->second.service = &s;
    it->second.down = health_ != nullptr && health_->Down(ClusterOfStateKey(s.key), identity);
  }
  return it->second;
}

void EndpointPicker::SetActiveHealth(std::shared_ptr<const ActiveHealthView> view) {
  health_ = std::move(view);
  ++health_epoch_;
  recent_.fill({});  // the fast path must see every service catch up
}

void EndpointPicker::RefreshHealth(ServicePickState& s, uint64_t now_ms) {
  s.health_epoch = health_epoch_;
  for (auto& [identity, e] : s.endpoints) {
    bool down = health_ != nullptr && health_->Down(ClusterOfStateKey(s.key), identity);
    if (down == e.down) continue;
    e.down = down;
    if (down && s.least_requests && e.slot != kNoSlot) Bench(s, &e);
  }
  if (s.least_requests) ReturnBenched(s, now_ms);
}

EndpointPicker::EndpointPicker(PassiveHealthPolicy policy, uint64_t seed)
    : policy_(policy), random_(seed) {}

EndpointPicker::~EndpointPicker() = default;

ServicePickState& EndpointPicker::StateFor(const PickerFactory& factory, uint64_t now_ms) {
  // Generations are consecutive: recent factories take different entries.
  RecentFactory& recent = recent_[factory.generation() % recent_.size()];
  if (recent.factory == &factory && recent.generation == factory.generation()) {
    recent.state->last_used_ms = now_ms;
    return *recent.state;  // adopted already (or a newer one was)
  }
  auto it = services_.find(factory.state_key());
  if (it == services_.end()) {
    auto s = std::make_unique<ServicePickState>();
    s->key = factory.state_key();
    it = services_.emplace(factory.state_key(), std::move(s)).first;
  }
  ServicePickState& s = *it->second;
  s.last_used_ms = now_ms;
  if (s.health_epoch != health_epoch_) RefreshHealth(s, now_ms);
  if (factory.generation() > s.generation) Adopt(s, factory, now_ms);
  recent = {.factory = &factory, .generation = factory.generation(), .state = &s};
  return s;
}

void EndpointPicker::Adopt(ServicePickState& s, const PickerFactory& factory, uint64_t now_ms) {
  for (EndpointState* e : s.benched) e->benched = false;
  s.benched.clear();
  s.bench_until = kNever;
  for (auto& [identity, e] : s.endpoints) e.slot = kNoSlot;
  const std::vector<PickerFactory::Slot>& slots = factory.slots();
  s.slots.assign(slots.size(), nullptr);
  for (uint32_t i = 0; i < slots.size(); ++i) {
    EndpointState& e = Track(s, slots[i].identity);
    e.slot = i;
    e.inverse_weight = static_cast<float>(1.0 / slots[i].weight);
    s.slots[i] = &e;
  }
  // Forget endpoints that left, except while a request is still on one.
  for (auto it = s.endpoints.begin(); it != s.endpoints.end();) {
    EndpointState& e = it->second;
    if (e.slot != kNoSlot || e.in_flight != 0) {
      ++it;
      continue;
    }
    if (e.health.ejected_until != 0) --s.ejected;
    s.endpoints.erase(it++);
  }
  s.generation = factory.generation();
  s.algorithm = factory.algorithm();
  if (const PassiveHealthPolicy* passive = factory.passive_health()) {
    AdoptPassive(s, *passive);
  } else {
    s.passive.reset();
  }
  s.ready_count = factory.ready_count();
  s.active_size = factory.active_size();
  s.least_requests = factory.kind() == PickerFactory::Kind::kEndpoints &&
                     factory.algorithm() == BalanceAlgorithm::kLeastRequests;
  if (factory.kind() == PickerFactory::Kind::kMirroring) {
    s.mirror_counts.resize(factory.mirrors().size(), 0);
  }
  if (!s.least_requests) return;
  for (int tier = 0; tier < 2; ++tier) {
    s.queue[tier].Reset(static_cast<uint32_t>(slots.size()));
    for (uint32_t slot = factory.tier_begin(tier); slot < factory.tier_end(tier); ++slot) {
      EndpointState* e = s.slots[slot];
      if (e->seq == 0) e->seq = ++s.seq;  // new: ties go by endpoint order
      if (Available(s, e, now_ms)) {
        s.queue[tier].Push(slot, LoadKey(e));
      } else {
        Bench(s, e);
      }
    }
  }
}

EndpointState* EndpointPicker::At(ServicePickState& s, const PickerFactory& factory,
                                  uint32_t slot) {
  if (s.generation == factory.generation()) return s.slots[slot];
  return &Track(s, factory.slots()[slot].identity);  // an older factory: by identity
}

bool EndpointPicker::Available(ServicePickState& s, EndpointState* e, uint64_t now_ms) {
  if (e->down) return false;
  return e->health.ejected_until == 0 || !StillEjected(e->health, s.ejected, now_ms);
}

void EndpointPicker::Bench(ServicePickState& s, EndpointState* e) {
  if (e->benched) return;
  IndexedHeap& queue = s.queue[s.Tier(e->slot)];
  if (queue.Contains(e->slot)) queue.Remove(e->slot);
  e->benched = true;
  s.benched.push_back(e);
  s.bench_until = std::min(s.bench_until, BenchedUntil(e));
}

void EndpointPicker::ReturnBenched(ServicePickState& s, uint64_t now_ms) {
  std::vector<EndpointState*> still;
  uint64_t until = kNever;
  for (EndpointState* e : s.benched) {
    if (!Available(s, e, now_ms)) {
      still.push_back(e);
      until = std::min(until, BenchedUntil(e));
      continue;
    }
    e->benched = false;
    s.queue[s.Tier(e->slot)].Push(e->slot, LoadKey(e));
  }
  s.benched.swap(still);
  s.bench_until = until;
}

void EndpointPicker::UpdateLoad(ServicePickState& s, EndpointState* e) {
  if (!s.least_requests || e->slot == kNoSlot) return;
  IndexedHeap& queue = s.queue[s.Tier(e->slot)];
  if (queue.Contains(e->slot)) queue.Update(e->slot, LoadKey(e));
}

// Least requests: the top of the tier's queue (ejected endpoints are
// benched as soon as they are found there).
uint32_t EndpointPicker::HeapPick(ServicePickState& s, int tier, uint64_t now_ms) {
  IndexedHeap& queue = s.queue[tier];
  while (!queue.empty()) {
    uint32_t slot = queue.Top();
    EndpointState* e = s.slots[slot];
    if (Available(s, e, now_ms)) return slot;
    Bench(s, e);
  }
  return kNoSlot;
}

// Weighted round robin: the next pick of the factory's EDF sequence that is
// not ejected.
uint32_t EndpointPicker::SchedulePick(ServicePickState& s, const PickerFactory& factory, int tier,
                                      uint64_t now_ms) {
  const EdfSchedule& schedule = *factory.schedule(tier);
  uint32_t begin = factory.tier_begin(tier);
  for (size_t tried = 0; tried < schedule.size(); ++tried) {
    uint32_t slot = begin + schedule.At(s.position[tier]++);
    if (Available(s, At(s, factory, slot), now_ms)) return slot;
  }
  return kNoSlot;
}

uint32_t EndpointPicker::TwoChoices(ServicePickState& s, const PickerFactory& factory, int tier,
                                    uint64_t now_ms) {
  uint32_t begin = factory.tier_begin(tier), count = factory.tier_end(tier) - begin;
  if (count == 1) return Available(s, At(s, factory, begin), now_ms) ? begin : kNoSlot;
  for (int round = 0; round < kTwoChoiceRounds; ++round) {
    uint32_t a = random_.Below(count);
    uint32_t b = random_.Below(count - 1);
    if (b >= a) ++b;  // two different endpoints
    EndpointState* ea = At(s, factory, begin + a);
    EndpointState* eb = At(s, factory, begin + b);
    bool a_ok = Available(s, ea, now_ms), b_ok = Available(s, eb, now_ms);
    if (a_ok && b_ok) return begin + (NoMoreLoaded(ea, eb) ? a : b);
    if (a_ok) return begin + a;
    if (b_ok) return begin + b;
  }
  // Mostly ejected: the first endpoint still in, from a random place.
  uint32_t start = random_.Below(count);
  for (uint32_t k = 0; k < count; ++k) {
    uint32_t slot = begin + (start + k) % count;
    if (Available(s, At(s, factory, slot), now_ms)) return slot;
  }
  return kNoSlot;
}

uint32_t EndpointPicker::HashPick(ServicePickState& s, const PickerFactory& factory, int tier,
                                  uint64_t hash, uint64_t now_ms) {
  const MaglevTable& table = *factory.maglev(tier);
  uint32_t begin = factory.tier_begin(tier), count = factory.tier_end(tier) - begin;
  uint32_t slot = begin + table.Lookup(hash);
  if (Available(s, At(s, factory, slot), now_ms)) return slot;
  for (uint32_t attempt = 1; attempt <= kMaglevProbes; ++attempt) {
    uint32_t probe = begin + table.Probe(hash, attempt);
    if (Available(s, At(s, factory, probe), now_ms)) return probe;
  }
  for (uint32_t k = 1; k < count; ++k) {
    uint32_t next = begin + (slot - begin + k) % count;
    if (Available(s, At(s, factory, next), now_ms)) return next;
  }
  return kNoSlot;
}

uint32_t EndpointPicker::PickInTier(ServicePickState& s, const PickerFactory& factory, int tier,
                                    uint64_t hash, uint64_t now_ms) {
  bool current = s.generation == factory.generation();
  switch (factory.algorithm()) {
    case BalanceAlgorithm::kWeightedRoundRobin:
      return SchedulePick(s, factory, tier, now_ms);
    case BalanceAlgorithm::kLeastRequests:
      return current ? HeapPick(s, tier, now_ms) : TwoChoices(s, factory, tier, now_ms);
    case BalanceAlgorithm::kPowerOfTwoChoices:
      return TwoChoices(s, factory, tier, now_ms);
    case BalanceAlgorithm::kMaglev:
      return HashPick(s, factory, tier, hash, now_ms);
  }
  return kNoSlot;
}

uint32_t EndpointPicker::PickSlot(ServicePickState& s, const PickerFactory& factory,
                                  const PickRequest& request, bool* last_resort) {
  uint64_t hash = 0;
  if (factory.algorithm() == BalanceAlgorithm::kMaglev) {
    hash = RequestHashKey(factory.hash_key(), factory.hash_header(), request);
  }
  // Ready endpoints first; serving+terminating ones only when no ready one is left.
  for (int tier = 0; tier < 2; ++tier) {
    if (factory.tier_begin(tier) == factory.tier_end(tier)) continue;
    uint32_t slot = PickInTier(s, factory, tier, hash, request.now_ms);
    if (slot != kNoSlot) return slot;
  }
  // Everything is ejected (the share cap counts the cluster as it was):
  // better to try than to refuse.
  int tier = factory.ready_count() != 0 ? 0 : 1;
  uint32_t begin = factory.tier_begin(tier), count = factory.tier_end(tier) - begin;
  if (count == 0) return kNoSlot;
  *last_resort = true;
  if (factory.algorithm() == BalanceAlgorithm::kMaglev) {
    return begin + factory.maglev(tier)->Lookup(hash);
  }
  return begin + static_cast<uint32_t>(s.rotation++ % count);
}

// The slot the request's sticky cookie names, if it may still be used:
// known, not ejected, and not a terminating endpoint while ready ones exist.
uint32_t EndpointPicker::StickySlot(ServicePickState& s, const PickerFactory& factory,
                                    const PickRequest& request) {
  if (!factory.sticky()) return kNoSlot;
  std::string_view value = RequestCookie(request, factory.cookie_name());
  if (value.empty()) return kNoSlot;
  int64_t found = factory.SlotForCookie(value);
  if (found < 0) return kNoSlot;
  auto slot = static_cast<uint32_t>(found);
  if (slot >= factory.ready_count() && factory.ready_count() != 0) return kNoSlot;
  if (factory.kind() != PickerFactory::Kind::kEndpoints) return slot;
  return Available(s, At(s, factory, slot), request.now_ms) ? slot : kNoSlot;
}

void EndpointPicker::Begin(ServicePickState& s, EndpointState* e) {
  ++e->in_flight;
  ++e->requests;
  if (s.least_requests) e->seq = ++s.seq;
  UpdateLoad(s, e);
}

Picked EndpointPicker::Pick(const PickerFactory& factory, const PickRequest& request) {
  switch (factory.kind()) {
    case PickerFactory::Kind::kEndpoints:
      return PickEndpoints(factory, request);
    case PickerFactory::Kind::kWeighted:
      return PickWeighted(factory, request);
    case PickerFactory::Kind::kMirroring:
      return PickMirroring(factory, request);
  }
  return {};
}

Picked EndpointPicker::PickEndpoints(const PickerFactory& factory, const PickRequest& request) {
  Picked out;
  ServicePickState& s = StateFor(factory, request.now_ms);
  if (request.now_ms >= s.bench_until) ReturnBenched(s, request.now_ms);
  uint32_t slot = StickySlot(s, factory, request);
  bool new_cookie = false;
  if (slot == kNoSlot) {
    slot = PickSlot(s, factory, request, &out.last_resort);
    if (slot == kNoSlot) return out;
    new_cookie = factory.sticky();
  }
  EndpointState* e = At(s, factory, slot);
  Begin(s, e);
  const PickerFactory::Slot& chosen = factory.slots()[slot];
  out.endpoint = chosen.endpoint;
  out.state = e;
  out.rewrite_host = factory.rewrite_host();
  out.tls = factory.tls();
  if (new_cookie) {
    out.set_cookies.push_back(
        absl::StrCat(factory.cookie_name(), "=", chosen.cookie_value, factory.cookie_attributes()));
  }
  return out;
}

// A split picks a service by its sticky cookie or smooth weighted round
// robin, then an endpoint within it. A service that can offer no endpoint,
// or only an ejected one, is passed over for the next ones in order while
// one of them can do better.
Picked EndpointPicker::PickWeighted(const PickerFactory& factory, const PickRequest& request) {
  ServicePickState& s = StateFor(factory, request.now_ms);
  uint32_t count = factory.tier_end(0);
  uint32_t sticky = StickySlot(s, factory, request);
  Picked fallback;
  uint32_t fallback_slot = kNoSlot;
  auto with_cookie = [&](Picked picked, uint32_t slot) {
    if (factory.sticky() && slot != sticky) {
      picked.set_cookies.push_back(absl::StrCat(factory.cookie_name(), "=",
                                                factory.slots()[slot].cookie_value,
                                                factory.cookie_attributes()));
    }
    return picked;
  };
  // True when `slot`'s service gave a good endpoint (then in `*out`).
  auto attempt = [&](uint32_t slot, Picked* out) {
    Picked picked = Pick(*factory.slots()[slot].service, request);
    if (picked.endpoint != nullptr && !picked.last_resort) {
      *out = std::move(picked);
      return true;
    }
    if (picked.endpoint != nullptr && fallback.endpoint == nullptr) {
      fallback = std::move(picked);
      fallback_slot = slot;
    } else {
      Release(picked);
    }
    return false;
  };
  Picked out;
  if (sticky != kNoSlot && attempt(sticky, &out)) return out;
  uint32_t first = PickInTier(s, factory, 0, 0, request.now_ms);
  for (uint32_t k = 0; k < count && first != kNoSlot; ++k) {
    uint32_t slot = (first + k) % count;
    if (slot == sticky) continue;  // tried already
    if (attempt(slot, &out)) {
      Release(fallback);
      return with_cookie(std::move(out), slot);
    }
  }
  if (fallback.endpoint == nullptr) return fallback;
  return with_cookie(std::move(fallback), fallback_slot);
}

Picked EndpointPicker::PickMirroring(const PickerFactory& factory, const PickRequest& request) {
  Picked picked = Pick(*factory.main(), request);
  if (picked.endpoint == nullptr) return picked;
  ServicePickState& s = StateFor(factory, request.now_ms);
  const std::vector<MirrorService>& mirrors = factory.mirrors();
  if (s.mirror_counts.size() < mirrors.size()) s.mirror_counts.resize(mirrors.size(), 0);
  for (size_t i = 0; i < mirrors.size(); ++i) {
    if (MirrorsRequest(s.mirror_counts[i]++, mirrors[i].percent)) {
      picked.mirrors.push_back(
          {.service = mirrors[i].service.get(), .body = factory.mirror_body()});
    }
  }
  return picked;
}

void EndpointPicker::Release(const Picked& picked) {
  EndpointState* e = picked.state;
  if (e == nullptr) return;
  --e->in_flight;
  --e->requests;
  UpdateLoad(*e->service, e);
}

EndResult EndpointPicker::End(const Picked& picked, PickOutcome outcome, uint64_t now_ms) {
  EndResult out;
  EndpointState* e = picked.state;
  if (e == nullptr) return out;
  ServicePickState& s = *e->service;
  if (e->in_flight > 0) --e->in_flight;
  UpdateLoad(s, e);
  out.cluster = s.key;
  out.endpoint = e->identity;
  out.cluster_size = s.active_size;
  out.passive = s.passive ? &*s.passive : nullptr;
  if (outcome == PickOutcome::kFailure) {
    ++e->failures;
    out.ejected_until =
        RecordFailure(PolicyOf(s), e->health, s.ejected, s.active_size, now_ms);
    if (out.ejected_until != 0) {
      ++ejections_total_;
      if (s.least_requests && e->slot != kNoSlot) Bench(s, e);
    }
  } else if (outcome == PickOutcome::kSuccess && e->health.ejected_until == 0) {
    e->health.consecutive_failures = 0;
  }
  return out;
}

void EndpointPicker::ApplyEjection(std::string_view cluster, std::string_view endpoint,
                                   size_t cluster_size, uint64_t until_ms, uint64_t now_ms,
                                   const PassiveHealthPolicy* passive) {
  const PassiveHealthPolicy& policy = passive != nullptr ? *passive : policy_;
  if (policy.consecutive_failures == 0 || until_ms <= now_ms) return;
  auto it = services_.find(Key(cluster));
  if (it == services_.end()) {
    auto s = std::make_unique<ServicePickState>();
    s->key = std::string(cluster);
    s->last_used_ms = now_ms;
    if (passive != nullptr) AdoptPassive(*s, *passive);
    it = services_.emplace(std::string(cluster), std::move(s)).first;
  }
  ServicePickState& s = *it->second;
  EndpointState& e = Track(s, endpoint);
  if (RecordEjection(PolicyOf(s), e.health, s.ejected, cluster_size, until_ms, now_ms) &&
      s.least_requests && e.slot != kNoSlot) {
    Bench(s, &e);
  }
}

std::optional<EndpointStats> EndpointPicker::Stats(std::string_view cluster,
                                                   std::string_view endpoint, uint64_t now_ms) {
  auto s = services_.find(Key(cluster));
  if (s == services_.end()) return std::nullopt;
  auto e = s->second->endpoints.find(Key(endpoint));
  if (e == s->second->endpoints.end()) return std::nullopt;
  EndpointState& state = e->second;
  return EndpointStats{.in_flight = state.in_flight,
                       .requests = state.requests,
                       .failures = state.failures,
                       .ejected = !Available(*s->second, &state, now_ms)};
}

size_t EndpointPicker::SweepIdle(uint64_t now_ms, uint64_t idle_ms) {
  recent_.fill({});
  size_t swept = 0;
  for (auto it = services_.begin(); it != services_.end();) {
    const ServicePickState& s = *it->second;
    bool busy = std::any_of(s.endpoints.begin(), s.endpoints.end(),
                            [](const auto& e) { return e.second.in_flight != 0; });
    if (busy || now_ms - s.last_used_ms < idle_ms) {
      ++it;
      continue;
    }
    services_.erase(it++);
    ++swept;
  }
  return swept;
}

size_t EndpointPicker::tracked_endpoints(std::string_view service) const {
  auto it = services_.find(Key(service));
  return it == services_.end() ? 0 : it->second->endpoints.size();
}

}  // namespace portico::dataplane
