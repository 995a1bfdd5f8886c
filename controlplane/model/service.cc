#include "controlplane/model/service.h"

#include <set>

#include "controlplane/model/dns_names.h"

namespace portico::controlplane {
namespace {

std::string DecodeTargetPort(const JsonField& field, ServicePort* out) {
  if (!field.present()) {
    out->target_port_number = out->port;
    return "";
  }
  if (field.value().IsString()) {
    std::string name;
    field.GetString(&name);
    if (!IsDnsLabel(name) || name.size() > 15) {
      return field.Error("a named port must be a DNS label of at most 15 characters, got " +
                         Quoted(name));
    }
    out->target_port_name = std::move(name);
    return "";
  }
  return field.GetRequiredIntIn(1, 65535, &out->target_port_number);
}

std::string DecodeProtocol(const JsonField& field, std::string* out) {
  if (std::string e = field.GetString(out); !e.empty()) return e;
  if (out->empty()) *out = "TCP";
  if (*out != "TCP" && *out != "UDP" && *out != "SCTP") {
    return field.Error("must be TCP, UDP or SCTP, got " + Quoted(*out));
  }
  return "";
}

// Cluster names end in ":<port name or number>", so a name must not look
// like a number (Kubernetes requires IANA service names: a DNS label with a
// letter).
std::string DecodePortName(const JsonField& field, std::string* out) {
  if (std::string e = field.GetString(out); !e.empty()) return e;
  if (out->empty()) return "";
  bool has_letter = out->find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos;
  if (!IsDnsLabel(*out) || !has_letter) {
    return field.Error("must be a DNS label with at least one letter, got " + Quoted(*out));
  }
  return "";
}

std::string DecodePort(const JsonField& field, ServicePort* out) {
  if (std::string e = field.ExpectObject(); !e.empty()) return e;
  if (std::string e = DecodePortName(field.Member("name"), &out->name); !e.empty()) return e;
  if (std::string e = field.Member("port").GetRequiredIntIn(1, 65535, &out->port); !e.empty()) {
    return e;
  }
  if (std::string e = DecodeTargetPort(field.Member("targetPort"), out); !e.empty()) return e;
  return DecodeProtocol(field.Member("protocol"), &out->protocol);
}

std::string DecodeType(const JsonField& field, ServiceType* out) {
  std::string type;
  if (std::string e = field.GetString(&type); !e.empty()) return e;
  if (type.empty() || type == "ClusterIP") {
    *out = ServiceType::kClusterIP;
  } else if (type == "NodePort") {
    *out = ServiceType::kNodePort;
  } else if (type == "LoadBalancer") {
    *out = ServiceType::kLoadBalancer;
  } else if (type == "ExternalName") {
    *out = ServiceType::kExternalName;
  } else {
    return field.Error("must be ClusterIP, NodePort, LoadBalancer or ExternalName, got " +
                       Quoted(type));
  }
  return "";
}

}  // namespace

std::string DecodeService(const JsonField& object, Service* out) {
  JsonField spec = object.Member("spec");
  if (std::string e = spec.ExpectObject(); !e.empty()) return e;
  if (std::string e = DecodeType(spec.Member("type"), &out->type); !e.empty()) return e;
  if (std::string e = spec.Member("externalName").GetString(&out->external_name); !e.empty()) {
    return e;
  }
  JsonField ports = spec.Member("ports");
  if (std::string e = ports.ExpectList(); !e.empty()) return e;
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    ServicePort port;
    if (std::string e = DecodePort(ports.Index(i), &port); !e.empty()) return e;
    if (ports.size() > 1 && port.name.empty()) {
      return ports.Index(i).Member("name").Error("required when a Service has several ports");
    }
    if (!names.insert(port.name).second) {
      return ports.Index(i).Member("name").Error("duplicate port name " + Quoted(port.name));
    }
    out->ports.push_back(std::move(port));
  }
  return "";
}

}  // namespace portico::controlplane
