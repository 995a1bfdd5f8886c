#include "dataplane/upstream/picker_factory.h"

#include <atomic>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dataplane/upstream/sticky_cookie.h"

namespace portico::dataplane {
namespace {

std::atomic<uint64_t> next_generation{1};

// True when both factories hold the same identities and weights in `tier`,
// in the same order: their Maglev tables would be equal.
bool SameTier(const PickerFactory& a, const PickerFactory& b, int tier) {
  if (a.tier_end(tier) - a.tier_begin(tier) != b.tier_end(tier) - b.tier_begin(tier)) {
    return false;
  }
  for (uint32_t i = a.tier_begin(tier), j = b.tier_begin(tier); i < a.tier_end(tier); ++i, ++j) {
    if (a.slots()[i].identity != b.slots()[j].identity ||
        a.slots()[i].weight != b.slots()[j].weight) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view ClusterOfStateKey(std::string_view state_key) {
  // Cluster names ("ns/svc:port") never hold '|'.
  return state_key.substr(0, state_key.find('|'));
}

PickerFactory::PickerFactory(Kind kind, std::string name)
    : kind_(kind),
      name_(std::move(name)),
      generation_(next_generation.fetch_add(1, std::memory_order_relaxed)) {
  // Cluster names ("ns/svc:80") never start with '|', so the keys of the
  // three kinds cannot collide.
  switch (kind_) {
    case Kind::kEndpoints:
      state_key_ = name_;
      break;
    case Kind::kWeighted:
      state_key_ = absl::StrCat("|weighted|", name_);
      break;
    case Kind::kMirroring:
      state_key_ = absl::StrCat("|mirroring|", name_);
      break;
  }
}

void PickerFactory::SetSticky(const std::optional<StickyCookieSpec>& sticky) {
  if (!sticky) return;
  sticky_ = true;
  cookie_name_ = sticky->name.empty() ? DefaultStickyCookieName(name_) : sticky->name;
  cookie_attributes_ = StickyCookieAttributes(*sticky);
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    uint64_t id = StickyCookieId(name_, slots_[i].identity);
    slots_[i].cookie_value = FormatStickyValue(id);
    slot_by_cookie_.emplace(id, i);
  }
}

int64_t PickerFactory::SlotForCookie(std::string_view value) const {
  std::optional<uint64_t> id = ParseStickyValue(value);
  if (!id) return -1;
  auto it = slot_by_cookie_.find(*id);
  return it == slot_by_cookie_.end() ? -1 : static_cast<int64_t>(it->second);
}

void PickerFactory::BuildTables(const PickerFactory* previous) {
  bool maglev = algorithm_ == BalanceAlgorithm::kMaglev;
  if (!maglev && algorithm_ != BalanceAlgorithm::kWeightedRoundRobin) return;
  bool reuse =
      previous != nullptr && previous->kind_ == kind_ && previous->algorithm_ == algorithm_;
  for (int tier = 0; tier < 2; ++tier) {
    if (tier_begin(tier) == tier_end(tier)) continue;
    if (reuse && SameTier(*this, *previous, tier)) {
      schedule_[tier] = previous->schedule_[tier];
      maglev_[tier] = previous->maglev_[tier];
      continue;
    }
    std::vector<std::string_view> names;
    std::vector<double> weights;
    for (uint32_t i = tier_begin(tier); i < tier_end(tier); ++i) {
      names.push_back(slots_[i].identity);
      weights.push_back(slots_[i].weight);
    }
    if (maglev) {
      maglev_[tier] = std::make_shared<const MaglevTable>(names, weights);
    } else {
      schedule_[tier] = std::make_shared<const EdfSchedule>(weights);
    }
  }
}

std::shared_ptr<const PickerFactory> PickerFactory::ForCluster(const Cluster& cluster,
                                                               const BalancerSpec& spec,
                                                               std::string* error,
                                                               const PickerFactory* previous) {
  std::string invalid = ValidateBalancerSpec(spec);
  if (!invalid.empty()) {
    *error = absl::StrCat("cluster ", cluster.name, ": ", invalid);
    return nullptr;
  }
  std::shared_ptr<PickerFactory> f(new PickerFactory(
      Kind::kEndpoints, spec.service_name.empty() ? cluster.name : spec.service_name));
  f->state_key_ = cluster.name;
  if (spec.passive_health) {
    f->passive_health_ = spec.passive_health;
    absl::StrAppend(&f->state_key_, "|passive|", spec.passive_health->failure_window_ms, "|",
                    spec.passive_health->consecutive_failures);
  }
  f->algorithm_ = spec.algorithm;
  f->rewrite_host_ = spec.rewrite_host;
  f->tls_ = spec.tls;
  f->hash_key_ = spec.hash_key;
  f->hash_header_ = spec.hash_key.name;
  absl::AsciiStrToLower(&f->hash_header_);
  f->slots_.reserve(cluster.ready.size() + cluster.terminating.size());
  for (const std::vector<Endpoint>* tier : {&cluster.ready, &cluster.terminating}) {
    for (const Endpoint& e : *tier) {
      auto w = spec.weights.empty() ? spec.weights.end() : spec.weights.find(e.key);
      f->slots_.push_back(
          {.identity = e.key, .weight = w == spec.weights.end() ? 1.0 : w->second, .endpoint = &e});
    }
    if (tier == &cluster.ready) f->ready_count_ = static_cast<uint32_t>(f->slots_.size());
  }
  f->SetSticky(spec.sticky);
  f->BuildTables(previous);
  return f;
}

std::shared_ptr<const PickerFactory> PickerFactory::ForWeighted(
    std::string name, std::vector<WeightedService> services, std::optional<StickyCookieSpec> sticky,
    std::string* error) {
  std::shared_ptr<PickerFactory> f(new PickerFactory(Kind::kWeighted, std::move(name)));
  if (sticky) {
    std::string invalid = ValidateStickyCookie(*sticky);
    if (!invalid.empty()) {
      *error = absl::StrCat("weighted service ", f->name_, ": ", invalid);
      return nullptr;
    }
  }
  absl::flat_hash_set<std::string_view> seen;
  for (size_t i = 0; i < services.size(); ++i) {
    const WeightedService& s = services[i];
    std::string where = absl::StrCat("weighted service ", f->name_, ": services[", i, "]");
    if (s.service == nullptr) {
      *error = absl::StrCat(where, ": no service");
      return nullptr;
    }
    if (!seen.insert(s.service->name()).second) {
      *error = absl::StrCat(where, ": '", s.service->name(), "' appears twice");
      return nullptr;
    }
    if (s.weight != 0 && !ValidWeight(s.weight)) {
      *error = absl::StrCat(where, ".weight: ", s.weight, " is not 0 or in (0, 1000000]");
      return nullptr;
    }
    if (s.service->depth() >= kMaxDepth) {
      *error = absl::StrCat(where, ": services nest deeper than ", kMaxDepth);
      return nullptr;
    }
    f->depth_ = std::max(f->depth_, s.service->depth() + 1);
    f->children_.push_back(s.service);
    if (s.weight == 0) continue;  // kept alive, never picked
    f->slots_.push_back(
        {.identity = s.service->name(), .weight = s.weight, .service = s.service.get()});
  }
  if (f->slots_.empty()) {
    *error = absl::StrCat("weighted service ", f->name_, ": no service with a weight above 0");
    return nullptr;
  }
  f->ready_count_ = static_cast<uint32_t>(f->slots_.size());
  f->SetSticky(sticky);
  f->BuildTables(nullptr);
  return f;
}

std::shared_ptr<const PickerFactory> PickerFactory::ForMirroring(
    std::string name, std::shared_ptr<const PickerFactory> main, std::vector<MirrorService> mirrors,
    MirrorBodySpec body, std::string* error) {
  std::shared_ptr<PickerFactory> f(new PickerFactory(Kind::kMirroring, std::move(name)));
  if (main == nullptr) {
    *error = absl::StrCat("mirroring service ", f->name_, ": no main service");
    return nullptr;
  }
  if (body.max_body_size < -1) {
    *error = absl::StrCat("mirroring service ", f->name_, ": maxBodySize ", body.max_body_size,
                          " is below -1");
    return nullptr;
  }
  int depth = main->depth();
  for (size_t i = 0; i < mirrors.size(); ++i) {
    std::string where = absl::StrCat("mirroring service ", f->name_, ": mirrors[", i, "]");
    if (mirrors[i].service == nullptr) {
      *error = absl::StrCat(where, ": no service");
      return nullptr;
    }
    if (mirrors[i].percent < 0 || mirrors[i].percent > 100) {
      *error = absl::StrCat(where, ".percent: ", mirrors[i].percent, " is not in [0, 100]");
      return nullptr;
    }
    depth = std::max(depth, mirrors[i].service->depth());
  }
  if (depth >= kMaxDepth) {
    *error =
        absl::StrCat("mirroring service ", f->name_, ": services nest deeper than ", kMaxDepth);
    return nullptr;
  }
  f->depth_ = depth + 1;
  f->main_ = std::move(main);
  f->mirrors_ = std::move(mirrors);
  f->mirror_body_ = body;
  return f;
}

}  // namespace portico::dataplane
