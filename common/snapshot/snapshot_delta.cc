#include "common/snapshot/snapshot_delta.h"

#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/snapshot/snapshot_digest.h"

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
  // Into buffers kept per thread: 10 000 route pairs, no allocation each.
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
// longest run of target routes that the base has byte-equal and in the same
// order (a longest increasing subsequence of their base indexes): removing
// the other base routes and inserting the other target routes at their
// target indexes gives the target's list.
bool BuildRouteEdits(const v1::Snapshot& base, const v1::Snapshot& target,
                     v1::SnapshotDelta* delta) {
  std::unordered_map<std::string_view, int> base_index;
  base_index.reserve(static_cast<size_t>(base.routes_size()));
  for (int i = 0; i < base.routes_size(); ++i) base_index.emplace(base.routes(i).name(), i);
  // For each target route: its base index when unchanged there, else -1.
  std::vector<int> in_base(static_cast<size_t>(target.routes_size()), -1);
  for (int t = 0; t < target.routes_size(); ++t) {
    auto found = base_index.find(target.routes(t).name());
    if (found != base_index.end() && SameBytes(base.routes(found->second), target.routes(t))) {
      in_base[static_cast<size_t>(t)] = found->second;
    }
  }
  // Patience sorting: tails[k] is the target index ending the best run of
  // length k + 1; back[t] the target index before t in its run.
  std::vector<int> tails;
  std::vector<int> back(in_base.size(), -1);
  for (int t = 0; t < static_cast<int>(in_base.size()); ++t) {
    int b = in_base[static_cast<size_t>(t)];
    if (b < 0) continue;
    auto at = std::lower_bound(tails.begin(), tails.end(), b, [&](int tail, int value) {
      return in_base[static_cast<size_t>(tail)] < value;
    });
    if (at != tails.begin()) back[static_cast<size_t>(t)] = *(at - 1);
    if (at == tails.end()) {
      tails.push_back(t);
    } else {
      *at = t;
    }
  }
  std::vector<bool> kept(static_cast<size_t>(base.routes_size()), false);
  std::vector<bool> target_kept(in_base.size(), false);
  for (int t = tails.empty() ? -1 : tails.back(); t >= 0; t = back[static_cast<size_t>(t)]) {
    kept[static_cast<size_t>(in_base[static_cast<size_t>(t)])] = true;
    target_kept[static_cast<size_t>(t)] = true;
  }
  std::vector<int> inserted;
  for (int t = 0; t < target.routes_size(); ++t) {
    if (!target_kept[static_cast<size_t>(t)]) inserted.push_back(t);
  }
  size_t removed = static_cast<size_t>(std::count(kept.begin(), kept.end(), false));
  size_t target_size = static_cast<size_t>(target.routes_size());
  if (inserted.size() * 2 > target_size + 1 || removed + inserted.size() > target_size) {
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

// The target's routes from the base's (moved out of *routes) and `delta`'s
// edits; "" or why the edits do not fit the base.
std::string ApplyRouteEdits(const v1::SnapshotDelta& delta,
                            google::protobuf::RepeatedPtrField<v1::Route>* routes) {
  std::unordered_map<std::string_view, bool> removals;  // name → found in the base
  for (const std::string& name : delta.removed_routes()) {
    if (!removals.emplace(name, false).second) return "the delta removes route " + name + " twice";
  }
  std::vector<v1::Route*> base(static_cast<size_t>(routes->size()));
  routes->ExtractSubrange(0, routes->size(), base.data());  // now owned here
  std::vector<std::unique_ptr<v1::Route>> owned;
  owned.reserve(base.size());
  for (v1::Route* route : base) owned.emplace_back(route);
  int size = routes->size();  // 0
  routes->Reserve(static_cast<int>(base.size()) + delta.inserted_routes_size());
  size_t next = 0;  // in `owned`
  auto take_base = [&]() -> bool {
    for (; next < owned.size(); ++next) {
      auto removal = removals.find(owned[next]->name());
      if (removal == removals.end()) return true;
      removal->second = true;
    }
    return false;
  };
  for (const v1::IndexedRoute& insert : delta.inserted_routes()) {
    if (insert.index() < static_cast<uint32_t>(size)) {
      return "the delta inserts route " + insert.route().name() + " at index " +
             std::to_string(insert.index()) + ", out of order";
    }
    while (static_cast<uint32_t>(size) < insert.index()) {
      if (!take_base()) {
        return "the delta inserts route " + insert.route().name() + " at index " +
               std::to_string(insert.index()) + ", past the end";
      }
      routes->AddAllocated(owned[next++].release());
      ++size;
    }
    *routes->Add() = insert.route();
    ++size;
  }
  while (take_base()) routes->AddAllocated(owned[next++].release());
  for (const auto& [name, found] : removals) {
    if (!found) return "the delta removes route " + std::string(name) + ", absent from the base";
  }
  return "";
}

}  // namespace

v1::SnapshotDelta BuildSnapshotDelta(const v1::Snapshot& base, const v1::Snapshot& target) {
  v1::SnapshotDelta delta;
  const auto* descriptor = v1::Snapshot::descriptor();
  FieldMask changed;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (HandledApart(field) || FieldEqual(base, target, field)) continue;
    delta.add_replaced_fields(static_cast<uint32_t>(field->number()));
    changed.add_paths(field->name());
  }
  if (!BuildRouteEdits(base, target, &delta)) {
    delta.add_replaced_fields(v1::Snapshot::kRoutesFieldNumber);
    changed.add_paths("routes");
  }
  if (changed.paths_size() > 0) CopyFields(target, changed, delta.mutable_replaced());

  // Both cluster lists are sorted by name: one merge pass.
  int b = 0, t = 0;
  while (b < base.clusters_size() || t < target.clusters_size()) {
    int order = b == base.clusters_size()     ? 1
                : t == target.clusters_size() ? -1
                : base.clusters(b).name().compare(target.clusters(t).name());
    if (order < 0) {
      delta.add_removed_clusters(base.clusters(b++).name());
    } else if (order > 0) {
      *delta.add_upserted_clusters() = target.clusters(t++);
    } else {
      if (!SameBytes(base.clusters(b), target.clusters(t))) {
        *delta.add_upserted_clusters() = target.clusters(t);
      }
      ++b;
      ++t;
    }
  }
  return delta;
}

std::string ApplySnapshotDelta(const v1::Snapshot& base, const v1::SnapshotDelta& delta,
                               const std::string& version, v1::Snapshot* out) {
  const auto* descriptor = v1::Snapshot::descriptor();
  const auto* reflection = out->GetReflection();
  // Everything starts from the base (a generated copy: fast)...
  v1::Snapshot result = base;
  result.clear_version();
  // ...then the replaced fields are taken from the delta.
  FieldMask replaced;
  for (uint32_t number : delta.replaced_fields()) {
    const FieldDescriptor* field = descriptor->FindFieldByNumber(static_cast<int>(number));
    if (field == nullptr) return "the delta replaces field " + std::to_string(number) +
                                 ", which this proxy does not know";
    if (HandledApart(field) && field->number() != v1::Snapshot::kRoutesFieldNumber) {
      return "the delta replaces field " + field->name() + " whole";
    }
    if (field->number() == v1::Snapshot::kRoutesFieldNumber && delta.routes_edited()) {
      return "the delta both replaces and edits the routes";
    }
    reflection->ClearField(&result, field);
    replaced.add_paths(field->name());
  }
  if (replaced.paths_size() > 0) CopyFields(delta.replaced(), replaced, &result);
  if (delta.routes_edited()) {
    if (std::string e = ApplyRouteEdits(delta, result.mutable_routes()); !e.empty()) return e;
  }

  // Clusters: one merge of the base's (sorted) list with the sorted upserts,
  // moving the base's clusters rather than copying them.
  std::map<std::string_view, const v1::Cluster*> upserts;
  for (const v1::Cluster& cluster : delta.upserted_clusters()) {
    if (!upserts.emplace(cluster.name(), &cluster).second) {
      return "the delta upserts cluster " + cluster.name() + " twice";
    }
  }
  std::map<std::string_view, bool> removals;  // name → found in the base
  for (const std::string& name : delta.removed_clusters()) removals.emplace(name, false);
  google::protobuf::RepeatedPtrField<v1::Cluster> old;
  old.Swap(result.mutable_clusters());
  result.mutable_clusters()->Reserve(old.size() + static_cast<int>(upserts.size()));
  auto next_upsert = upserts.begin();
  std::string_view previous;
  for (v1::Cluster& cluster : old) {
    std::string_view name = cluster.name();
    if (!previous.empty() && name <= previous) {
      return "the base's clusters are not sorted and unique at " + cluster.name();
    }
    previous = name;
    for (; next_upsert != upserts.end() && next_upsert->first < name; ++next_upsert) {
      *result.add_clusters() = *next_upsert->second;
    }
    bool replaced_here = next_upsert != upserts.end() && next_upsert->first == name;
    if (auto removal = removals.find(name); removal != removals.end()) {
      removal->second = true;
      if (!replaced_here) continue;
    }
    if (replaced_here) {
      *result.add_clusters() = *(next_upsert++)->second;
    } else {
      *result.add_clusters() = std::move(cluster);
    }
  }
  for (; next_upsert != upserts.end(); ++next_upsert) *result.add_clusters() = *next_upsert->second;
  for (const auto& [name, found] : removals) {
    if (!found) {
      return "the delta removes cluster " + std::string(name) + ", absent from the base";
    }
  }

  std::string digest = SnapshotDigest(result);
  if (digest != version) {
    return "the delta gives version " + digest.substr(0, 12) + ", not the announced " +
           version.substr(0, 12);
  }
  result.set_version(version);
  *out = std::move(result);
  return "";
}

bool OnlyClustersChanged(const v1::SnapshotDelta& delta) {
  return delta.replaced_fields().empty() && !delta.routes_edited();
}

}  // namespace portico
