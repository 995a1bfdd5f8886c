#include "controlplane/model/object_meta.h"

#include "controlplane/model/dns_names.h"

namespace portico::controlplane {
namespace {

std::string DecodeLabels(const JsonField& labels, std::map<std::string, std::string>* out) {
  if (std::string e = labels.ExpectObject(); !e.empty()) return e;
  if (!labels.present()) return "";
  for (const auto& member : labels.value().GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    std::string value;
    if (std::string e = labels.Member(key).GetString(&value); !e.empty()) return e;
    (*out)[key] = std::move(value);
  }
  return "";
}

}  // namespace

std::string DecodeObjectMeta(const JsonField& metadata, ObjectMeta* out) {
  if (!metadata.present()) return metadata.Error("required");
  if (std::string e = metadata.ExpectObject(); !e.empty()) return e;
  JsonField name = metadata.Member("name");
  if (std::string e = name.GetRequiredString(&out->name); !e.empty()) return e;
  if (!IsDnsSubdomain(out->name)) {
    return name.Error("must be a DNS subdomain (lowercase letters, digits, '-' and '.'), got " +
                      Quoted(out->name));
  }
  JsonField ns = metadata.Member("namespace");
  if (std::string e = ns.GetString(&out->namespace_name); !e.empty()) return e;
  if (out->namespace_name.empty()) out->namespace_name = "default";
  if (!IsDnsLabel(out->namespace_name)) {
    return ns.Error("must be a DNS label (lowercase letters, digits and '-'), got " +
                    Quoted(out->namespace_name));
  }
  return DecodeLabels(metadata.Member("labels"), &out->labels);
}

}  // namespace portico::controlplane
