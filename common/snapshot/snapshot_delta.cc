#include "common/snapshot/snapshot_delta.h"

#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace portico {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::FieldMask;
using google::protobuf::util::FieldMaskUtil;
using google::protobuf::util::MessageDifferencer;

// Fields the delta never replaces whole.
bool HandledApart(const FieldDescriptor* field) {
  return field->number() == v1::Snapshot::kVersionFieldNumber ||
         field->number() == v1::Snapshot::kClustersFieldNumber ||
         field->number() == v1::Snapshot::kRoutesFieldNumber;
}

// Serialized bytes stand in for deep equality: generated serialization is
// far faster than reflective comparison, and a false "changed" (map order)
// only makes a delta larger, never wrong.
bool SameBytes(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  size_t size = a.ByteSizeLong();
  if (size != b.ByteSizeLong()) return false;
  // Into buffers kept per thread: a field of thousands of services or
  // middlewares costs no allocation per pair.
  thread_local std::string bytes_a, bytes_b;
  bytes_a.resize(size);
  bytes_b.resize(size);
  auto* out_a = reinterpret_cast<uint8_t*>(bytes_a.data());
  auto* out_b = reinterpret_cast<uint8_t*>(bytes_b.data());
  // ByteSizeLong above cached the sizes these serializations rely on.
  a.SerializeWithCachedSizesToArray(out_a);
  b.SerializeWithCachedSizesToArray(out_b);
  return bytes_a == bytes_b;
}

bool FieldEqual(const v1::Snapshot& a, const v1::Snapshot& b, const FieldDescriptor* field) {
  const auto* reflection = a.GetReflection();
  if (field->is_repeated()) {
    int size = reflection->FieldSize(a, field);
    if (size != reflection->FieldSize(b, field)) return false;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      for (int i = 0; i < size; ++i) {
        if (!SameBytes(reflection->GetRepeatedMessage(a, field, i),
                       reflection->GetRepeatedMessage(b, field, i))) {
          return false;
        }
      }
      return true;
    }
  } else if (reflection->HasField(a, field) != reflection->HasField(b, field)) {
    return false;
  }
  // Scalars and single messages: cheap enough to compare reflectively.
  MessageDifferencer differencer;
  const auto* descriptor = v1::Snapshot::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (descriptor->field(i) != field) differencer.IgnoreField(descriptor->field(i));
  }
  return differencer.Compare(a, b);
}

void CopyFields(const v1::Snapshot& from, const FieldMask& mask, v1::Snapshot* to) {
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(from, mask, options, to);
}

// Route edits from base to target, or false when sending the target's
// routes whole is as small (most of them changed). The routes kept are a
// longest run of target routes that the base has unchanged and in the same
// order (a longest increasing subsequence of their base indexes): removing
// the other base routes and inserting the other target routes at their
// target indexes gives the target's list.
bool BuildRouteEdits(const SharedSnapshot& base, const SharedSnapshot& target,
                     v1::SnapshotDelta* delta) {
  const std::vector<RoutePartPtr>& base_routes = base.route_parts();
  const std::vector<RoutePartPtr>& target_routes = target.route_parts();
  auto same = [](const RoutePartPtr& a, const RoutePartPtr& b) {
    return a == b || a->hash == b->hash;
  };
  // The unchanged head and tail are kept as they are (the usual change is
  // a few routes in between): only the middle needs names looked up.
  const int base_size = static_cast<int>(base_routes.size());
  const int target_size = static_cast<int>(target_routes.size());
  int head = 0;
  while (head < base_size && head < target_size &&
         same(base_routes[static_cast<size_t>(head)], target_routes[static_cast<size_t>(head)])) {
    ++head;
  }
  int tail = 0;
  while (tail < base_size - head && tail < target_size - head &&
         same(base_routes[static_cast<size_t>(base_size - 1 - tail)],
              target_routes[static_cast<size_t>(target_size - 1 - tail)])) {
    ++tail;
  }
  std::vector<bool> kept(base_routes.size(), false);
  std::vector<bool> target_kept(target_routes.size(), false);
  for (int i = 0; i < head; ++i)
    kept[static_cast<size_t>(i)] = target_kept[static_cast<size_t>(i)] = true;
  for (int i = 1; i <= tail; ++i) {
    kept[static_cast<size_t>(base_size - i)] = target_kept[static_cast<size_t>(target_size - i)] =
        true;
  }
  const int base_end = base_size - tail;
  const int target_end = target_size - tail;
  std::unordered_map<std::string_view, int> base_index;
  base_index.reserve(static_cast<size_t>(base_end - head));
  for (int i = head; i < base_end; ++i) base_index.emplace(base.routes(i).name(), i);
  // For each target route of the middle: its base index when unchanged
  // there, else -1.
  std::vector<int> in_base(static_cast<size_t>(target_end - head), -1);
  for (int t = head; t < target_end; ++t) {
    auto found = base_index.find(target.routes(t).name());
    if (found == base_index.end()) continue;
    if (same(base_routes[static_cast<size_t>(found->second)],
             target_routes[static_cast<size_t>(t)])) {
      in_base[static_cast<size_t>(t - head)] = found->second;
    }
  }
  // Patience sorting: tails[k] is the middle index ending the best run of
  // length k + 1; back[m] the middle index before m in its run.
  std::vector<int> tails;
  std::vector<int> back(in_base.size(), -1);
  for (int m = 0; m < static_cast<int>(in_base.size()); ++m) {
    int b = in_base[static_cast<size_t>(m)];
    if (b < 0) continue;
    auto at = std::lower_bound(tails.begin(), tails.end(), b, [&](int run_end, int value) {
      return in_base[static_cast<size_t>(run_end)] < value;
    });
    if (at != tails.begin()) back[static_cast<size_t>(m)] = *(at - 1);
    if (at == tails.end()) {
      tails.push_back(m);
    } else {
      *at = m;
    }
  }
  for (int m = tails.empty() ? -1 : tails.back(); m >= 0; m = back[static_cast<size_t>(m)]) {
    kept[static_cast<size_t>(in_base[static_cast<size_t>(m)])] = true;
    target_kept[static_cast<size_t>(head + m)] = true;
  }
  std::vector<int> inserted;
  for (int t = 0; t < target.routes_size(); ++t) {
    if (!target_kept[static_cast<size_t>(t)]) inserted.push_back(t);
  }
  size_t removed = static_cast<size_t>(std::count(kept.begin(), kept.end(), false));
  size_t target_count = target_routes.size();
  if (inserted.size() * 2 > target_count + 1 || removed + inserted.size() > target_count) {
    return false;
  }
  if (inserted.empty() && removed == 0) return true;
  delta->set_routes_edited(true);
  for (int i = 0; i < base.routes_size(); ++i) {
    if (!kept[static_cast<size_t>(i)]) delta->add_removed_routes(base.routes(i).name());
  }
  for (int t : inserted) {
    v1::IndexedRoute* edit = delta->add_inserted_routes();
    edit->set_index(static_cast<uint32_t>(t));
    *edit->mutable_route() = target.routes(t);
  }
  return true;
}

// The target's routes from the base's and `delta`'s edits (the base's
// parts shared); "" or why the edits do not fit the base.
std::string ApplyRouteEdits(const std::vector<RoutePartPtr>& base, const v1::SnapshotDelta& delta,
                            std::vector<RoutePartPtr>* routes) {
  std::unordered_map<std::string_view, bool> removals;  // name → found in the base
  for (const std::string& name : delta.removed_routes()) {
    if (!removals.emplace(name, false).second) return "the delta removes route " + name + " twice";
  }
  routes->reserve(base.size() + static_cast<size_t>(delta.inserted_routes_size()));
  size_t next = 0;  // in `base`
  auto take_base = [&]() -> bool {
    for (; next < base.size(); ++next) {
      auto removal = removals.find(base[next]->message.name());
      if (removal == removals.end()) return true;
      removal->second = true;
    }
    return false;
  };
  for (const v1::IndexedRoute& insert : delta.inserted_routes()) {
    if (insert.index() < routes->size()) {
      return "the delta inserts route " + insert.route().name() + " at index " +
             std::to_string(insert.index()) + ", out of order";
    }
    while (routes->size() < insert.index()) {
      if (!take_base()) {
        return "the delta inserts route " + insert.route().name() + " at index " +
               std::to_string(insert.index()) + ", past the end";
      }
      routes->push_back(base[next++]);
    }
    routes->push_back(std::make_shared<const RoutePart>(insert.route()));
  }
  while (take_base()) routes->push_back(base[next++]);
  for (const auto& [name, found] : removals) {
    if (!found) return "the delta removes route " + std::string(name) + ", absent from the base";
  }
  return "";
}

// The rest of the result: the base's, shared when the delta replaces none
// of its fields. "" or why the replaced fields do not fit.
std::string ApplyReplacedFields(const SharedSnapshot& base, const v1::SnapshotDelta& delta,
                                std::shared_ptr<const v1::Snapshot>* rest, bool* routes_whole) {
  const auto* descriptor = v1::Snapshot::descriptor();
  FieldMask replaced;
  *routes_whole = false;
  for (uint32_t number : delta.replaced_fields()) {
    const FieldDescriptor* field = descriptor->FindFieldByNumber(static_cast<int>(number));
    if (field == nullptr) return "the delta replaces field " + std::to_string(number) +
                                 ", which this proxy does not know";
    if (field->number() == v1::Snapshot::kRoutesFieldNumber) {
      if (delta.routes_edited()) return "the delta both replaces and edits the routes";
      *routes_whole = true;
      continue;
    }
    if (HandledApart(field)) return "the delta replaces field " + field->name() + " whole";
    replaced.add_paths(field->name());
  }
  if (replaced.paths_size() == 0) {
    *rest = base.shared_rest();
    return "";
  }
  auto result = std::make_shared<v1::Snapshot>(base.rest());
  const auto* reflection = result->GetReflection();
  for (const std::string& name : replaced.paths()) {
    reflection->ClearField(result.get(), descriptor->FindFieldByName(name));
  }
  CopyFields(delta.replaced(), replaced, result.get());
  *rest = std::move(result);
  return "";
}

// Clusters: one merge of the base's (sorted) list with the sorted upserts,
// sharing the base's clusters that stay.
std::string ApplyClusterEdits(const std::vector<ClusterPartPtr>& base,
                              const v1::SnapshotDelta& delta,
                              std::vector<ClusterPartPtr>* clusters) {
  std::map<std::string_view, const v1::Cluster*> upserts;
  for (const v1::Cluster& cluster : delta.upserted_clusters()) {
    if (!upserts.emplace(cluster.name(), &cluster).second) {
      return "the delta upserts cluster " + cluster.name() + " twice";
    }
  }
  std::map<std::string_view, bool> removals;  // name → found in the base
  for (const std::string& name : delta.removed_clusters()) removals.emplace(name, false);
  clusters->reserve(base.size() + upserts.size());
  auto upsert = [&](const v1::Cluster* cluster) {
    clusters->push_back(std::make_shared<const ClusterPart>(*cluster));
  };
  auto next_upsert = upserts.begin();
  std::string_view previous;
  for (const ClusterPartPtr& cluster : base) {
    std::string_view name = cluster->message.name();
    if (!previous.empty() && name <= previous) {
      return "the base's clusters are not sorted and unique at " + cluster->message.name();
    }
    previous = name;
    for (; next_upsert != upserts.end() && next_upsert->first < name; ++next_upsert) {
      upsert(next_upsert->second);
    }
    bool replaced_here = next_upsert != upserts.end() && next_upsert->first == name;
    if (auto removal = removals.find(name); removal != removals.end()) {
      removal->second = true;
      if (!replaced_here) continue;
    }
    if (replaced_here) {
      upsert((next_upsert++)->second);
    } else {
      clusters->push_back(cluster);
    }
  }
  for (; next_upsert != upserts.end(); ++next_upsert) upsert(next_upsert->second);
  for (const auto& [name, found] : removals) {
    if (!found) {
      return "the delta removes cluster " + std::string(name) + ", absent from the base";
    }
  }
  return "";
}

}  // namespace

v1::SnapshotDelta BuildSnapshotDelta(const SharedSnapshot& base, const SharedSnapshot& target) {
  v1::SnapshotDelta delta;
  const auto* descriptor = v1::Snapshot::descriptor();
  FieldMask changed;
  if (base.shared_rest() != target.shared_rest() && base.rest_hash() != target.rest_hash()) {
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      if (HandledApart(field) || FieldEqual(base.rest(), target.rest(), field)) continue;
      delta.add_replaced_fields(static_cast<uint32_t>(field->number()));
      changed.add_paths(field->name());
    }
    if (changed.paths_size() > 0) CopyFields(target.rest(), changed, delta.mutable_replaced());
  }
  if (!BuildRouteEdits(base, target, &delta)) {
    delta.add_replaced_fields(v1::Snapshot::kRoutesFieldNumber);
    auto* routes = delta.mutable_replaced()->mutable_routes();
    routes->Reserve(target.routes_size());
    for (const RoutePartPtr& route : target.route_parts()) *routes->Add() = route->message;
  }

  // Both cluster lists are sorted by name: one merge pass.
  const std::vector<ClusterPartPtr>& from = base.cluster_parts();
  const std::vector<ClusterPartPtr>& to = target.cluster_parts();
  size_t b = 0, t = 0;
  while (b < from.size() || t < to.size()) {
    int order = b == from.size() ? 1
                : t == to.size() ? -1
                                 : from[b]->message.name().compare(to[t]->message.name());
    if (order < 0) {
      delta.add_removed_clusters(from[b++]->message.name());
    } else if (order > 0) {
      *delta.add_upserted_clusters() = to[t++]->message;
    } else {
      if (from[b] != to[t] && from[b]->hash != to[t]->hash) {
        *delta.add_upserted_clusters() = to[t]->message;
      }
      ++b;
      ++t;
    }
  }
  return delta;
}

std::string ApplySnapshotDelta(const SharedSnapshot& base, const v1::SnapshotDelta& delta,
                               const std::string& version, SharedSnapshot* out) {
  std::shared_ptr<const v1::Snapshot> rest;
  bool routes_whole = false;
  if (std::string e = ApplyReplacedFields(base, delta, &rest, &routes_whole); !e.empty()) return e;
  std::vector<RoutePartPtr> routes;
  if (routes_whole) {
    routes.reserve(static_cast<size_t>(delta.replaced().routes_size()));
    for (const v1::Route& route : delta.replaced().routes()) {
      routes.push_back(std::make_shared<const RoutePart>(route));
    }
  } else if (delta.routes_edited()) {
    if (std::string e = ApplyRouteEdits(base.route_parts(), delta, &routes); !e.empty()) return e;
  } else {
    routes = base.route_parts();
  }
  std::vector<ClusterPartPtr> clusters;
  if (std::string e = ApplyClusterEdits(base.cluster_parts(), delta, &clusters); !e.empty()) {
    return e;
  }
  SharedSnapshot result(std::move(rest), std::move(routes), std::move(clusters));
  if (result.digest() != version) {
    return "the delta gives version " + result.digest().substr(0, 12) + ", not the announced " +
           version.substr(0, 12);
  }
  *out = std::move(result);
  return "";
}

v1::SnapshotDelta BuildSnapshotDelta(const v1::Snapshot& base, const v1::Snapshot& target) {
  return BuildSnapshotDelta(SharedSnapshot::FromMessage(base), SharedSnapshot::FromMessage(target));
}

std::string ApplySnapshotDelta(const v1::Snapshot& base, const v1::SnapshotDelta& delta,
                               const std::string& version, v1::Snapshot* out) {
  SharedSnapshot result;
  std::string error =
      ApplySnapshotDelta(SharedSnapshot::FromMessage(base), delta, version, &result);
  if (error.empty()) *out = result.ToMessage();
  return error;
}

bool OnlyClustersChanged(const v1::SnapshotDelta& delta) {
  return delta.replaced_fields().empty() && !delta.routes_edited();
}

}  // namespace portico
