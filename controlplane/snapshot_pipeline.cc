#include "controlplane/snapshot_pipeline.h"

#include <algorithm>
#include <cstddef>
#include <ctime>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/log.h"
#include "controlplane/compiler/cluster_resolver.h"
#include "controlplane/compiler/compiler.h"
#include "controlplane/compiler/incremental_compile.h"
#include "controlplane/model/cluster_state.h"
#include "controlplane/model/kind_registry.h"
#include "controlplane/translate/snapshot_translator.h"

namespace portico::controlplane {
namespace {

void LogIssues(const std::vector<SourceIssue>& issues) {
  for (const SourceIssue& issue : issues)
    LogWarn("controller", issue.origin + ": " + issue.message);
}

bool IsTraefikObject(const SourceObject& object) {
  if (!object.json.IsObject()) return false;
  auto it = object.json.FindMember("apiVersion");
  return it != object.json.MemberEnd() && it->value.IsString() &&
         std::string_view(it->value.GetString()).starts_with("traefik.io/");
}

// " tcp_routes=N udp_routes=M" when there are some (the line stays as it
// was for HTTP-only snapshots).
std::string L4Counts(const v1::Snapshot& snapshot) {
  if (snapshot.tcp_routes_size() == 0 && snapshot.udp_routes_size() == 0) return "";
  return " tcp_routes=" + std::to_string(snapshot.tcp_routes_size()) +
         " udp_routes=" + std::to_string(snapshot.udp_routes_size());
}

}  // namespace

size_t FilterCompatObjects(const PipelineOptions& options, std::vector<SourceObject>* objects) {
  if (options.traefik_compat) return 0;
  size_t before = objects->size();
  std::erase_if(*objects, IsTraefikObject);
  return before - objects->size();
}

namespace {

template <typename Map>
void AddOtherClass(const Map& objects, const std::string& kind, const std::string& our_class,
                   std::set<std::string>* out) {
  for (const auto& [key, object] : objects) {
    if (!IngressRouteClassMismatch(object.spec.ingress_class_name, our_class).empty()) {
      out->insert(kind + "/" + key.str());
    }
  }
}

}  // namespace

void SnapshotPipeline::NoteOwnership(const ClusterState& state, const CompileResult& result) {
  routed_.clear();
  for (const Route& route : result.routes) routed_.insert(route.source);
  for (const TcpRoute& route : result.tcp_routes) routed_.insert(route.source);
  for (const UdpRoute& route : result.udp_routes) routed_.insert(route.source);
  other_class_.clear();
  const std::string& ours = options_.compile.ingress_class;
  AddOtherClass(state.crds.ingress_routes, "IngressRoute", ours, &other_class_);
  AddOtherClass(state.crds.ingress_routes_tcp, "IngressRouteTCP", ours, &other_class_);
  AddOtherClass(state.crds.ingress_routes_udp, "IngressRouteUDP", ours, &other_class_);
}

void SnapshotPipeline::NoteIngressOwnership(const std::vector<ObjectKey>& ingresses,
                                            const CompileResult& result) {
  std::set<std::string> sources;
  for (const ObjectKey& key : ingresses) {
    std::string source = "Ingress/" + key.str();
    routed_.erase(source);
    sources.insert(std::move(source));
  }
  for (const Route& route : result.routes) {
    if (sources.contains(route.source)) routed_.insert(route.source);
  }
}

// The last decode and compile, kept for the endpoint-only path and for the
// next decode: per object of the (filtered) load its origin, fingerprint,
// whether it is an EndpointSlice, how many decode issues the objects up to
// it raised, and what its decode put into `state`.
struct SnapshotPipeline::LastCompile {
  std::vector<std::string> origins;
  std::vector<std::string> fingerprints;
  std::vector<bool> endpoint_slice;
  std::vector<size_t> issue_ends;
  std::vector<std::vector<DecodedItem>> decoded;
  std::vector<SourceIssue> build_issues;
  ClusterState state;
  CompileResult result;
  CompileIndex index;  // for RecompileIngresses
};

SnapshotPipeline::SnapshotPipeline(Publisher publish, PipelineOptions options)
    : publish_(std::move(publish)), options_(std::move(options)) {}

SnapshotPipeline::~SnapshotPipeline() = default;

namespace {

bool IsEndpointSlice(const SourceObject& object) {
  if (!object.json.IsObject()) return false;
  auto api = object.json.FindMember("apiVersion");
  auto kind = object.json.FindMember("kind");
  return api != object.json.MemberEnd() && api->value.IsString() &&
         std::string_view(api->value.GetString()) == "discovery.k8s.io/v1" &&
         kind != object.json.MemberEnd() && kind->value.IsString() &&
         std::string_view(kind->value.GetString()) == "EndpointSlice";
}

// Whether every item of `changed` is an Ingress; their keys, unique, in
// `keys`.
bool OnlyIngresses(const std::vector<DecodedItem>& changed, std::vector<ObjectKey>* keys) {
  static const KindEntry* const ingress = FindKind("networking.k8s.io/v1", "Ingress");
  std::set<ObjectKey> unique;
  for (const DecodedItem& item : changed) {
    if (item.kind->store.contains != ingress->store.contains) return false;
    unique.insert(item.key);
  }
  keys->assign(unique.begin(), unique.end());
  return true;
}

}  // namespace

void SnapshotPipeline::Apply(const SourceLoad& load) {
  const std::vector<SourceObject>* objects = &load.objects;
  std::vector<SourceObject> kept;
  if (!options_.traefik_compat &&
      std::any_of(load.objects.begin(), load.objects.end(), IsTraefikObject)) {
    // Only the copy pays: Traefik objects present without --traefik-compat.
    for (const SourceObject& object : load.objects) {
      if (IsTraefikObject(object)) continue;
      SourceObject copy{.origin = object.origin,
                        .json = rapidjson::Document(),
                        .fingerprint = object.fingerprint};
      copy.json.CopyFrom(object.json, copy.json.GetAllocator());
      kept.push_back(std::move(copy));
    }
    LogDebug("controller", std::to_string(load.objects.size() - kept.size()) +
                               " traefik.io objects ignored (no --traefik-compat)");
    objects = &kept;
  }
  if (last_ && ApplyEndpointChange(*objects, load)) return;
  auto next = std::make_unique<LastCompile>();
  ClusterStateBuild build;
  std::vector<DecodedItem> changed;
  bool in_place = last_ && DecodeInPlace(*objects, next.get(), &build, &changed);
  if (!in_place) {
    next = std::make_unique<LastCompile>();
    build = DecodeReusing(*objects, next.get());
  }
  bool patched = false;
  std::vector<ObjectKey> ingresses;
  if (in_place && OnlyIngresses(changed, &ingresses) &&
      static_cast<int64_t>(time(nullptr)) < last_->result.valid_until) {
    next->result = std::move(last_->result);
    next->index = std::move(last_->index);
    patched = RecompileIngresses(build.state, options_.compile, ingresses, &next->result,
                                 &next->index);
    if (patched) stats_.ingress_patches_total++;
  }
  // The previous compile is freed on a background thread while this one
  // runs.
  release_.Release(std::move(last_));
  if (patched) {
    NoteIngressOwnership(ingresses, next->result);
  } else {
    next->result = Compile(build.state, options_.compile, &next->index);
    NoteOwnership(build.state, next->result);
  }
  next->build_issues = std::move(build.issues);
  Publish(load, next->build_issues, next->result);
  next->state = std::move(build.state);
  last_ = std::move(next);
}

namespace {

// The objects of the last decode that may be reused, by origin: decoded
// without an issue, with a fingerprint.
template <typename Last>
bool IsReusable(const Last& last, size_t i) {
  size_t issues_before = i == 0 ? 0 : last.issue_ends[i - 1];
  return !last.fingerprints[i].empty() && last.issue_ends[i] == issues_before;
}

template <typename Last>
std::unordered_map<std::string_view, size_t> ReusableByOrigin(const Last& last) {
  std::unordered_map<std::string_view, size_t> reusable;
  reusable.reserve(last.origins.size());
  for (size_t i = 0; i < last.origins.size(); ++i) {
    if (IsReusable(last, i)) reusable.emplace(last.origins[i], i);
  }
  return reusable;
}

// Finds the objects of a load in the last one. Loads keep their order:
// object i is looked for at the place after the last match first (a few
// places on, after removed objects), then taken as new when an object right
// behind it is at that place, and looked up by origin only where the lists
// stop lining up otherwise, so adding or removing objects costs no hash
// table. (An object taken as new that was elsewhere in the last load is
// decoded again: slower, never wrong.)
template <typename Last>
class LastLoadWalk {
 public:
  static constexpr size_t kNone = SIZE_MAX;

  explicit LastLoadWalk(const Last& last) : last_(last) {}

  // The index in the last load of the reusable object with objects[i]'s
  // origin, or kNone. Called with increasing i.
  size_t Find(const std::vector<SourceObject>& objects, size_t i) {
    const std::vector<std::string>& origins = last_.origins;
    const std::string& origin = objects[i].origin;
    size_t skip = 0;  // objects of the last load removed before this one
    while (skip <= kLookahead &&
           !(cursor_ + skip < origins.size() && origins[cursor_ + skip] == origin)) {
      ++skip;
    }
    if (skip <= kLookahead) {
      size_t at = cursor_ + skip;
      cursor_ = at + 1;
      return IsReusable(last_, at) ? at : kNone;
    }
    if (cursor_ < origins.size()) {
      for (size_t k = 1; k <= kLookahead && i + k < objects.size(); ++k) {
        if (objects[i + k].origin == origins[cursor_]) return kNone;  // inserted: new
      }
    }
    if (!indexed_) {
      reusable_ = ReusableByOrigin(last_);
      indexed_ = true;
    }
    auto found = reusable_.find(origin);
    if (found == reusable_.end()) return kNone;
    cursor_ = found->second + 1;
    return found->second;
  }

 private:
  static constexpr size_t kLookahead = 4;
  const Last& last_;
  size_t cursor_ = 0;
  bool indexed_ = false;
  std::unordered_map<std::string_view, size_t> reusable_;  // by origin, built when first needed
};

// A decoded object's identity in a state: its store (one per map of
// ClusterState: both API groups of a CRD kind share one) and its key.
using StoredKey = std::pair<decltype(KindStore::contains), ObjectKey>;

}  // namespace

bool SnapshotPipeline::DecodeInPlace(const std::vector<SourceObject>& objects, LastCompile* next,
                                     ClusterStateBuild* build, std::vector<DecodedItem>* changed) {
  LastCompile& last = *last_;
  constexpr size_t kFresh = SIZE_MAX;
  // reuse[i]: the last object whose decode object i takes over, or kFresh.
  std::vector<size_t> reuse(objects.size(), kFresh);
  std::vector<bool> kept(last.origins.size(), false);
  LastLoadWalk walk(last);
  for (size_t i = 0; i < objects.size(); ++i) {
    if (objects[i].fingerprint.empty()) continue;
    size_t at = walk.Find(objects, i);
    // Taken already: a second object of that origin decodes.
    if (at == walk.kNone || kept[at] || last.fingerprints[at] != objects[i].fingerprint) continue;
    reuse[i] = at;
    kept[at] = true;
  }
  // What the objects gone or changed since then put into the state.
  std::set<StoredKey> leaving;
  for (size_t j = 0; j < kept.size(); ++j) {
    if (kept[j]) continue;
    for (const DecodedItem& item : last.decoded[j]) {
      leaving.emplace(item.kind->store.contains, item.key);
    }
  }
  // The new and changed objects, each decoded alone. One that would share
  // a key with a kept object or another new one is a duplicate, whose
  // winner depends on the load's order: the caller decodes it all then.
  struct Fresh {
    ClusterStateBuild build;
    std::vector<DecodedItem> items;
  };
  std::vector<Fresh> fresh;
  std::set<StoredKey> arriving;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (reuse[i] != kFresh) continue;
    Fresh& decoded = fresh.emplace_back();
    AddSourceObject(objects[i], &decoded.build, &decoded.items);
    for (const DecodedItem& item : decoded.items) {
      StoredKey key{item.kind->store.contains, item.key};
      if (item.kind->store.contains(last.state, item.key) && !leaving.contains(key)) return false;
      if (!arriving.insert(std::move(key)).second) return false;
    }
  }
  // Checked: the state can now be edited. (Should a move still fail, the
  // caller's DecodeReusing stays correct: the kept objects' entries are
  // all still in the state.)
  for (size_t j = 0; j < kept.size(); ++j) {
    if (kept[j]) continue;
    for (const DecodedItem& item : last.decoded[j]) {
      item.kind->store.erase(item.key, &last.state);
      changed->push_back(item);
    }
  }
  for (Fresh& decoded : fresh) {
    if (!MoveDecoded(decoded.items, &decoded.build.state, &last.state)) return false;
    changed->insert(changed->end(), decoded.items.begin(), decoded.items.end());
  }
  size_t next_fresh = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    const SourceObject& object = objects[i];
    if (reuse[i] != kFresh) {
      // Equal to the object's (same origin and fingerprint), and last_ is
      // only released from here on: moved, not copied.
      next->origins.push_back(std::move(last.origins[reuse[i]]));
      next->fingerprints.push_back(std::move(last.fingerprints[reuse[i]]));
      next->endpoint_slice.push_back(last.endpoint_slice[reuse[i]]);
      next->decoded.push_back(std::move(last.decoded[reuse[i]]));
    } else {
      Fresh& decoded = fresh[next_fresh++];
      next->origins.push_back(object.origin);
      next->fingerprints.push_back(object.fingerprint);
      next->endpoint_slice.push_back(IsEndpointSlice(object));
      next->decoded.push_back(std::move(decoded.items));
      build->issues.insert(build->issues.end(), decoded.build.issues.begin(),
                           decoded.build.issues.end());
    }
    next->issue_ends.push_back(build->issues.size());
  }
  build->state = std::move(last.state);
  stats_.objects_decoded = fresh.size();
  stats_.objects_reused = objects.size() - fresh.size();
  stats_.objects_reused_total += stats_.objects_reused;
  stats_.objects_decoded_total += stats_.objects_decoded;
  stats_.decoded_in_place_total++;
  return true;
}

ClusterStateBuild SnapshotPipeline::DecodeReusing(const std::vector<SourceObject>& objects,
                                                 LastCompile* next) {
  // Objects of the last decode that may be moved over, by origin.
  std::unordered_map<std::string_view, size_t> reusable;
  if (last_) reusable = ReusableByOrigin(*last_);
  ClusterStateBuild build;
  size_t reused = 0;
  for (const SourceObject& object : objects) {
    std::vector<DecodedItem> items;
    auto found = object.fingerprint.empty() ? reusable.end() : reusable.find(object.origin);
    if (found != reusable.end() && last_->fingerprints[found->second] == object.fingerprint &&
        MoveDecoded(last_->decoded[found->second], &last_->state, &build.state)) {
      items = std::move(last_->decoded[found->second]);
      reusable.erase(found);  // moved: a second object of that origin decodes
      ++reused;
    } else {
      AddSourceObject(object, &build, &items);
    }
    next->origins.push_back(object.origin);
    next->fingerprints.push_back(object.fingerprint);
    next->endpoint_slice.push_back(IsEndpointSlice(object));
    next->issue_ends.push_back(build.issues.size());
    next->decoded.push_back(std::move(items));
  }
  stats_.objects_reused = reused;
  stats_.objects_decoded = objects.size() - reused;
  stats_.objects_reused_total += stats_.objects_reused;
  stats_.objects_decoded_total += stats_.objects_decoded;
  return build;
}

bool SnapshotPipeline::ApplyEndpointChange(const std::vector<SourceObject>& objects,
                                           const SourceLoad& load) {
  LastCompile& last = *last_;
  if (objects.size() != last.origins.size()) return false;
  // The compile read the clock (certificate validity): past valid_until a
  // full compile may differ.
  if (static_cast<int64_t>(time(nullptr)) >= last.result.valid_until) return false;
  for (size_t i = 0; i < objects.size(); ++i) {
    const SourceObject& object = objects[i];
    if (object.origin != last.origins[i]) return false;
    if (!object.fingerprint.empty() && object.fingerprint == last.fingerprints[i]) continue;
    if (!last.endpoint_slice[i] || !IsEndpointSlice(object)) return false;
  }
  // Every EndpointSlice is decoded again (few next to the routes), so that
  // of duplicates the first still wins; the other objects' issues are the
  // last decode's, in the same order.
  ClusterStateBuild slices;
  std::vector<SourceIssue> issues;
  std::vector<size_t> issue_ends;
  issue_ends.reserve(objects.size());
  std::vector<std::pair<size_t, std::vector<DecodedItem>>> slices_decoded;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (last.endpoint_slice[i]) {
      size_t before = slices.issues.size();
      slices_decoded.emplace_back(i, std::vector<DecodedItem>());
      AddSourceObject(objects[i], &slices, &slices_decoded.back().second);
      issues.insert(issues.end(), slices.issues.begin() + static_cast<ptrdiff_t>(before),
                    slices.issues.end());
    } else {
      size_t from = i == 0 ? 0 : last.issue_ends[i - 1];
      issues.insert(issues.end(), last.build_issues.begin() + static_cast<ptrdiff_t>(from),
                    last.build_issues.begin() + static_cast<ptrdiff_t>(last.issue_ends[i]));
    }
    issue_ends.push_back(issues.size());
  }
  std::swap(last.state.endpoint_slices, slices.state.endpoint_slices);
  // Services did not change, so neither did the clusters' names, the
  // routes or the diagnostics: only endpoints.
  ClusterResolver resolver(last.state);
  std::vector<Cluster> clusters = last.result.clusters;
  for (Cluster& cluster : clusters) {
    if (!resolver.RefreshEndpoints(&cluster)) {
      std::swap(last.state.endpoint_slices, slices.state.endpoint_slices);
      return false;
    }
  }
  last.result.clusters = std::move(clusters);
  for (size_t i = 0; i < objects.size(); ++i) last.fingerprints[i] = objects[i].fingerprint;
  last.issue_ends = std::move(issue_ends);
  last.build_issues = std::move(issues);
  for (auto& [i, items] : slices_decoded) last.decoded[i] = std::move(items);
  stats_.endpoint_only_total++;
  stats_.objects_reused = objects.size() - slices_decoded.size();
  stats_.objects_decoded = slices_decoded.size();
  stats_.objects_reused_total += stats_.objects_reused;
  stats_.objects_decoded_total += stats_.objects_decoded;
  Publish(load, last.build_issues, last.result, /*endpoints_only=*/true);
  return true;
}

void SnapshotPipeline::Publish(const SourceLoad& load, const std::vector<SourceIssue>& build_issues,
                               const CompileResult& result, bool endpoints_only) {
  LogIssues(load.issues);
  LogIssues(build_issues);
  for (const Diagnostic& d : result.diagnostics) {
    LogWarn("controller", d.object + ": " + d.reason + ": " + d.message);
  }
  stats_.compiles_total++;
  stats_.source_errors = load.issues.size() + build_issues.size();
  stats_.source_errors_total += stats_.source_errors;
  stats_.diagnostics = result.diagnostics.size();
  diagnostics_ = result.diagnostics;
  issues_ = load.issues;
  issues_.insert(issues_.end(), build_issues.begin(), build_issues.end());
  auto snapshot = std::make_shared<const SharedSnapshot>(
      endpoints_only && current_ != nullptr ? translator_.TranslateEndpoints(result, *current_)
                                            : translator_.Translate(result));
  if (current_ && current_->version() == snapshot->version()) {
    LogDebug("controller", "snapshot " + snapshot->version().substr(0, 12) + " unchanged");
    return;
  }
  current_ = snapshot;
  LogInfo("controller", "snapshot " + snapshot->version().substr(0, 12) +
                            " routes=" + std::to_string(snapshot->routes_size()) + " clusters=" +
                            std::to_string(snapshot->clusters_size()) + L4Counts(snapshot->rest()));
  publish_(std::move(snapshot));
}

}  // namespace portico::controlplane
