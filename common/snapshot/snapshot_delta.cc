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

bool FieldEqual(const v1::Snapshot& a, const v1::Snapshot& b, const FieldDescriptor* field) {
  const auto* reflection = a.GetReflection();
  if (field->is_repeated()) {
    if (reflection->FieldSize(a, field) != reflection->FieldSize(b, field)) return false;
  } else if (reflection->HasField(a, field) != reflection->HasField(b, field)) {
    return false;
  }
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
      if (!MessageDifferencer::Equals(base.clusters(b), target.clusters(t))) {
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
  v1::Snapshot result;
  // Everything but the clusters starts from the base...
  FieldMask kept;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (!HandledApart(field)) kept.add_paths(field->name());
  }
  CopyFields(base, kept, &result);
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

  std::map<std::string_view, const v1::Cluster*> clusters;
  for (const v1::Cluster& cluster : base.clusters()) {
    if (!clusters.emplace(cluster.name(), &cluster).second) {
      return "the base holds cluster " + cluster.name() + " twice";
    }
  }
  for (const std::string& name : delta.removed_clusters()) {
    if (clusters.erase(name) == 0) return "the delta removes cluster " + name + ", absent from the base";
  }
  std::map<std::string_view, const v1::Cluster*> upserts;
  for (const v1::Cluster& cluster : delta.upserted_clusters()) {
    if (!upserts.emplace(cluster.name(), &cluster).second) {
      return "the delta upserts cluster " + cluster.name() + " twice";
    }
  }
  for (const auto& [name, cluster] : upserts) clusters[name] = cluster;
  result.mutable_clusters()->Reserve(static_cast<int>(clusters.size()));
  for (const auto& [name, cluster] : clusters) *result.add_clusters() = *cluster;

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
