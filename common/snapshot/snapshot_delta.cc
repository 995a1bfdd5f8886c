#include "common/snapshot/snapshot_delta.h"

#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <string_view>

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
         field->number() == v1::Snapshot::kClustersFieldNumber;
}

// Serialized bytes stand in for deep equality: generated serialization is
// far faster than reflective comparison, and a false "changed" (map order)
// only makes a delta larger, never wrong.
bool SameBytes(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return a.ByteSizeLong() == b.ByteSizeLong() && a.SerializeAsString() == b.SerializeAsString();
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
    if (HandledApart(field)) return "the delta replaces field " + field->name() + " whole";
    reflection->ClearField(&result, field);
    replaced.add_paths(field->name());
  }
  if (replaced.paths_size() > 0) CopyFields(delta.replaced(), replaced, &result);

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

bool OnlyClustersChanged(const v1::SnapshotDelta& delta) { return delta.replaced_fields().empty(); }

}  // namespace portico
